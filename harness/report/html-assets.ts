/**
 * What index.html inlines so it works offline from file:// with no request anywhere: the uPlot
 * chart library (JS and CSS, read from node_modules at render time), the page's stylesheet
 * (light and dark via prefers-color-scheme) and the small script that draws the charts from the
 * page's `faultline-charts` JSON block.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let uplot: { js: string; css: string } | undefined;

/** uPlot's minified IIFE build (defines the global `uPlot`) and its CSS, read once and cached. */
export function uplotAssets(): { js: string; css: string } {
  if (!uplot) {
    const require = createRequire(import.meta.url);
    const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    // Inline <script>/<style> end at the first `</script`/`</style`; uPlot has none, but a future
    // version must not be able to break the page.
    uplot = { js: js.replace(/<\/(script)/gi, '<\\/$1'), css: css.replace(/<\/(style)/gi, '<\\/$1') };
  }
  return uplot;
}

/** The page's stylesheet. Colours are CSS variables so the chart script can read them too. */
export const PAGE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --border: #d0d7de; --panel: #f6f8fa; --code: #eff1f3;
  --pass: #1a7f37; --fail: #cf222e; --error: #9a6700; --interrupted: #6e40c9; --skip: #57606a;
  --band: rgba(207, 34, 46, 0.10); --band-edge: rgba(207, 34, 46, 0.55); --band-text: #a40e26;
  --grid: rgba(0, 0, 0, 0.08); --axis: #57606a;
  --s1: #0969da; --s2: #bf3989; --s3: #1a7f37; --s4: #bc4c00; --s5: #8250df; --s6: #0a7f87;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --panel: #151b23; --code: #1f2630;
    --pass: #3fb950; --fail: #f85149; --error: #d29922; --interrupted: #a371f7; --skip: #9198a1;
    --band: rgba(248, 81, 73, 0.14); --band-edge: rgba(248, 81, 73, 0.6); --band-text: #ff9492;
    --grid: rgba(255, 255, 255, 0.09); --axis: #9198a1;
    --s1: #4493f8; --s2: #f778ba; --s3: #3fb950; --s4: #f0883e; --s5: #a371f7; --s6: #39c5cf;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0.4em 0 0.2em; }
h2 { font-size: 1.25rem; margin: 0; display: inline; }
h3 { font-size: 1.08rem; margin: 1.4em 0 0.4em; border-bottom: 1px solid var(--border); padding-bottom: 2px; }
h4 { font-size: 0.98rem; margin: 1em 0 0.3em; }
a { color: var(--s1); }
code, pre, kbd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88em; }
code { background: var(--code); padding: 0.1em 0.3em; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code); padding: 10px 12px; border-radius: 6px; overflow: auto; max-height: 28em; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; width: 100%; font-size: 0.92em; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid var(--border); padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: var(--panel); font-weight: 600; overflow-wrap: normal; }
td code { overflow-wrap: break-word; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted { color: var(--muted); }
.verdict { font-size: 1.15rem; font-weight: 600; margin: 0.2em 0 0.8em; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--border); border-left-width: 5px; border-radius: 6px; padding: 6px 14px; min-width: 120px; background: var(--panel); }
.cards .n { display: block; font-size: 1.5rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.st { font-weight: 700; white-space: nowrap; }
.st-passed { color: var(--pass); }
.st-failed { color: var(--fail); }
.st-errored, .st-error { color: var(--error); }
.st-interrupted { color: var(--interrupted); }
.st-skipped { color: var(--skip); }
.bd-passed { border-color: var(--pass) !important; }
.bd-failed { border-color: var(--fail) !important; }
.bd-errored { border-color: var(--error) !important; }
.bd-interrupted { border-color: var(--interrupted) !important; }
.bd-skipped { border-color: var(--skip) !important; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0.4em 0 1em; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
details.scenario { border: 1px solid var(--border); border-left-width: 6px; border-radius: 8px; margin: 14px 0; background: var(--bg); }
details.scenario > summary { cursor: pointer; padding: 10px 14px; list-style-position: outside; margin-left: 18px; }
details.scenario > summary:focus-visible { outline: 2px solid var(--s1); outline-offset: 2px; }
details.scenario > .body { padding: 0 16px 16px; }
details.scenario[open] > summary { border-bottom: 1px solid var(--border); }
.summary-line { color: var(--muted); font-size: 0.9em; margin-left: 0.6em; }
.problem { border: 1px solid var(--fail); border-left-width: 5px; border-radius: 6px; padding: 8px 12px; margin: 10px 0; background: var(--panel); }
.problem p { margin: 0.2em 0; }
.keynums { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 0.3em 0 0.6em; list-style: none; }
.keynums b { font-variant-numeric: tabular-nums; }
figure { margin: 10px 0 16px; }
figcaption { font-size: 0.9em; color: var(--muted); margin-bottom: 4px; }
.chart { width: 100%; min-height: 40px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 4px 24px; }
svg text { fill: var(--fg); font-size: 12px; font-family: system-ui, sans-serif; }
svg .axis { stroke: var(--axis); }
svg .gridline { stroke: var(--grid); }
svg .band { fill: var(--band); stroke: var(--band-edge); stroke-dasharray: 4 3; }
svg .planned { fill: none; stroke: var(--muted); stroke-dasharray: 3 3; }
svg .bar-tcp { fill: var(--s1); }
svg .bar-udp { fill: url(#hatch-udp); stroke: var(--s2); }
svg .hatch-line { stroke: var(--s2); stroke-width: 3; }
.toolbar { display: flex; gap: 8px; margin: 10px 0; }
button { font: inherit; font-size: 0.9em; padding: 3px 10px; border: 1px solid var(--border); border-radius: 6px; background: var(--panel); color: var(--fg); cursor: pointer; }
footer { margin-top: 32px; color: var(--muted); font-size: 0.88em; }
.uplot { font-family: inherit; }
.u-legend { font-size: 0.85em; }
.u-legend th, .u-legend td { border: none; background: none; padding: 1px 4px; }
.banner { border: 1px solid var(--interrupted); border-left-width: 6px; padding: 8px 12px; border-radius: 6px; margin: 10px 0; }
@media print { details.scenario { break-inside: avoid; } .toolbar { display: none; } }
`;

/**
 * Draws every chart of the page from the `faultline-charts` JSON block with uPlot. Charts inside
 * closed <details> are drawn when first opened (a collapsed element has no width), fault windows
 * are shaded bands with dashed edges and an `F1`-style label (so colour is not the only signal),
 * and series differ by dash pattern as well as colour.
 */
export const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var block = document.getElementById('faultline-charts');
  if (!block || typeof uPlot === 'undefined') return;
  var payload = JSON.parse(block.textContent);
  var axes = payload.axes;
  var charts = payload.charts;
  var css = getComputedStyle(document.documentElement);
  function v(name) { return css.getPropertyValue(name).trim(); }
  var palette = ['--s1', '--s2', '--s3', '--s4', '--s5', '--s6'].map(v);
  var dashes = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 2], [12, 6]];
  var built = [];

  function num(x, digits) { return String(Number(x.toFixed(digits))); }
  function fmtMs(x) {
    var a = Math.abs(x);
    if (a === 0) return '0';
    if (a < 1) return num(x * 1000, 0) + 'µs';
    if (a < 1000) return num(x, a < 10 ? 2 : 1) + 'ms';
    return num(x / 1000, 2) + 's';
  }
  function fmtBytes(x) {
    var units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
    var i = 0;
    while (Math.abs(x) >= 1000 && i < units.length - 1) { x /= 1000; i++; }
    return num(x, 1) + ' ' + units[i];
  }
  function fmtPlain(x) {
    var a = Math.abs(x);
    if (a >= 1e6) return num(x / 1e6, 2) + 'M';
    if (a >= 1e4) return num(x / 1e3, 1) + 'k';
    return num(x, a < 10 ? 3 : 1);
  }
  function formatter(unit) {
    if (unit === 'ratio') return function (x) { return num(x * 100, 2) + '%'; };
    if (unit === 'ms') return fmtMs;
    if (unit === 'bytes_per_sec') return fmtBytes;
    if (unit === 'per_sec') return function (x) { return fmtPlain(x) + '/s'; };
    return fmtPlain;
  }
  function valueText(f) { return function (u, x) { return x == null ? '—' : f(x); }; }

  function bandsPlugin(bands) {
    return {
      hooks: {
        drawClear: [function (u) {
          if (!bands || bands.length === 0) return;
          var ctx = u.ctx, b = u.bbox, dpr = devicePixelRatio || 1;
          ctx.save();
          ctx.beginPath();
          ctx.rect(b.left, b.top, b.width, b.height);
          ctx.clip();
          bands.forEach(function (band, i) {
            var x0 = u.valToPos(band.fromSec, 'x', true);
            var x1 = u.valToPos(band.toSec, 'x', true);
            if (!isFinite(x0) || !isFinite(x1)) return;
            ctx.fillStyle = v('--band');
            ctx.fillRect(x0, b.top, Math.max(1, x1 - x0), b.height);
            ctx.strokeStyle = v('--band-edge');
            ctx.lineWidth = dpr;
            ctx.setLineDash([4 * dpr, 3 * dpr]);
            ctx.beginPath();
            ctx.moveTo(x0, b.top); ctx.lineTo(x0, b.top + b.height);
            if (!band.open) { ctx.moveTo(x1, b.top); ctx.lineTo(x1, b.top + b.height); }
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = v('--band-text');
            ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
            ctx.fillText(band.label + ' ' + band.title + (band.open ? ' →' : ''), x0 + 4 * dpr, b.top + (12 + 13 * (i % 3)) * dpr);
          });
          ctx.restore();
        }],
      },
    };
  }

  // A TCP flow's time–sequence graph: points only, a series per kind (sent, retransmitted,
  // dropped, reset), y in bytes of sequence space.
  var traceStyle = {
    sent: { stroke: '--s1', size: 3 },
    retransmitted: { stroke: '--s2', size: 6 },
    dropped: { stroke: '--fail', size: 8 },
    reset: { stroke: '--s4', size: 10 },
  };
  function buildTrace(el, spec) {
    var bytes = function (y) {
      var a = Math.abs(y);
      return a >= 1e6 ? num(y / 1e6, 2) + ' MB' : a >= 1e3 ? num(y / 1e3, 1) + ' kB' : num(y, 0) + ' B';
    };
    var opts = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      plugins: [bandsPlugin(spec.bands)],
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; } } },
      axes: [
        { stroke: v('--axis'), grid: { stroke: v('--grid') }, ticks: { stroke: v('--grid') }, values: function (u, xs) { return xs.map(function (x) { return x == null ? '' : num(x, 3) + 's'; }); } },
        { stroke: v('--axis'), grid: { stroke: v('--grid') }, ticks: { stroke: v('--grid') }, size: 70, values: function (u, ys) { return ys.map(function (y) { return y == null ? '' : bytes(y); }); } },
      ],
      series: [{ label: 'time', value: function (u, x) { return x == null ? '—' : num(x, 4) + 's'; } }].concat(
        spec.series.map(function (s) {
          var style = traceStyle[s.kind] || traceStyle.sent;
          var color = v(style.stroke) || palette[0];
          return {
            label: s.label,
            stroke: color,
            fill: color,
            paths: function () { return null; },
            points: { show: true, size: style.size, stroke: color, fill: color },
            value: function (u, y) { return y == null ? '—' : bytes(y); },
          };
        })
      ),
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    return new uPlot(opts, [spec.x].concat(spec.series.map(function (s) { return s.values; })), el);
  }

  function build(el) {
    var spec = charts[el.getAttribute('data-chart')];
    if (!spec) return;
    if (spec.kind === 'tcptrace') {
      spec = Object.assign({}, spec, { x: axes[spec.x] });
      built.push({ el: el, plot: buildTrace(el, spec) });
      el.setAttribute('data-drawn', 'true');
      return;
    }
    var width = Math.max(280, el.clientWidth);
    var f = spec.kind === 'cdf' ? function (x) { return num(x, 1) + '%'; } : formatter(spec.unit);
    var xf = spec.kind === 'cdf' ? fmtMs : function (x) { return num(x, 2) + 's'; };
    var opts = {
      width: width,
      height: 230,
      plugins: spec.kind === 'time' ? [bandsPlugin(spec.bands)] : [],
      scales: {
        x: spec.kind === 'cdf' ? { time: false, distr: spec.log ? 3 : 1 } : { time: false },
        y: spec.kind === 'cdf' ? { range: [0, 100] } : { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.08 : 1]; } },
      },
      axes: [
        { stroke: v('--axis'), grid: { stroke: v('--grid') }, ticks: { stroke: v('--grid') }, values: function (u, xs) { return xs.map(function (x) { return x == null ? '' : xf(x); }); } },
        { stroke: v('--axis'), grid: { stroke: v('--grid') }, ticks: { stroke: v('--grid') }, size: 70, values: function (u, ys) { return ys.map(function (y) { return y == null ? '' : f(y); }); } },
      ],
      series: [{ label: spec.kind === 'cdf' ? 'latency' : 'time', value: function (u, x) { return x == null ? '—' : xf(x); } }].concat(
        spec.series.map(function (s, i) {
          var series = {
            label: s.label,
            stroke: palette[i % palette.length],
            dash: dashes[i % dashes.length],
            width: 1.5,
            spanGaps: spec.kind === 'cdf',
            value: valueText(f),
            points: { show: false },
          };
          if (spec.kind === 'cdf') series.paths = uPlot.paths.stepped({ align: 1 });
          return series;
        })
      ),
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    var data = [axes[spec.x]].concat(spec.series.map(function (s) { return s.values; }));
    var plot = new uPlot(opts, data, el);
    el.setAttribute('data-drawn', 'true');
    built.push({ el: el, plot: plot });
  }

  // Inside a closed <details> a chart has no real width: it is drawn when its details open.
  function shown(el) {
    for (var d = el.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) {
      if (!d.open) return false;
    }
    return el.clientWidth > 0;
  }

  function drawVisible(root) {
    var els = root.querySelectorAll('[data-chart]:not([data-drawn])');
    for (var i = 0; i < els.length; i++) {
      if (shown(els[i])) build(els[i]);
    }
  }

  document.querySelectorAll('details').forEach(function (d) {
    d.addEventListener('toggle', function () { if (d.open) drawVisible(d); });
  });
  drawVisible(document);

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      built.forEach(function (b) {
        if (b.el.clientWidth > 0) b.plot.setSize({ width: Math.max(280, b.el.clientWidth), height: 230 });
      });
    }, 150);
  });

  // Choosing a flow shows its time–sequence graph (drawn the first time it is shown).
  document.querySelectorAll('select[data-trace-select]').forEach(function (select) {
    select.addEventListener('change', function () {
      var figure = select.closest('figure');
      figure.querySelectorAll('[data-trace-panel]').forEach(function (panel) {
        panel.hidden = panel.getAttribute('data-trace-panel') !== select.value;
      });
      drawVisible(figure);
    });
  });

  function setAll(open) {
    document.querySelectorAll('details.scenario').forEach(function (d) { d.open = open; });
  }
  var expand = document.getElementById('expand-all');
  var collapse = document.getElementById('collapse-all');
  if (expand) expand.addEventListener('click', function () { setAll(true); });
  if (collapse) collapse.addEventListener('click', function () { setAll(false); });
})();
`;
