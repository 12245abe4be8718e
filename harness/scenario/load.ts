/**
 * Loading scenario files: YAML text ──▶ documents with positions ──▶ validated ScenarioSpec[].
 * Scenarios written in code (the library's `run()`) take the same path from their value: a
 * document without positions, so their problems carry field paths only.
 *
 * A file holds one scenario (a map), a list of scenarios, or several `---` documents of either.
 * The loader returns specs or throws one FaultlineError listing the problems in the file, in
 * document order, each with file:line:column and field path:
 *
 *   - PARSE_ERROR: the text is not YAML (syntax, duplicate keys, unknown tags), or goes past a
 *     limit the parser could not survive (yaml-limits.ts: nesting, aliases);
 *   - INVALID_INPUT: it is YAML but not a valid scenario;
 *   - NOT_FOUND: the file does not exist.
 *
 * One mistake, one message: after a syntax error the parser reads the rest of that document as
 * unexpected tokens, and one stray `]` would print a line for every token after it. So a
 * document's syntax errors are its first one (the cause), at most MAX_SYNTAX_FOLLOW_ONS after it,
 * and one line saying how many more there were and where the parser recovered, as compilers do.
 * Duplicate keys are independent mistakes and always listed; so is every schema problem.
 *
 * It never throws anything else on any input: a property test feeds it mutated and random
 * documents to hold it to that.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { Document, isSeq, LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import { FaultlineError, formatProblem, invalidInput, type Problem } from '../core/errors.js';
import { lineColumn } from '../core/text-position.js';
import { readUserFile } from '../core/user-file.js';
import { LoadContext } from './load-context.js';
import { loadScenario } from './load-scenario.js';
import type { ScenarioFileSpec, ScenarioSpec } from './spec.js';
import { findYamlLimitProblem } from './yaml-limits.js';

/** Syntax errors listed after the first one of a document, before "… and N more". */
export const MAX_SYNTAX_FOLLOW_ONS = 3;

/** Reads and loads a scenario file. */
export function loadScenarioFile(path: string): ScenarioFileSpec[] {
  const file = resolve(path);
  return loadScenarioText(readUserFile(file, 'scenario file'), file);
}

/**
 * Loads scenarios from YAML text. `file` (made absolute) locates problems and anchors relative
 * paths in the scenario (a command's cwd, send_file); the file itself is not read.
 */
export function loadScenarioText(text: string, file: string): ScenarioFileSpec[] {
  file = resolve(file);
  const limit = findYamlLimitProblem(text);
  if (limit) {
    const { line, column } = lineColumn(text, limit.offset);
    throw parseError([{ file, line, column, message: limit.message, hint: limit.hint }], file);
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];

  const syntax = docs.flatMap((doc) => syntaxProblems(doc, text, file, lineCounter));
  if (syntax.length > 0) throw parseError(sortByPosition(syntax), file);

  const roots = docs.filter((doc) => doc.contents !== null);
  if (roots.length === 0) {
    throw invalidInput([{ file, line: 1, column: 1, message: 'the file holds no scenario: expected a map with name, targets, workloads, …' }], file);
  }
  const single = roots.length === 1 && !isSeq(roots[0]!.contents);
  const defaultName = single ? basename(file, extname(file)) : undefined;
  return loadDocuments(roots, lineCounter, { file, dir: dirname(file), ...(defaultName === undefined ? {} : { defaultName }) }) as ScenarioFileSpec[];
}

/**
 * Loads scenarios written in code: one scenario object (the keys and values of the file format,
 * e.g. `timeout: '10s'`) or a list of them. Each needs a `name`. Relative paths in them (a
 * command's `cwd`, `send_file`) start at `dir`. Throws like loadScenarioText, with field paths
 * (`[1].workloads.ping.rate`) and no positions.
 */
export function loadScenarioValue(value: unknown, dir: string): ScenarioSpec[] {
  const doc = new Document(value) as unknown as Document.Parsed;
  return loadDocuments([doc], new LineCounter(), { dir: resolve(dir) });
}

/** Every scenario of the documents, names unique among them; throws every problem at once. */
function loadDocuments(docs: readonly Document.Parsed[], lineCounter: LineCounter, options: { file?: string; dir: string; defaultName?: string }): ScenarioSpec[] {
  const problems: Problem[] = [];
  const specs: ScenarioSpec[] = [];
  const names = new Map<string, string>();
  for (const doc of docs) {
    const ctx = new LoadContext(options.file, lineCounter, doc, problems);
    const root = ctx.root(doc.contents);
    const items = isSeq(doc.contents) ? root.list()! : [root];
    if (isSeq(doc.contents) && items.length === 0) root.problem('expected a list of scenarios, got an empty list');
    for (const item of items) {
      const { spec, nameField } = loadScenario(item, options);
      if (!spec) continue;
      const first = names.get(spec.name);
      if (first) nameField.problem(`scenario name "${spec.name}" is already used at ${first}`, 'names must be unique within a file (and a run)');
      else {
        names.set(spec.name, spec.where.line === undefined ? `${spec.where.path || 'the first scenario'}` : `line ${spec.where.line}`);
        specs.push(spec);
      }
    }
  }
  if (problems.length > 0) throw invalidInput(sortByPosition(problems), options.file ?? 'the scenario');
  return specs;
}

/**
 * One document's syntax problems: every duplicate key, and of the other errors the first, a few
 * follow-ons and a line counting the rest (see the header).
 */
function syntaxProblems(doc: Document.Parsed, text: string, file: string, lines: LineCounter): Problem[] {
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  const issues: YAMLError[] = [...doc.errors, ...doc.warnings].sort((a, b) => a.pos[0] - b.pos[0]);
  const problems: Problem[] = [];
  const cascade: YAMLError[] = [];
  for (const issue of issues) {
    if (issue.code === 'DUPLICATE_KEY') {
      problems.push({ ...at(issue.pos[0]), message: `duplicate key ${keyAt(text, issue.pos[0])}: a key may appear only once in a map` });
    } else cascade.push(issue);
  }
  const shown = cascade.slice(0, 1 + MAX_SYNTAX_FOLLOW_ONS);
  for (const issue of shown) problems.push({ ...at(issue.pos[0]), message: firstLine(issue.message) });
  const hidden = cascade.slice(shown.length);
  if (hidden.length > 0) {
    const last = hidden.at(-1)!;
    const end = Math.max(last.pos[1], last.pos[0]);
    const docEnd = doc.range[2] ?? text.length;
    const rest = text.slice(end, docEnd).replace(/#.*$/gm, '').trim();
    const lastLine = at(last.pos[0]).line;
    const recovered = rest === '' ? 'the parser did not recover before the end of the document' : `the parser recovered after line ${lastLine}`;
    problems.push({
      ...at(hidden[0]!.pos[0]),
      message: `… and ${hidden.length} more syntax ${hidden.length === 1 ? 'error' : 'errors'} up to line ${lastLine}, often consequences of the first; ${recovered}`,
      hint: 'fix the first error of the document and validate again',
    });
  }
  return problems;
}

function parseError(problems: Problem[], file: string): FaultlineError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new FaultlineError('PARSE_ERROR', `${file} is not valid YAML (${count}); first: ${formatProblem(problems[0]!)}`, {
    problems,
    where: problems[0]!,
  });
}

/** Document order; problems without a position keep their order, after those with one. */
function sortByPosition(problems: Problem[]): Problem[] {
  const key = (p: Problem) => (p.line ?? Infinity) * 1e6 + (p.column ?? 0);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => key(a.p) - key(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/** The key written at `offset` (the parser marks only its first character). */
function keyAt(text: string, offset: number): string {
  const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s:,{}[\]#]+)/.exec(text.slice(offset, offset + 200))?.[0] ?? text[offset] ?? '';
  return /^["']/.test(key) ? key : JSON.stringify(key);
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
