/**
 * The report's static charts, drawn as inline SVG at render time (they need no script): the
 * fault timeline of a scenario (a row per fault: planned window dashed, applied..removed window
 * shaded, labelled F1, F2… like the bands over the time-series charts), and the TCP vs UDP
 * comparison bars. Every bar carries its value as text and protocols differ by fill pattern, so
 * colour is never the only signal; each SVG has a <title> and <desc> for screen readers.
 */
import type { ComparisonRow, ScenarioResult } from '../core/result.js';
import { faultLabel } from './chart-data.js';
import { escapeHtml as esc } from './escape.js';
import { formatAtMs, formatPercent } from './format.js';
import { describeFault, describeFaultShort, describeFaultWindow } from './scenario-facts.js';

const WIDTH = 1000;
const LABEL_WIDTH = 300;

/** Definitions shared by every SVG on the page (the UDP hatch pattern); emitted once. */
export const SVG_DEFS = `<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs><pattern id="hatch-udp" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern></defs></svg>`;

/** Fault timeline of a scenario, or '' when it has no faults. */
export function faultTimelineSvg(s: ScenarioResult, idPrefix: string): string {
  if (s.faults.length === 0) return '';
  const ends = s.faults.flatMap((f) => [f.plannedUntilMs ?? 0, f.removedAtMs ?? 0, f.appliedAtMs ?? 0, f.plannedAtMs]);
  const spanMs = Math.max(s.durationMs, ...ends, 1);
  const plot = WIDTH - LABEL_WIDTH - 20;
  const x = (ms: number) => LABEL_WIDTH + (Math.max(0, ms) / spanMs) * plot;
  const rowHeight = 26;
  const top = 8;
  const height = top + s.faults.length * rowHeight + 30;
  const parts: string[] = [];
  const titleId = `${idPrefix}-title`;
  const descId = `${idPrefix}-desc`;
  parts.push(`<svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-labelledby="${titleId} ${descId}" preserveAspectRatio="xMinYMin meet">`);
  parts.push(`<title id="${titleId}">Fault timeline</title>`);
  parts.push(`<desc id="${descId}">${esc(s.faults.map((f, i) => `${faultLabel(i)}: ${describeFault(f)}, ${describeFaultWindow(f)}`).join('; '))}</desc>`);
  // time axis with about 8 ticks at round seconds
  const step = niceStep(spanMs / 8);
  const axisY = top + s.faults.length * rowHeight + 4;
  for (let t = 0; t <= spanMs + 1e-9; t += step) {
    parts.push(`<line class="gridline" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${axisY}"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${esc(formatTick(t, step))}</text>`);
  }
  parts.push(`<line class="axis" x1="${LABEL_WIDTH}" x2="${LABEL_WIDTH + plot}" y1="${axisY}" y2="${axisY}"/>`);
  s.faults.forEach((f, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="4" y="${y + 17}">${esc(truncate(`${faultLabel(i)} ${describeFaultShort(f)}`, 44))}<title>${esc(`${faultLabel(i)} ${describeFault(f)}`)}</title></text>`);
    const plannedEnd = f.plannedUntilMs ?? s.durationMs;
    parts.push(`<rect class="planned" x="${x(f.plannedAtMs).toFixed(1)}" y="${y + 3}" width="${Math.max(1, x(plannedEnd) - x(f.plannedAtMs)).toFixed(1)}" height="${rowHeight - 6}"><title>planned ${esc(formatAtMs(f.plannedAtMs))} → ${esc(f.plannedUntilMs === undefined ? 'end' : formatAtMs(f.plannedUntilMs))}</title></rect>`);
    if (f.appliedAtMs !== undefined) {
      const end = f.removedAtMs ?? s.durationMs;
      parts.push(`<rect class="band" x="${x(f.appliedAtMs).toFixed(1)}" y="${y + 6}" width="${Math.max(2, x(end) - x(f.appliedAtMs)).toFixed(1)}" height="${rowHeight - 12}"><title>${esc(describeFaultWindow(f))}</title></rect>`);
      const until = f.removedAtMs !== undefined ? formatAtMs(f.removedAtMs) : f.plannedUntilMs !== undefined ? 'not removed' : 'end';
      const text = `${formatAtMs(f.appliedAtMs)} → ${until}`;
      parts.push(`<text x="${(x(f.appliedAtMs) + 4).toFixed(1)}" y="${y + 17}">${esc(text)}</text>`);
    } else {
      parts.push(`<text x="${(x(f.plannedAtMs) + 4).toFixed(1)}" y="${y + 17}">${esc(f.error ? `not applied: ${f.error.code}` : 'never applied')}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

const RATIOS: Array<[keyof ComparisonRow, string]> = [
  ['delivered_ratio', 'delivered'],
  ['lost_ratio', 'lost'],
  ['reordered_ratio', 'reordered'],
  ['duplicated_ratio', 'duplicated'],
  ['corrupted_ratio', 'corrupted'],
];

/** Horizontal bars of each comparison ratio per workload (0..100%), or '' without rows. */
export function comparisonSvg(rows: readonly ComparisonRow[], idPrefix: string): string {
  if (rows.length === 0) return '';
  const metrics = RATIOS.filter(([key]) => rows.some((r) => typeof r[key] === 'number'));
  const barHeight = 16;
  const groupGap = 12;
  const labelWidth = 260;
  const plot = WIDTH - labelWidth - 90;
  const height = 10 + metrics.length * (rows.length * (barHeight + 3) + groupGap) + 24;
  const titleId = `${idPrefix}-title`;
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-labelledby="${titleId}" preserveAspectRatio="xMinYMin meet">`);
  parts.push(`<title id="${titleId}">Comparison of ${esc(rows.map((r) => `${r.workload} (${r.protocol.toUpperCase()})`).join(' and '))}: share of messages delivered, lost, reordered, duplicated and corrupted</title>`);
  let y = 10;
  for (const [key, name] of metrics) {
    rows.forEach((row, i) => {
      const value = row[key] as number | null;
      const label = `${name} · ${row.workload} (${row.protocol.toUpperCase()})`;
      parts.push(`<text x="4" y="${y + 12}">${i === 0 ? `<tspan font-weight="600">${esc(name)}</tspan> · ` : ''}${esc(truncate(`${row.workload} (${row.protocol.toUpperCase()})`, 30))}</text>`);
      const w = value === null ? 0 : Math.max(value > 0 ? 1 : 0, value * plot);
      parts.push(`<rect class="bar-${row.protocol === 'udp' ? 'udp' : 'tcp'}" x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}"><title>${esc(`${label}: ${formatPercent(value)}`)}</title></rect>`);
      parts.push(`<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 12}">${esc(formatPercent(value))}</text>`);
      y += barHeight + 3;
    });
    y += groupGap;
  }
  parts.push(`<line class="axis" x1="${labelWidth}" x2="${labelWidth}" y1="6" y2="${y - groupGap + 2}"/>`);
  for (const p of [0, 0.5, 1]) {
    parts.push(`<text x="${(labelWidth + p * plot).toFixed(1)}" y="${y + 8}" text-anchor="middle">${p * 100}%</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function niceStep(raw: number): number {
  const steps = [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  return steps.find((s) => s >= raw) ?? Math.ceil(raw / 3_600_000) * 3_600_000;
}

function formatTick(ms: number, step: number): string {
  return step < 1000 ? `${(ms / 1000).toFixed(step < 100 ? 2 : 1)}s` : `${Math.round(ms / 1000)}s`;
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
