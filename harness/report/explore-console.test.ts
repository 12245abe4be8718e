import { describe, expect, it } from 'vitest';
import type { ExploreProgress } from '../core/exploration.js';
import { createExploreConsole } from './explore-console.js';
import { createExploredRun, wireExplorations } from './testing/sample-explorations.js';

function capture(tty: boolean) {
  let text = '';
  const stream = { write: (chunk: string) => (text += chunk), isTTY: tty, columns: 100 };
  return { console: createExploreConsole({ stream, env: { NO_COLOR: '1' } }), text: () => text };
}

const progress = (over: Partial<ExploreProgress>): ExploreProgress => ({
  scenario: 's',
  phase: 'search',
  schedulesTried: 0,
  budget: 100,
  runs: 0,
  failures: 0,
  flaky: 0,
  shrinkSteps: 0,
  elapsedMs: 1500,
  ...over,
});

describe('the explore console', () => {
  const [found, passed] = createExploredRun().explorations!;

  it('without a terminal: events as lines, progress every ten schedules', () => {
    const { console, text } = capture(false);
    console.start({ scenario: 'retry-budget', file: 'scenarios/explore/retry-budget.yaml', seed: 134 });
    for (let n = 1; n <= 20; n++) console.onProgress!(progress({ schedulesTried: n, runs: n + 1 }));
    console.onFailure!({ phase: 'search', step: found!.shrinkPath[0]! });
    console.onFailure!({ phase: 'shrink', step: found!.shrinkPath[1]! });
    console.onFlaky!(found!.flaky[0]!);
    console.finish(found!);
    console.finish(passed!);
    console.printFiles(['reports/explore/results.json']);
    expect(text().split('\n')).toEqual([
      '▶ explore retry-budget (scenarios/explore/retry-budget.yaml) · seed 134',
      '  searching · 10/100 schedules · 11 runs · 0 failures · 0 flaky · 1.5s',
      '  searching · 20/100 schedules · 21 runs · 0 failures · 0 flaky · 1.5s',
      '  ✘ failure found by the search: schedule #2 (3/3 runs failed):',
      '      F1 dep down at 0ms for 200ms',
      '      F2 latency upstream on dep (latency 400, jitter 0) at 200ms for 500ms',
      '      F3 dep down at 100ms for 200ms',
      '  ↓ shrink step 1 (3/3 runs failed): removed F3 (dep down at 100ms for 200ms)',
      '  ~ flaky 1 of 3 runs failed, not a finding: latency upstream on dep (latency 100, jitter 0) at 0ms for 400ms',
      '✘ FAILED retry-budget: a minimal schedule of 2 faults, shrunk in 2 steps · 44 runs in 33.17s · 1 flaky candidate (not findings)',
      '    F1 dep down at 0ms for 200ms',
      '    F2 latency upstream on dep (latency 200, jitter 0) at 0ms for 400ms',
      '    reproduce: npx faultline run reports/explore/retry-budget.min.yaml',
      '    replay:    npx faultline explore scenarios/explore/retry-budget.yaml --seed 134 --path 2:1:1',
      '    note: a note',
      '✔ PASSED always-passes: no schedule failed in 200 of 200 (the budget ran out) · 201 runs in 33.17s',
      'reports: reports/explore/results.json',
      '',
    ]);
  });

  it('names wire paths, and says why a scenario was skipped', () => {
    const { console, text } = capture(false);
    const { flaky, skipped } = wireExplorations();
    console.onFlaky!(flaky.flaky[0]!);
    console.finish(skipped);
    expect(text().split('\n')).toEqual([
      '  ~ flaky 2 of 3 runs failed, not a finding: mtu downstream on wire path net (mtu 1200) at 0ms for 200ms',
      '○ SKIPPED wire-echo: the wire layer is unavailable here: creating network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN',
      '',
    ]);
  });

  it('on a terminal: one progress line redrawn in place, cleared before each event', () => {
    const { console, text } = capture(true);
    console.onProgress!(progress({ phase: 'shrink', shrinkSteps: 3, runs: 40, failures: 4 }));
    console.onProgress!(progress({ phase: 'shrink', shrinkSteps: 4, runs: 43, failures: 5 }));
    console.finish(passed!);
    expect(text()).toContain('\r\u001b[K⠋ shrinking · step 3 · 40 runs · 4 failures · 0 flaky · 1.5s');
    expect(text()).toContain('\r\u001b[K⠙ shrinking · step 4 · 43 runs');
    expect(text()).toContain('\r\u001b[K✔ PASSED always-passes');
  });
});
