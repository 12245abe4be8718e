/**
 * summary.md: a compact table for pull requests and GitHub's job summary ($GITHUB_STEP_SUMMARY):
 * one row per scenario with its status and headline numbers, then each scenario that did not pass
 * with its failed assertions (expected vs observed) and its replay command.
 *
 * GitHub caps a step's summary at 1 MiB, so the table and the failure details are bounded (a
 * note says how many were left out) and the whole text is cut below `maxChars`. Everything a user
 * wrote is escaped for GitHub-flavoured Markdown (escape.ts), including inline HTML.
 */
import { appendFile } from 'node:fs/promises';
import type { RunResult, ScenarioResult } from '../core/result.js';
import { summarizeScenarios } from '../core/result.js';
import { escapeMarkdown as md, markdownCode } from './escape.js';
import { formatMs } from './format.js';
import {
  describeSummary,
  formatKeyNumbers,
  overallStatus,
  scenarioProblems,
  STATUS_LABEL,
  STATUS_ORDER,
  workloadHeadline,
} from './scenario-facts.js';

export interface MarkdownOptions {
  /** Rows in the scenario table at most (default 200; problems first when cut). */
  maxRows?: number;
  /** Scenarios whose failures are detailed (default 30). */
  maxDetails?: number;
  /** Hard cap on the text, in characters (default 900,000: under GitHub's 1 MiB per step). */
  maxChars?: number;
  /** Link or path to the HTML report, mentioned at the end (default `index.html`). */
  htmlReport?: string;
}

/** Renders summary.md. Pure. */
export function renderMarkdown(result: RunResult, options: MarkdownOptions = {}): string {
  const maxRows = options.maxRows ?? 200;
  const maxDetails = options.maxDetails ?? 30;
  const maxChars = options.maxChars ?? 900_000;
  const summary = summarizeScenarios(result.scenarios);
  const verdict = overallStatus(summary, result.run.interrupted);
  const symbol = verdict === 'passed' ? '✔' : verdict === 'failed' ? '✘' : '■';
  const run = result.run;
  const lines: string[] = [];
  lines.push(`## ${symbol} faultline: ${describeSummary(summary)}`, '');
  const seed = run.seeds ? `seeds ${run.seeds.join(', ')}` : `seed ${markdownCode(String(run.seed))}`;
  lines.push(
    `Run ${seed} · ${md(formatMs(run.durationMs))} · ${md(run.backend)} backend · faultline ${md(result.faultline.version)}${run.shard ? ` · shard ${run.shard.index}/${run.shard.total}` : ''}${run.interrupted ? ' · **interrupted**' : ''}`,
  );
  lines.push('');

  // Problems first, so a cut table still shows every failure it can.
  const ordered = [...result.scenarios].sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status));
  const tableRows = result.scenarios.length <= maxRows ? result.scenarios : ordered.slice(0, maxRows);
  lines.push('| | Scenario | Status | Time | Key numbers |', '|---|---|---|---:|---|');
  for (const s of tableRows) {
    const label = STATUS_LABEL[s.status];
    const keys = s.workloads
      .map((w) => {
        const numbers = formatKeyNumbers(workloadHeadline(w));
        return numbers ? `**${md(w.name)}** ${md(numbers)}` : '';
      })
      .filter(Boolean)
      .join('<br>');
    const expect = s.expect === 'fail' ? ' (expect: fail)' : '';
    lines.push(`| ${label.symbol} | ${md(s.name)}${s.file ? `<br>${markdownCode(s.file, true)}` : ''} | ${s.status}${expect} | ${s.status === 'skipped' ? '—' : md(formatMs(s.durationMs))} | ${keys || '—'} |`);
  }
  if (tableRows.length < result.scenarios.length) {
    lines.push('', `_${result.scenarios.length - tableRows.length} more scenarios (all passed or skipped) are in the HTML report._`);
  }

  const failing = ordered.filter((s) => s.status !== 'passed' && s.status !== 'skipped');
  if (failing.length > 0) {
    lines.push('', '### Did not pass', '');
    for (const s of failing.slice(0, maxDetails)) lines.push(...details(s), '');
    if (failing.length > maxDetails) lines.push(`_${failing.length - maxDetails} more are detailed in the HTML report._`, '');
  }
  lines.push('', `Full report: ${md(options.htmlReport ?? 'index.html')} (charts, fault timeline, ledger) · data: ${markdownCode('results.json')} · junit: ${markdownCode('junit.xml')}`);
  const text = `${lines.join('\n')}\n`;
  if (text.length <= maxChars) return text;
  const cut = text.lastIndexOf('\n', maxChars - 200);
  return `${text.slice(0, cut)}\n\n_Summary cut at ${maxChars} characters; see the HTML report._\n`;
}

function details(s: ScenarioResult): string[] {
  const label = STATUS_LABEL[s.status];
  const out = [`#### ${label.symbol} ${md(s.name)} — ${s.status}${s.file ? ` (${markdownCode(s.file)})` : ''}`, ''];
  for (const p of scenarioProblems(s)) {
    let line = `- **${md(p.title)}**`;
    if (p.expected !== undefined || p.observed !== undefined) line += ` — expected ${md(p.expected ?? '')}, observed ${md(p.observed ?? '')}`;
    out.push(line);
    if (p.detail) out.push(`  ${md(p.detail)}`);
    if (p.where) out.push(`  at ${markdownCode(p.where)}`);
  }
  out.push(`- replay: ${markdownCode(s.replay)}`);
  return out;
}

/**
 * Appends the Markdown summary to GitHub's job summary file when `env.GITHUB_STEP_SUMMARY` names
 * one; returns the path written, or undefined. `env` is passed in (never read from process.env here).
 */
export async function appendStepSummary(markdown: string, env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return undefined;
  await appendFile(path, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`, 'utf8');
  return path;
}
