import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScenarioStartEvent } from '../core/run-events.js';
import { createConsoleReporter, renderConsoleSummary, shouldUseColor, truncateLine } from './console.js';
import type { ConsoleReporter } from './console.js';
import { createSampleRun } from './testing/sample-results.js';

class Capture {
  text = '';
  columns = 80;
  constructor(readonly isTTY: boolean) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

const run = createSampleRun({ hostile: true });
const start = (index: number): ScenarioStartEvent => {
  const s = run.scenarios[index]!;
  return { id: s.id, name: s.name, file: s.file, seed: s.seed, index, total: run.scenarios.length };
};

let reporter: ConsoleReporter | undefined;
afterEach(() => reporter?.close());

describe('live console reporter', () => {
  it('prints plain lines without a TTY: a start line and a verdict line per scenario', () => {
    const out = new Capture(false);
    reporter = createConsoleReporter({ stream: out, env: {}, now: () => 0 });
    reporter.onRunStart?.({ seed: 1234, startedAt: run.run.startedAt, command: run.run.command, scenarios: run.scenarios.map((s) => ({ id: s.id, name: s.name })) });
    reporter.onScenarioStart?.(start(0));
    reporter.onScenarioProgress?.({ id: run.scenarios[0]!.id, phase: 'running', elapsedMs: 10, counts: { messages_sent_total: 5 } });
    reporter.onScenarioEnd?.(run.scenarios[0]!);
    reporter.onScenarioStart?.(start(2));
    reporter.onScenarioEnd?.(run.scenarios[2]!);
    reporter.onRunEnd?.(run);
    expect(out.text).not.toMatch(ANSI);
    expect(out.text.split('\n')).toEqual([
      'faultline: running 7 scenarios with seed 1234',
      '▶ [1/7] tcp-vs-udp-random-loss (scenarios/loss.yaml)',
      '✔ PASSED [1/7] tcp-vs-udp-random-loss 5.41s · tcp: lost 0% p99 rtt 12.4ms | udp: lost 9.85% p99 rtt 776µs',
      `▶ [3/7] ${run.scenarios[2]!.name} (scenarios/duplicates.yaml)`,
      `✘ FAILED [3/7] ${run.scenarios[2]!.name} 4.02s · udp<script>: lost 0% reordered 0.4% duplicated 8.1% p99 one_way_delay 629µs`,
      '    → udp<script>: duplicated_ratio ~ 5% at 99% <&>',
      '',
    ]);
  });

  it('on a TTY redraws a progress block in place, in colour unless NO_COLOR', () => {
    let now = 1000;
    const out = new Capture(true);
    out.columns = 200;
    reporter = createConsoleReporter({ stream: out, env: {}, now: () => now, redrawIntervalMs: 0 });
    reporter.onScenarioStart?.(start(0));
    reporter.onScenarioStart?.(start(1));
    now += 1500;
    reporter.onScenarioProgress?.({ id: run.scenarios[0]!.id, phase: 'running', elapsedMs: 1500, counts: { messages_sent_total: 1200, messages_received_total: 1187, bytes_sent_total: 1, errors_total: 0 } });
    reporter.onFaultApplied?.({ scenarioId: run.scenarios[0]!.id, action: 'applied', atMs: 1000, fault: run.scenarios[0]!.faults[0]! });
    reporter.onScenarioProgress?.({ id: run.scenarios[0]!.id, phase: 'running', elapsedMs: 1600 });
    const beforeEnd = out.text;
    reporter.onScenarioEnd?.(run.scenarios[0]!);
    expect(out.text).toContain('\u001b[32m✔ PASSED\u001b[39m');
    // the block (two lines) is erased before the permanent line is printed
    expect(out.text.slice(beforeEnd.length)).toMatch(/^\u001b\[2F\u001b\[J/);
    const plain = out.text.replace(ANSI, '');
    expect(plain).toContain('[1/7] tcp-vs-udp-random-loss · running · 1.5s · sent 1,200 received 1,187 errors 0 · 1 fault applied');
    expect(plain).toContain('[2/7] latency-under-jitter · starting');
    reporter.close();
    expect(out.text.endsWith('\u001b[1F\u001b[J')).toBe(true);

    const noColor = new Capture(true);
    reporter = createConsoleReporter({ stream: noColor, env: { NO_COLOR: '1' }, now: () => now, redrawIntervalMs: 0 });
    reporter.onScenarioStart?.(start(0));
    reporter.onScenarioEnd?.(run.scenarios[0]!);
    expect(noColor.text).not.toContain('\u001b[32m');
    expect(noColor.text).toContain('\u001b[J');
  });

  it('ticks the elapsed time on a timer while scenarios run, and leaves no timer behind', () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const out = new Capture(true);
      reporter = createConsoleReporter({ stream: out, env: { NO_COLOR: '1' }, now: () => now, redrawIntervalMs: 250 });
      reporter.onScenarioStart?.(start(0));
      expect(vi.getTimerCount()).toBe(1);
      now = 2000;
      vi.advanceTimersByTime(250);
      expect(out.text).toContain('starting · 2s');
      reporter.onScenarioEnd?.(run.scenarios[0]!);
      expect(vi.getTimerCount()).toBe(0);
      reporter.onScenarioStart?.(start(1));
      reporter.onRunEnd?.(run);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps progress lines within the terminal width', () => {
    const out = new Capture(true);
    out.columns = 40;
    reporter = createConsoleReporter({ stream: out, env: { NO_COLOR: '1' }, now: () => 0, redrawIntervalMs: 0 });
    reporter.onScenarioStart?.(start(2));
    const line = out.text.split('\n')[0]!;
    expect([...line].length).toBeLessThanOrEqual(39);
    expect(line.endsWith('…')).toBe(true);
  });

  it('never lets user text move the cursor', () => {
    const out = new Capture(false);
    reporter = createConsoleReporter({ stream: out, env: {} });
    const evil = { ...run.scenarios[0]!, name: 'x\u001b[2J\u001b]0;pwned\u0007y\r\u009b2Jz' };
    reporter.onScenarioEnd?.(evil);
    expect(out.text).toContain('xy2Jz');
    expect(out.text).not.toContain('\u001b[2J');
    expect(out.text).not.toContain('\r');
    expect(out.text).not.toContain('\u009b');
  });
});

describe('colour decision', () => {
  it('NO_COLOR wins, FORCE_COLOR forces, else the TTY decides', () => {
    expect(shouldUseColor(true, {})).toBe(true);
    expect(shouldUseColor(false, {})).toBe(false);
    expect(shouldUseColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor(true, { NO_COLOR: '' })).toBe(true);
    expect(shouldUseColor(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldUseColor(false, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldUseColor(true, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });
});

describe('renderConsoleSummary', () => {
  const text = renderConsoleSummary(run, { files: { json: 'reports/results.json', html: 'reports/index.html' } });

  it('explains each failure with expected vs observed, why, where and the replay command', () => {
    expect(text).toContain(`✘ FAILED ${run.scenarios[2]!.name} scenarios/duplicates.yaml 4.02s`);
    expect(text).toContain('    ✘ udp<script>: duplicated_ratio ~ 5% at 99% <&>');
    expect(text).toContain('        expected: consistent with 5% (99% interval 4.21%–5.93%)');
    expect(text).toContain('        observed: 8.1% (243 of 3000)');
    expect(text).toContain('        at scenarios/duplicates.yaml:18:7: assert.udp[0]');
    expect(text).toContain(`    replay: ${run.scenarios[2]!.replay}`);
    expect(text).toContain('⚠ ERRORED app-under-reset');
    expect(text).toContain('        hint: another process holds the port');
    expect(text).toContain('■ INTERRUPTED partition-heals');
  });

  it('ends with the counts, the seed and where the reports are', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-3)).toBe('✘ 7 scenarios: 3 passed, 1 failed, 1 errored, 1 interrupted, 1 skipped in 32.6s · seed 1234');
    expect(lines.at(-2)).toBe('■ interrupted: results are partial');
    expect(lines.at(-1)).toBe('reports: reports/results.json, reports/index.html');
  });

  it('lists failures first, and passed scenarios not at all', () => {
    expect(text.indexOf('FAILED')).toBeLessThan(text.indexOf('ERRORED'));
    expect(text).not.toContain('PASSED');
    expect(text).not.toMatch(ANSI);
  });
});

describe('truncateLine', () => {
  it('counts visible characters only', () => {
    expect(truncateLine('\u001b[31mabcdef\u001b[39m', 4)).toBe('\u001b[31mabc…\u001b[0m');
    expect(truncateLine('abc', 4)).toBe('abc');
    expect(truncateLine('日本語テキスト', 4)).toBe('日本語…');
  });
});
