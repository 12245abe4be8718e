/**
 * The console of `faultline explore`: live progress while an exploration runs, a permanent line
 * for every failure found, shrink step and flaky candidate, and each exploration's outcome.
 *
 *   TTY       one progress line redrawn in place:
 *               ⠹ searching · 12/200 schedules · 31 runs · 1 failure · 0 flaky · 4.2s
 *             events print above it
 *   not TTY   plain lines only (CI logs): the events, and a progress line every 10 schedules
 *
 * Colour and escaping as the run console (console.ts): every status is a symbol and a word too,
 * and names pass through escapeTerminal.
 */
import { describeExploredFault, reproduceCommand, type ExploredSchedule, type ExploreObserver, type ExploreProgress, type FlakyCandidate, type ScenarioExploration, type ShrinkStep } from '../core/exploration.js';
import { palette, shouldUseColor, SPINNER, type ConsoleStream, type Palette } from './console.js';
import { escapeTerminal as safe } from './escape.js';
import { formatMs, formatNumber } from './format.js';
import { STATUS_LABEL } from './scenario-facts.js';

export interface ExploreConsoleOptions {
  stream: ConsoleStream;
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides the stream's isTTY. */
  tty?: boolean;
}

export interface ExploreConsole extends ExploreObserver {
  /** An exploration begins. */
  start(event: { scenario: string; file: string; seed: number }): void;
  /** An exploration ended (its minimal file, if any, already written and named in `minimal.file`). */
  finish(exploration: ScenarioExploration): void;
  /** Where the reports went. */
  printFiles(files: readonly string[]): void;
  /** Clears the progress line; idempotent. */
  close(): void;
}

/** Without a TTY, a progress line every this many schedules searched. */
const PLAIN_PROGRESS_EVERY = 10;

export function createExploreConsole(options: ExploreConsoleOptions): ExploreConsole {
  const { stream } = options;
  const tty = options.tty ?? stream.isTTY === true;
  const p = palette(shouldUseColor(tty, options.env ?? {}));
  let live = false;
  let frame = 0;
  let lastPlainSchedules = -1;

  const clear = () => {
    if (live) stream.write('\r\u001b[K');
    live = false;
  };
  const print = (line: string) => {
    clear();
    stream.write(`${line}\n`);
  };

  return {
    start({ scenario, file, seed }) {
      print(`${p.bold('▶ explore')} ${safe(scenario)} ${p.dim(`(${safe(file)}) · seed ${seed}`)}`);
      lastPlainSchedules = -1;
    },
    onProgress(progress) {
      const line = progressLine(progress);
      if (tty) {
        const width = Math.max(20, (stream.columns ?? 100) - 1);
        stream.write(`\r\u001b[K${SPINNER[frame++ % SPINNER.length]} ${line.slice(0, width - 2)}`);
        live = true;
      } else if (progress.phase === 'search' && progress.schedulesTried % PLAIN_PROGRESS_EVERY === 0 && progress.schedulesTried !== lastPlainSchedules) {
        lastPlainSchedules = progress.schedulesTried;
        if (progress.schedulesTried > 0) print(`  ${line}`);
      }
    },
    onFailure({ step }) {
      if (!step) return;
      print(stepLines(step, p).join('\n'));
    },
    onFlaky(candidate: FlakyCandidate) {
      print(`  ${p.yellow('~ flaky')} ${candidate.confirmation.failed} of ${candidate.confirmation.runs} runs failed, not a finding: ${safe(describeSchedule(candidate.schedule))}`);
    },
    finish(exploration) {
      print(finishLines(exploration, p).join('\n'));
    },
    printFiles(files) {
      if (files.length > 0) print(`reports: ${files.map(safe).join(', ')}`);
    },
    close: clear,
  };
}

function progressLine(progress: ExploreProgress): string {
  const counts = `${formatNumber(progress.runs)} run${progress.runs === 1 ? '' : 's'} · ${progress.failures} failure${progress.failures === 1 ? '' : 's'} · ${progress.flaky} flaky · ${formatMs(progress.elapsedMs)}`;
  switch (progress.phase) {
    case 'baseline':
      return `baseline run without generated faults · ${counts}`;
    case 'search':
      return `searching · ${formatNumber(progress.schedulesTried)}/${formatNumber(progress.budget)} schedules · ${counts}`;
    case 'shrink':
      return `shrinking · step ${progress.shrinkSteps} · ${counts}`;
  }
}

function stepLines(step: ShrinkStep, p: Palette): string[] {
  const confirmed = `${step.confirmation.failed}/${step.confirmation.runs} runs failed`;
  if (step.step === 0) {
    return [`  ${p.red('✘ failure')} ${safe(step.changes.join('; '))} (${confirmed}):`, ...step.schedule.faults.map((f, i) => `      F${i + 1} ${safe(describeExploredFault(f))}`)];
  }
  return [`  ${p.dim(`↓ shrink step ${step.step}`)} (${confirmed}): ${safe(step.changes.join('; '))}`];
}

/** `✘ FAILED`: the same symbol and word as `faultline run` prints for the status. */
const statusLabel = (status: keyof typeof STATUS_LABEL): string => `${STATUS_LABEL[status].symbol} ${STATUS_LABEL[status].word}`;

function finishLines(e: ScenarioExploration, p: Palette): string[] {
  const took = `${formatNumber(e.runs)} runs in ${formatMs(e.durationMs)}`;
  const flaky = e.flaky.length > 0 ? ` · ${e.flaky.length} flaky candidate${e.flaky.length === 1 ? '' : 's'} (not findings)` : '';
  const lines: string[] = [];
  const minimal = e.minimal;
  switch (e.status) {
    case 'passed':
      lines.push(`${p.green(statusLabel('passed'))} ${safe(e.scenario)}: no schedule failed in ${formatNumber(e.schedulesTried)} of ${formatNumber(e.budget.runs)} (${e.stoppedBy === 'time' ? 'the time budget ran out' : 'the budget ran out'}) · ${took}${flaky}`);
      break;
    case 'failed': {
      const faults = minimal?.schedule.faults.length ?? 0;
      const shrunk = e.shrinkComplete ? `shrunk in ${e.shrinkPath.length - 1} steps` : `shrinking stopped after ${e.shrinkPath.length - 1} steps (${e.stoppedBy === 'time' ? 'time budget' : e.stoppedBy})`;
      lines.push(`${p.red(statusLabel('failed'))} ${safe(e.scenario)}: a minimal schedule of ${faults} fault${faults === 1 ? '' : 's'}, ${shrunk} · ${took}${flaky}`);
      break;
    }
    case 'errored':
      lines.push(`${p.yellow(statusLabel('errored'))} ${safe(e.scenario)}: ${e.error ? safe(`[${e.error.code}] ${e.error.message}`) : 'the scenario could not run'} · not a finding · ${took}`);
      if (e.error?.hint) lines.push(`    hint: ${safe(e.error.hint)}`);
      break;
    case 'interrupted':
      lines.push(`${p.magenta(statusLabel('interrupted'))} ${safe(e.scenario)} · ${took}${flaky}`);
      break;
    case 'skipped':
      lines.push(p.dim(`${statusLabel('skipped')} ${safe(e.scenario)}: ${safe(e.reason ?? 'not explored')}`));
      return lines;
  }
  if (minimal) {
    minimal.schedule.faults.forEach((f, i) => lines.push(`    F${i + 1} ${safe(describeExploredFault(f))}`));
    if (minimal.file) lines.push(`    reproduce: ${safe(reproduceCommand(minimal.file))}`);
  }
  if (e.status !== 'passed' || e.flaky.length > 0) lines.push(`    replay:    ${safe(e.replay)}`);
  for (const note of e.notes) lines.push(`    note: ${safe(note)}`);
  return lines;
}

function describeSchedule(schedule: ExploredSchedule): string {
  return schedule.faults.map(describeExploredFault).join('; ');
}
