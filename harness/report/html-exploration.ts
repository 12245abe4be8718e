/**
 * The report's exploration section (`faultline explore`, core/exploration.ts), one block per
 * scenario explored:
 *
 *   facts (status, seed, budget, runs, failures, runs per minute) · the fault space searched
 *   · the minimal schedule: its faults, drawn on the fault timeline of the run that reproduced it,
 *     and the command that re-runs the minimal scenario file
 *   · the shrink path step by step (what each step removed or lowered, how many runs failed)
 *   · flaky candidates (failed in some runs only: not findings) · replay, notes, error
 *
 * Every string is escaped (escapeHtml), like the rest of the page.
 */
import { describeExploredFault, reproduceCommand, type ScenarioExploration } from '../core/exploration.js';
import type { RunResult } from '../core/result.js';
import { escapeHtml as esc } from './escape.js';
import { errorDetails } from './html-error.js';
import { formatMs, formatNumber } from './format.js';
import { faultTimelineSvg } from './html-svg.js';
import { STATUS_LABEL } from './scenario-facts.js';

/** The section, or '' for a run without explorations. `anchorOf(i)` is scenario i's section id. */
export function explorationsSection(result: RunResult, anchorOf: (index: number) => string): string {
  const explorations = result.explorations ?? [];
  if (explorations.length === 0) return '';
  const blocks = explorations.map((e, i) => explorationBlock(e, i, result, anchorOf));
  return `<section aria-labelledby="explorations-h">
<h2 id="explorations-h">Exploration</h2>
<p>Fault schedules searched with fast-check, each run as the scenario; a failure counts only when it repeats in every confirmation run, and is then shrunk to a minimal schedule.</p>
${blocks.join('\n')}
</section>`;
}

const STOPPED_BY: Record<ScenarioExploration['stoppedBy'], string> = {
  runs: 'the budget of schedules ran out',
  time: 'the time budget ran out',
  shrunk: 'a failure was found and shrunk',
  error: 'a run could not be made (not a finding)',
  interrupt: 'interrupted',
  unavailable: 'not explored: a layer it needs is unavailable here',
};

function explorationBlock(e: ScenarioExploration, index: number, result: RunResult, anchorOf: (index: number) => string): string {
  const label = STATUS_LABEL[e.status];
  const anchor = `exploration-${index + 1}`;
  const perMinute = e.durationMs > 0 ? (e.runs * 60_000) / e.durationMs : 0;
  const facts: Array<[string, string]> = [
    ['Status', `<span class="st st-${e.status}">${label.symbol} ${label.word}</span>: ${esc(e.reason ?? STOPPED_BY[e.stoppedBy])}`],
    ['Scenario', `${esc(e.scenario)} <span class="muted">${esc(e.file)}</span>`],
    ['Seed (fast-check)', `<code>${e.seed}</code>`],
    ['Budget', esc(`${formatNumber(e.budget.runs)} schedules${e.budget.timeMs !== undefined ? ` or ${formatMs(e.budget.timeMs)}` : ''}`)],
    ['Schedules searched', esc(formatNumber(e.schedulesTried))],
    ['Scenario runs', esc(`${formatNumber(e.runs)} (${formatNumber(perMinute)} per minute, ${formatMs(e.meanRunMs)} each on average, ${e.parallel} at a time)`)],
    ['Confirmation', esc(`a failure counts when it fails ${e.confirm} of ${e.confirm} runs`)],
    ['Failures', esc(`${formatNumber(e.failures)} confirmed, ${formatNumber(e.flaky.length)} flaky`)],
    ['Took', esc(formatMs(e.durationMs))],
  ];
  const parts: string[] = [`<dl class="meta">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`];
  if (e.error) parts.push(`<div class="problem bd-errored" role="note">${errorDetails(e.error, 'Why it could not run')}</div>`);
  if (e.space.length > 0) parts.push(`<h4>Fault space</h4><ul>${e.space.map((line) => `<li>${esc(line)}</li>`).join('')}</ul>`);
  if (e.minimal) parts.push(minimalBlock(e, result, anchorOf, anchor));
  if (e.shrinkPath.length > 0) parts.push(shrinkPathBlock(e));
  if (e.flaky.length > 0) parts.push(flakyBlock(e));
  if (e.notes.length > 0) parts.push(`<h4>Notes</h4><ul>${e.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  parts.push(`<h4>Replay</h4><p>Runs this exploration again, exactly${e.minimal?.path ? ', straight to the minimal schedule' : ''}:</p><pre><code>${esc(e.replay)}</code></pre>`);
  const open = e.status !== 'passed' && e.status !== 'skipped';
  return `<details class="scenario bd-${e.status}" id="${anchor}" data-status="${e.status}"${open ? ' open' : ''}>
<summary><h3><span class="st st-${e.status}">${label.symbol} ${label.word}</span> explore ${esc(e.scenario)}</h3><span class="summary-line">${esc([e.file, `${formatNumber(e.runs)} runs`, formatMs(e.durationMs), `fast-check seed ${e.seed}`].join(' · '))}</span></summary>
<div class="body">
${parts.join('\n')}
</div>
</details>`;
}

function minimalBlock(e: ScenarioExploration, result: RunResult, anchorOf: (index: number) => string, anchor: string): string {
  const minimal = e.minimal!;
  const rows = minimal.schedule.faults.map((f, i) => `<tr><th scope="row">F${i + 1}</th><td>${esc(describeExploredFault(f))}</td></tr>`);
  const runIndex = result.scenarios.findIndex((s) => s.id === minimal.scenarioId);
  const run = runIndex >= 0 ? result.scenarios[runIndex] : undefined;
  const timeline = run
    ? `<figure>${faultTimelineSvg(run, `${anchor}-faults`)}<figcaption>The minimal schedule on the timeline of a run that failed with it${ownFaultsNote(run.faults.length, minimal.schedule.faults.length)}; the run is <a href="#${anchorOf(runIndex)}">below</a>.</figcaption></figure>`
    : '';
  const reproduce = minimal.file ? `<p>Re-runs the failure from the minimal scenario file:</p><pre><code>${esc(reproduceCommand(minimal.file))}</code></pre>` : '';
  const incomplete = e.shrinkComplete ? '' : '<p class="banner" role="note">Shrinking stopped before fast-check had tried every smaller candidate: a smaller schedule may exist.</p>';
  return `<h4>Minimal schedule</h4>${incomplete}
<table><thead><tr><th scope="col">Label</th><th scope="col">Fault</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${timeline}${reproduce}`;
}

/**
 * The timeline numbers all of the run's faults, the scenario's own first, while the schedule's
 * table, the shrink path and the console number the schedule's alone: say how the two map.
 */
function ownFaultsNote(runFaults: number, scheduleFaults: number): string {
  const own = runFaults - scheduleFaults;
  if (own <= 0 || scheduleFaults === 0) return '';
  const there = scheduleFaults === 1 ? `F${own + 1}` : `F${own + 1}–F${own + scheduleFaults}`;
  const here = scheduleFaults === 1 ? 'F1' : `F1–F${scheduleFaults}`;
  return ` (after the scenario's own ${own === 1 ? 'fault' : `${own} faults`}: the schedule's ${here} ${scheduleFaults === 1 ? 'is' : 'are'} ${there} there)`;
}

function shrinkPathBlock(e: ScenarioExploration): string {
  const rows = e.shrinkPath.map(
    (s) =>
      `<tr><td class="num">${s.step}</td><td>${s.changes.map((c) => esc(c)).join('<br>')}</td><td class="num">${s.schedule.faults.length}</td><td class="num">${s.confirmation.failed} of ${s.confirmation.runs}</td><td><code>${esc(s.path)}</code></td></tr>`,
  );
  return `<h4>Shrink path</h4>
<table><thead><tr><th scope="col" class="num">Step</th><th scope="col">What changed</th><th scope="col" class="num">Faults</th><th scope="col" class="num">Runs failed</th><th scope="col">fast-check path</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function flakyBlock(e: ScenarioExploration): string {
  const rows = e.flaky.map(
    (f) => `<tr><td>${esc(f.phase)}</td><td class="num">${f.confirmation.failed} of ${f.confirmation.runs}</td><td>${f.schedule.faults.map((x) => esc(describeExploredFault(x))).join('<br>')}</td></tr>`,
  );
  return `<h4>Flaky candidates</h4><p>Schedules that failed in some of their runs and passed in others: noise on the path, or a failure too close to its edge to count. None is a finding.</p>
<table><thead><tr><th scope="col">Found while</th><th scope="col" class="num">Runs failed</th><th scope="col">Schedule</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
