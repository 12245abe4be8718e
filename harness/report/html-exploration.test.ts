import { describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { parseRunResult, renderJson } from './json.js';
import { mergeRunResults } from './merge.js';
import { createSampleRun } from './testing/sample-results.js';
import { createExploredRun, wireExplorations } from './testing/sample-explorations.js';
import { markup } from './testing/markup.js';
import type { ScenarioExploration } from '../core/exploration.js';


describe('the exploration section of index.html', () => {
  const run = createExploredRun();
  const page = markup(renderHtml(run, { generatedAt: '2025-06-01T12:01:00Z' }));
  const section = page.slice(page.indexOf('id="explorations-h"'), page.indexOf('aria-label="Scenarios"'));

  it('shows each exploration: facts, the fault space, the minimal schedule on a timeline, the shrink path, flaky candidates, replay', () => {
    expect(section).toContain('explore retry-budget');
    expect(section).toContain('a failure was found and shrunk');
    expect(section).toContain('<code>3061370123</code>');
    expect(section).toContain('44 (79.59 per minute, 1.02s each on average, 2 at a time)');
    expect(section).toContain('<li>up to 3 faults, starting at 0ms..300ms (7 values), lasting 200ms..500ms (7 values)</li>');
    expect(section).toContain('<td>latency upstream on dep (latency 200, jitter 0) at 0ms for 400ms</td>');
    expect(section).toMatch(/<figure><svg [^>]*role="img"/); // the minimal run's fault timeline
    expect(section).toContain('npx faultline run reports/explore/retry-budget.min.yaml');
    expect(section).toContain('<td>removed F3 (dep down at 100ms for 200ms)</td><td class="num">2</td><td class="num">3 of 3</td><td><code>2:1</code></td>');
    expect(section).toContain('F2 starts at 200ms → 0ms<br>F2 latency latency 400 → 200');
    expect(section).toContain('<td>shrink</td><td class="num">1 of 3</td>');
    expect(section).toContain('npx faultline explore scenarios/explore/retry-budget.yaml --seed 134 --path 2:1:1');
    // The passing one is collapsed; the finding open.
    expect(section).toMatch(/<details class="scenario bd-failed" id="exploration-1" data-status="failed" open>/);
    expect(section).toMatch(/<details class="scenario bd-passed" id="exploration-2" data-status="passed">/);
  });

  it('names wire paths, and shows a skipped exploration collapsed, with the reason', () => {
    const { flaky, skipped } = wireExplorations();
    const wirePage = markup(renderHtml({ ...run, explorations: [flaky, skipped] }));
    expect(wirePage).toContain('<td>mtu downstream on wire path net (mtu 1200) at 0ms for 200ms</td>');
    expect(wirePage).toMatch(/<details class="scenario bd-skipped" id="exploration-2" data-status="skipped">/);
    expect(wirePage).toContain('○ SKIPPED</span>: the wire layer is unavailable here: creating network namespaces needs CAP_NET_ADMIN');
  });

  it('shows why an exploration could not run as a scenario error is shown: where, the hint and every problem', () => {
    const [, passed] = run.explorations!;
    const errored: ScenarioExploration = {
      ...passed!,
      status: 'errored',
      stoppedBy: 'error',
      error: {
        code: 'INVALID_INPUT',
        message: 'the scenario has 2 problems',
        where: { file: 'scenarios/explore/retry-budget.yaml', line: 12, column: 5 },
        hint: 'faultline validate says the same, with the lines',
        problems: [{ file: 'scenarios/explore/retry-budget.yaml', line: 14, column: 9, message: 'unknown key "latncy"', hint: 'did you mean "latency"?' }],
      },
    };
    const erroredPage = markup(renderHtml({ ...run, explorations: [errored] }));
    expect(erroredPage).toContain('<h3>Why it could not run</h3><p><code>INVALID_INPUT</code> <strong>the scenario has 2 problems</strong></p>');
    expect(erroredPage).toContain('at scenarios/explore/retry-budget.yaml:12:5');
    expect(erroredPage).toContain('<li>scenarios/explore/retry-budget.yaml:14:9: unknown key &quot;latncy&quot; <span class="muted">(hint: did you mean &quot;latency&quot;?)</span></li>');
  });

  it('says how the schedule\'s F-numbers map onto the timeline when the scenario has faults of its own', () => {
    const found = run.explorations![0]!;
    const shown = run.scenarios.find((x) => x.id === found.minimal!.scenarioId)!;
    // The run's records: the scenario's own fault, then the schedule's two (faults[1], faults[2]).
    const faults = [0, 1, 2].map((k) => ({ ...shown.faults[0]!, id: `faults[${k}]` }));
    const withOwn = { ...run, scenarios: run.scenarios.map((x) => (x === shown ? { ...x, faults } : x)) };
    expect(section).not.toContain('after the scenario'); // the sample run has none of its own
    expect(markup(renderHtml(withOwn))).toContain("after the scenario's own fault: the schedule's F1–F2 are F2–F3 there");
  });

  it('is absent from a run without explorations', () => {
    expect(renderHtml(createSampleRun())).not.toContain('id="explorations-h"');
  });

  it('escapes every string an exploration carries', () => {
    const hostile = markup(renderHtml(createExploredRun({ hostile: true })));
    expect(hostile).not.toContain('<img src=x onerror=alert(1)>');
    expect(hostile).toContain('retry-budget &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
  });
});

describe('explorations in results.json', () => {
  it('read back as written', () => {
    const run = createExploredRun();
    expect(parseRunResult(renderJson(run)).explorations).toEqual(run.explorations);
    const { flaky, skipped } = wireExplorations();
    const wire = { ...run, explorations: [flaky, skipped] };
    expect(parseRunResult(renderJson(wire)).explorations).toEqual(wire.explorations);
  });

  it('are checked when present, every problem with its path', () => {
    const run = JSON.parse(renderJson(createExploredRun())) as Record<string, any>;
    run.explorations[1].status = 'found';
    delete run.explorations[1].seed;
    run.explorations[0].shrinkPath = 'steps';
    expect(() => parseRunResult(JSON.stringify(run))).toThrow(
      expect.objectContaining({
        problems: [
          expect.objectContaining({ path: 'explorations[0].shrinkPath', message: 'expected an array, got "steps"' }),
          expect.objectContaining({ path: 'explorations[1].status', message: 'expected one of "passed", "failed", "errored", "interrupted", "skipped", got "found"' }),
          expect.objectContaining({ path: 'explorations[1].seed', message: 'expected a number, got nothing' }),
        ],
      }),
    );
  });

  it('are kept by report merge, once each, whatever the order of the inputs', () => {
    const explored = createExploredRun();
    const twice = mergeRunResults([explored, explored]).explorations;
    expect(twice).toHaveLength(2);
    expect(twice).toEqual(expect.arrayContaining(explored.explorations!));
    const [first, second] = explored.explorations!;
    const a = { ...explored, scenarios: explored.scenarios.slice(0, 3), explorations: [second!] };
    const b = { ...explored, scenarios: explored.scenarios.slice(3), explorations: [first!] };
    expect(mergeRunResults([a, b]).explorations).toEqual(mergeRunResults([b, a]).explorations);
    expect(mergeRunResults([a, b]).explorations).toHaveLength(2);
    expect(mergeRunResults([createSampleRun(), createSampleRun()]).explorations).toBeUndefined();
  });
});
