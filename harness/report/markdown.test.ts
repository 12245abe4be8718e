import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendStepSummary, renderMarkdown } from './markdown.js';
import { createSampleRun } from './testing/sample-results.js';

describe('renderMarkdown', () => {
  const run = createSampleRun({ hostile: true });
  const text = renderMarkdown(run);
  const tableRows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| |'));

  it('heads with the verdict and run facts', () => {
    expect(text.startsWith('## ✘ faultline: 7 scenarios: 3 passed, 1 failed, 1 errored, 1 interrupted, 1 skipped\n')).toBe(true);
    expect(text).toContain('Run seed `1234` · 32.6s · embedded backend');
  });

  it('has one table row per scenario, each with exactly five cells', () => {
    expect(tableRows).toHaveLength(run.scenarios.length);
    for (const row of tableRows) {
      const cells = row.replace(/\\\|/g, '').split('|').slice(1, -1);
      expect(cells).toHaveLength(5);
    }
    expect(text).toContain('| ✔ | tcp-vs-udp-random-loss<br>`scenarios/loss.yaml` | passed | 5.41s | **tcp** lost 0% · p99 rtt 12.4ms<br>**udp** lost 9.85% · p99 rtt 776µs |');
    expect(text).toContain('| ✔ | naive-server-framing-bug<br>`scenarios/naive-server.yaml` | passed (expect: fail) |');
  });

  it('explains what did not pass: expected vs observed, why, replay', () => {
    expect(text).toContain('### Did not pass');
    expect(text).toContain('- **udp&lt;script&gt;: duplicated\\_ratio \\~ 5% at 99% &lt;&amp;&gt;** — expected consistent with 5% \\(99% interval 4.21%–5.93%\\), observed 8.1% \\(243 of 3000\\)');
    expect(text).toContain('- **\\[TARGET\\_FAILED\\] target "app" exited');
    expect(text).toContain("- replay: `npx faultline run scenarios/app.yaml --grep '^app-under-reset$' --seed 1234`");
    expect(text).toContain('#### ■ partition-heals — interrupted');
  });

  it('lets no markup through (code spans are literal on GitHub)', () => {
    const outsideCode = text.replace(/`[^`]*`/g, '');
    expect(outsideCode).not.toContain('<img');
    expect(outsideCode).not.toContain('<script');
    expect(outsideCode).not.toContain('</script');
    expect(text).toContain('dup &lt;img src=x onerror=alert\\(1\\)&gt; &amp; "quotes" \'apos\'');
  });

  it('stays bounded for huge runs (GitHub: 1 MiB per step summary)', () => {
    const base = createSampleRun();
    const scenarios = Array.from({ length: 5000 }, (_, i) => ({ ...base.scenarios[i % base.scenarios.length]!, name: `s${i}`, id: `f#s${i}` }));
    const big = renderMarkdown({ ...base, scenarios });
    expect(big.length).toBeLessThan(1_048_576);
    expect(big).toContain('more scenarios (all passed or skipped) are in the HTML report');
    expect(big).toContain('more are detailed in the HTML report');
    const cut = renderMarkdown({ ...base, scenarios }, { maxRows: 10_000, maxDetails: 10_000, maxChars: 50_000 });
    expect(cut.length).toBeLessThanOrEqual(50_000);
    expect(cut).toContain('Summary cut at 50000 characters');
  });
});

describe('appendStepSummary', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-md-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends to $GITHUB_STEP_SUMMARY when it is set, and does nothing otherwise', async () => {
    const file = join(dir, 'step-summary.md');
    writeFileSync(file, '# earlier step\n');
    expect(await appendStepSummary('## hello\n', {})).toBeUndefined();
    expect(await appendStepSummary('## hello\n', { GITHUB_STEP_SUMMARY: file })).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe('# earlier step\n## hello\n\n');
  });
});
