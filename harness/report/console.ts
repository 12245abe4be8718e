/**
 * The console: a live reporter while the run goes, and the final summary once reports are written.
 *
 *   TTY       a block of progress lines, one per running scenario (phase, elapsed, counts, faults),
 *             redrawn in place; each finished scenario is printed above it as a permanent line.
 *   not TTY   plain lines only (CI logs): `▶ [2/7] name` when a scenario starts, its verdict when it ends.
 *
 * Colour only on a TTY, never with NO_COLOR set (no-color.org), forced by FORCE_COLOR; every
 * status also has a symbol and a word, so nothing depends on colour. User-provided text passes
 * through escapeTerminal, so a name cannot move the cursor or recolour the terminal.
 *
 * Typical use by the CLI:
 *
 *   const live = createConsoleReporter({ stream: io.stdout, env: io.env });
 *   const result = await runScenarios(…, { observers: [live] });   // hooks drive the live lines
 *   const written = await writeReports(result, { outDir, reporters, env: io.env });
 *   live.printSummary(result, written.files);
 */
import { systemClock } from '../core/clock.js';
import type { RunResult, ScenarioResult } from '../core/result.js';
import { summarizeScenarios } from '../core/result.js';
import type { FaultEvent, RunStartEvent, ScenarioProgressEvent, ScenarioStartEvent } from '../core/run-events.js';
import { escapeTerminal as safe } from './escape.js';
import { formatMs, formatNumber } from './format.js';
import type { Reporter } from './reporter.js';
import {
  describeSummary,
  formatKeyNumbers,
  overallStatus,
  scenarioProblems,
  STATUS_LABEL,
  STATUS_ORDER,
  workloadHeadline,
} from './scenario-facts.js';

/** The stream the console writes to (process.stdout or a test's capture). */
export interface ConsoleStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ConsoleReporterOptions {
  stream: ConsoleStream;
  /** For NO_COLOR / FORCE_COLOR; passed in, never read from process.env here. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Overrides the stream's isTTY (live redraw vs plain lines). */
  tty?: boolean;
  /** Monotonic ms, for elapsed times and the spinner; default the system clock. */
  now?: () => number;
  /** TTY only: how often the progress block is redrawn while scenarios run (default 250 ms; 0: on events only). */
  redrawIntervalMs?: number;
}

/** Whether to colour output: NO_COLOR (non-empty) wins, then FORCE_COLOR, then whether it is a TTY. */
export function shouldUseColor(isTTY: boolean, env: Readonly<Record<string, string | undefined>> = {}): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY;
}

type Paint = (text: string) => string;
export interface Palette {
  green: Paint;
  red: Paint;
  yellow: Paint;
  magenta: Paint;
  dim: Paint;
  bold: Paint;
}

export function palette(enabled: boolean): Palette {
  const wrap = (open: number, close: number): Paint => (enabled ? (t) => `\u001b[${open}m${t}\u001b[${close}m` : (t) => t);
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), magenta: wrap(35, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

function statusPaint(p: Palette, status: ScenarioResult['status']): Paint {
  return { passed: p.green, failed: p.red, errored: p.yellow, interrupted: p.magenta, skipped: p.dim }[status];
}

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Running {
  event: ScenarioStartEvent;
  startedAtMs: number;
  phase: string;
  counts: Record<string, number>;
  faults: number;
}

/** The live console reporter, plus `printSummary` for the end of the run. */
export interface ConsoleReporter extends Reporter {
  /** Writes the final summary (renderConsoleSummary) with the files that were written. */
  printSummary(result: RunResult, files?: Readonly<Record<string, string>>): void;
  /** Stops the redraw timer and clears the progress block; idempotent. onRunEnd calls it. */
  close(): void;
}

export function createConsoleReporter(options: ConsoleReporterOptions): ConsoleReporter {
  const { stream } = options;
  const env = options.env ?? {};
  const tty = options.tty ?? stream.isTTY === true;
  const now = options.now ?? (() => systemClock.now());
  const interval = options.redrawIntervalMs ?? 250;
  const colors = palette(shouldUseColor(tty, env));
  const running = new Map<string, Running>();
  let drawnLines = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let total = 0;

  const width = () => Math.max(20, (stream.columns ?? 100) - 1);

  const clearBlock = () => {
    if (!tty || drawnLines === 0) return;
    // Cursor to the start of the block's first line, then erase everything below.
    stream.write(`\u001b[${drawnLines}F\u001b[J`);
    drawnLines = 0;
  };

  const drawBlock = () => {
    if (!tty) return;
    const lines = [...running.values()].map((r) => truncateLine(progressLine(r), width()));
    if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
    drawnLines = lines.length;
  };

  const redraw = () => {
    clearBlock();
    drawBlock();
  };

  const progressLine = (r: Running) => {
    const elapsed = now() - r.startedAtMs;
    const spin = SPINNER[Math.floor(now() / 100) % SPINNER.length]!;
    const counts = Object.entries(r.counts)
      .map(([k, v]) => `${shortCount(k)} ${formatNumber(v)}`)
      .join(' ');
    const parts = [`${colors.dim(spin)} ${position(r.event)} ${safe(r.event.name)}`, r.phase, formatMs(elapsed)];
    if (counts) parts.push(counts);
    if (r.faults > 0) parts.push(`${r.faults} fault${r.faults === 1 ? '' : 's'} applied`);
    return parts.join(colors.dim(' · '));
  };

  const startTimer = () => {
    if (!tty || interval <= 0 || timer) return;
    timer = setInterval(redraw, interval);
    timer.unref?.();
  };
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  /** Prints permanent lines above the live block. */
  const print = (text: string) => {
    clearBlock();
    stream.write(text.endsWith('\n') ? text : `${text}\n`);
    drawBlock();
  };

  const reporter: ConsoleReporter = {
    onRunStart(event: RunStartEvent) {
      total = event.scenarios.length;
      const shard = event.shard ? ` (shard ${event.shard.index}/${event.shard.total})` : '';
      print(colors.dim(`faultline: running ${total} scenario${total === 1 ? '' : 's'}${shard} with seed ${event.seed}`));
    },
    onScenarioStart(event: ScenarioStartEvent) {
      total = Math.max(total, event.total);
      running.set(event.id, { event, startedAtMs: now(), phase: 'starting', counts: {}, faults: 0 });
      if (tty) {
        redraw();
        startTimer();
      } else {
        stream.write(`▶ ${position(event)} ${safe(event.name)}${event.file ? colors.dim(` (${safe(event.file)})`) : ''}\n`);
      }
    },
    onScenarioProgress(event: ScenarioProgressEvent) {
      const r = running.get(event.id);
      if (!r) return;
      r.phase = event.phase;
      if (event.counts) r.counts = pickCounts(event.counts);
      if (tty && interval <= 0) redraw();
    },
    onFaultApplied(event: FaultEvent) {
      const r = running.get(event.scenarioId);
      if (r && event.action === 'applied') r.faults++;
      if (!tty && event.action === 'failed') {
        stream.write(`  ${colors.yellow('⚠')} fault ${safe(event.fault.id)} on ${safe(event.fault.proxy)} could not be applied${event.fault.error ? `: ${safe(event.fault.error.message)}` : ''}\n`);
      }
    },
    onScenarioEnd(result: ScenarioResult) {
      const r = running.get(result.id);
      running.delete(result.id);
      if (running.size === 0) stopTimer();
      print(finishedLine(result, r?.event, colors));
    },
    onRunEnd() {
      reporter.close();
    },
    printSummary(result: RunResult, files?: Readonly<Record<string, string>>) {
      print(renderConsoleSummary(result, { files, color: shouldUseColor(tty, env) }));
    },
    close() {
      stopTimer();
      running.clear();
      clearBlock();
    },
  };
  return reporter;

  function position(event: ScenarioStartEvent): string {
    return colors.dim(`[${event.index + 1}/${Math.max(total, event.total)}]`);
  }
}

/** Short names for the progress line's counts. */
function shortCount(name: string): string {
  return name.replace(/^messages_/, '').replace(/_total$/, '');
}

/** At most three counts, the most telling first (sent, received, lost, errors). */
function pickCounts(counts: Record<string, number>): Record<string, number> {
  const preferred = ['messages_sent_total', 'messages_received_total', 'messages_lost_total', 'errors_total'];
  const keys = [...preferred.filter((k) => k in counts), ...Object.keys(counts).filter((k) => !preferred.includes(k))];
  return Object.fromEntries(keys.slice(0, 3).map((k) => [k, counts[k]!]));
}

function finishedLine(s: ScenarioResult, event: ScenarioStartEvent | undefined, p: Palette): string {
  const label = STATUS_LABEL[s.status];
  const paint = statusPaint(p, s.status);
  const where = event ? `${p.dim(`[${event.index + 1}/${event.total}]`)} ` : '';
  const numbers = s.workloads
    .map((w) => {
      const k = formatKeyNumbers(workloadHeadline(w), ' ');
      return k ? `${safe(w.name)}: ${safe(k)}` : '';
    })
    .filter(Boolean)
    .join(' | ');
  const first = scenarioProblems(s)[0];
  const expect = s.expect === 'fail' && s.status === 'passed' ? p.dim(' (failed as expected)') : '';
  let line = `${paint(`${label.symbol} ${label.word}`)} ${where}${safe(s.name)} ${p.dim(formatMs(s.durationMs))}${expect}`;
  if (numbers) line += p.dim(` · ${numbers}`);
  if (first && s.status !== 'skipped') line += `\n    ${paint('→')} ${safe(first.title)}`;
  return line;
}

export interface ConsoleSummaryOptions {
  /** Files written, by reporter name → path, listed at the end. */
  files?: Readonly<Record<string, string>> | undefined;
  color?: boolean;
}

/**
 * The end-of-run summary: every scenario that did not pass with its failures explained (expected
 * vs observed, why, where) and its replay command, then the counts, the seed and the report files.
 */
export function renderConsoleSummary(result: RunResult, options: ConsoleSummaryOptions = {}): string {
  const p = palette(options.color ?? false);
  const summary = summarizeScenarios(result.scenarios);
  const lines: string[] = [''];
  const problems = [...result.scenarios]
    .filter((s) => s.status !== 'passed' && s.status !== 'skipped')
    .sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status));
  for (const s of problems) {
    const label = STATUS_LABEL[s.status];
    const paint = statusPaint(p, s.status);
    lines.push(`${paint(`${label.symbol} ${label.word}`)} ${p.bold(safe(s.name))}${s.file ? p.dim(` ${safe(s.file)}`) : ''} ${p.dim(formatMs(s.durationMs))}`);
    for (const problem of scenarioProblems(s)) {
      lines.push(`    ${paint(label.symbol)} ${safe(problem.title)}`);
      if (problem.expected !== undefined) lines.push(`        expected: ${safe(problem.expected)}`);
      if (problem.observed !== undefined) lines.push(`        observed: ${safe(problem.observed)}`);
      if (problem.detail) lines.push(p.dim(`        ${safe(problem.detail)}`));
      if (problem.where) lines.push(p.dim(`        at ${safe(problem.where)}`));
    }
    lines.push(`    replay: ${safe(s.replay)}`);
    lines.push('');
  }
  // Skipped scenarios, a line per reason (a layer this machine lacks, --bail, an interrupt).
  const skipped = new Map<string, string[]>();
  for (const s of result.scenarios) if (s.status === 'skipped') skipped.set(s.reason, [...(skipped.get(s.reason) ?? []), s.name]);
  for (const [reason, names] of skipped) {
    const listed = names.length > 4 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    lines.push(p.dim(`${STATUS_LABEL.skipped.symbol} ${STATUS_LABEL.skipped.word} ${safe(listed)}: ${safe(reason)}`));
  }
  const verdict = overallStatus(summary, result.run.interrupted);
  const paint = verdict === 'passed' ? p.green : verdict === 'failed' ? p.red : p.magenta;
  const symbol = verdict === 'passed' ? '✔' : verdict === 'failed' ? '✘' : '■';
  const seed = result.run.seeds ? `seeds ${result.run.seeds.join(', ')}` : `seed ${result.run.seed}`;
  lines.push(`${paint(`${symbol} ${describeSummary(summary)}`)} ${p.dim(`in ${formatMs(result.run.durationMs)} · ${seed}`)}`);
  if (result.run.interrupted) lines.push(p.magenta('■ interrupted: results are partial'));
  const files = Object.values(options.files ?? {});
  if (files.length > 0) lines.push(`reports: ${files.map(safe).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Cuts a line to `max` visible characters (ANSI colour sequences do not count) with `…`. */
export function truncateLine(line: string, max: number): string {
  const tokens = line.split(/(\u001b\[[0-9;]*m)/);
  let visible = 0;
  let out = '';
  for (const token of tokens) {
    if (token.startsWith('\u001b[')) {
      out += token;
      continue;
    }
    const chars = [...token];
    if (visible + chars.length <= max) {
      out += token;
      visible += chars.length;
      continue;
    }
    out += `${chars.slice(0, Math.max(0, max - visible - 1)).join('')}…`;
    return tokens.length > 1 ? `${out}\u001b[0m` : out;
  }
  return out;
}
