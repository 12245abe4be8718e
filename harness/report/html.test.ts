import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunResult } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { reduceForEmbedding } from './embed.js';
import { renderHtml } from './html.js';
import { createLargeRun, createSampleRun, SAMPLE_FIXTURES_DIR } from './testing/sample-results.js';
import { markup } from './testing/markup.js';

function jsonBlock(html: string, id: string): unknown {
  const match = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  expect(match, `block #${id}`).not.toBeNull();
  return JSON.parse(match![1]!);
}


describe('renderHtml', () => {
  const run = createSampleRun({ hostile: true });
  const html = renderHtml(run, { generatedAt: '2025-06-01T12:01:00Z' });
  const page = markup(html);

  it('escapes everything user-provided: no hostile markup survives', () => {
    expect(html).not.toContain('<img src=x onerror=alert(1)>');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('<b>markup</b>');
    expect(html).not.toContain('udp<script>');
    expect(page).toContain('dup &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;apos&#39;');
    // the only script elements are the page's own four
    expect(html.match(/<script\b/g)).toHaveLength(4);
    // eslint-disable-next-line no-control-regex
    expect(page).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });

  it('references nothing outside the file: no src, no external href, no url(), a CSP that forbids requests', () => {
    expect(page).not.toMatch(/<[a-z][^>]*\ssrc\s*=/i);
    const hrefs = [...page.matchAll(/\shref\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
    for (const href of hrefs) expect(href).toMatch(/^(#|data:)/);
    expect(html).not.toMatch(/url\(\s*['"]?(https?:|\/\/)/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
  });

  it('embeds the bounded result, which reads back as a RunResult', () => {
    const embedded = jsonBlock(html, 'faultline-result');
    expect(embedded).toEqual(JSON.parse(JSON.stringify(reduceForEmbedding(run))));
    expect(parseRunResult(JSON.stringify(embedded)).scenarios).toHaveLength(run.scenarios.length);
  });

  it('every chart placeholder has its data, and every chart is placed', () => {
    const data = jsonBlock(html, 'faultline-charts') as { axes: number[][]; charts: Record<string, { x: number; series: Array<{ values: unknown[] }> }> };
    const placed = [...html.matchAll(/data-chart="(c\d+)"/g)].map((m) => m[1]!);
    expect(placed.sort()).toEqual(Object.keys(data.charts).sort());
    for (const chart of Object.values(data.charts)) {
      const x = data.axes[chart.x]!;
      expect(x.length).toBeGreaterThan(0);
      for (const s of chart.series) expect(s.values).toHaveLength(x.length);
    }
  });

  it('opens the scenarios that did not pass and keeps the others collapsed', () => {
    for (const [i, s] of run.scenarios.entries()) {
      const tag = new RegExp(`<details class="scenario[^"]*" id="scenario-${i + 1}" data-status="${s.status}"( open)?>`).exec(html);
      expect(tag, s.name).not.toBeNull();
      expect(Boolean(tag![1]), s.name).toBe(['failed', 'errored', 'interrupted'].includes(s.status));
    }
  });

  it('shows the facts: overview counts, verdicts, calibration, comparison, ledger, target output, replay', () => {
    expect(page).toContain('✘ Run failed: 7 scenarios: 3 passed, 1 failed, 1 errored, 1 interrupted, 1 skipped');
    expect(page).toContain('<td>consistent with 5% (99% interval 4.21%–5.93%)</td><td>8.1% (243 of 3000)</td>');
    expect(page).toContain('asked 10% loss_ratio, got 9.85% ± 1.31 (95% wilson interval 8.62%–11.2%, 2,000 samples)');
    expect(page).toContain('✔ requested value inside the interval');
    expect(page).toContain('<h3>Protocol comparison</h3>');
    expect(page).toContain('Ledger: what the injector did');
    expect(page).toContain('activations 2,000, dropped_loss 197');
    expect(page).toContain('starting &lt;server&gt; &amp; &quot;friends&quot;\nbellnul');
    expect(page).toContain('warning: unknown command');
    expect(page).not.toContain('[31mwarning');
    expect(page).toContain(`<pre><code>npx faultline run scenarios/loss.yaml --grep &#39;^tcp-vs-udp-random-loss$&#39; --seed 1234</code></pre>`);
    expect(page).toContain('<h3>Why it errored</h3><p><code>TARGET_FAILED</code>');
    expect(page).toContain('expected to fail, and it did');
  });

  it('is deterministic for a given input and generation time', () => {
    expect(renderHtml(run, { generatedAt: '2025-06-01T12:01:00Z' })).toBe(html);
  });

  it('keeps 20 scenarios × 100k-bucket series under 5 MB', () => {
    const large = createLargeRun({ scenarios: 20, buckets: 100_000 });
    const started = performance.now();
    const big = renderHtml(large);
    const elapsedMs = performance.now() - started;
    const bytes = Buffer.byteLength(big, 'utf8');
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    expect(big).toContain('Downsampled: 100,000 buckets drawn as 800 min/max points.');
    // A generous bound on 2 shared cores; measured about 0.5–1 s.
    expect(elapsedMs).toBeLessThan(15_000);
  });
});

describe('a result recorded from a real run', () => {
  // fixtures/results/recorded/tcp-vs-udp-loss.json: `faultline run` of
  // fixtures/scenarios/valid/tcp-vs-udp-loss.yaml (seed 42) on the embedded proxy, paths made relative.
  const recorded = parseRunResult(readFileSync(join(SAMPLE_FIXTURES_DIR, 'recorded', 'tcp-vs-udp-loss.json'), 'utf8'));

  it('renders in every format with its real facts', () => {
    const page = markup(renderHtml(recorded));
    expect(page).toContain('✔ PASSED</span> tcp-vs-udp-random-loss');
    expect(page).toMatch(/asked 10% loss_ratio, got [\d.]+% ± [\d.]+ \(95% wilson interval/);
    expect(page).toContain('stream-level emulation');
    expect(renderJunit(recorded)).toContain('<testsuite name="fixtures/scenarios/valid/tcp-vs-udp-loss.yaml"');
    expect(renderMarkdown(recorded)).toContain('| ✔ | tcp-vs-udp-random-loss');
    const charts = jsonBlock(renderHtml(recorded), 'faultline-charts') as { charts: Record<string, { title: string }> };
    expect(Object.values(charts.charts).map((c) => c.title)).toContain('Latency distribution (CDF)');
  });
});
