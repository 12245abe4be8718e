/**
 * Loading scenario files: YAML text ──▶ documents with positions ──▶ validated ScenarioSpec[].
 * Scenarios written in code (the library's `run()`) take the same path from their value: a
 * document without positions, so their problems carry field paths only.
 *
 * A file holds one scenario (a map), a list of scenarios, or several `---` documents of either.
 * The loader returns specs or throws one FaultlineError listing every problem in the file, in
 * document order, each with file:line:column and field path:
 *
 *   - PARSE_ERROR: the text is not YAML (syntax, duplicate keys, unknown tags);
 *   - INVALID_INPUT: it is YAML but not a valid scenario;
 *   - NOT_FOUND: the file does not exist.
 *
 * It never throws anything else on any input: a property test feeds it mutated and random
 * documents to hold it to that.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { Document, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { FaultlineError, formatProblem, invalidInput, type Problem } from '../core/errors.js';
import { readUserFile } from '../core/user-file.js';
import { Field, LoadContext } from './load-context.js';
import { loadScenario } from './load-scenario.js';
import type { ScenarioFileSpec, ScenarioSpec } from './spec.js';

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
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];

  const syntax: Problem[] = [];
  for (const doc of docs) {
    for (const issue of [...doc.errors, ...doc.warnings]) {
      const { line, col } = lineCounter.linePos(issue.pos[0]);
      const message =
        issue.code === 'DUPLICATE_KEY'
          ? `duplicate key ${keyAt(text, issue.pos[0])}: a key may appear only once in a map`
          : firstLine(issue.message);
      syntax.push({ file, line, column: col, message });
    }
  }
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
