/**
 * Reading a YAML document with positions. The loader walks the parsed YAML *nodes*, not the plain
 * JS value, so every problem can point at the line and column of the node that caused it, and
 * carry its field path (`workloads.udp.rate`, `faults[2].toxic.attributes.latency`).
 *
 *   YAML text ──▶ yaml.Document (nodes with ranges) ──▶ Field (node + path) ──▶ typed value | problem
 *
 * A Field never throws on user input: each reader returns the value or `undefined` after recording
 * a problem, so validation goes on and one run reports everything. Aliases are followed, `<<`
 * merge keys are applied, and recursive aliases are reported instead of looping.
 */
import { isAlias, isMap, isScalar, isSeq, Scalar, type Document, type LineCounter, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { didYouMean } from '../core/did-you-mean.js';
import { DURATION_FORMAT, parseDuration } from '../core/duration.js';
import type { Location, Problem } from '../core/errors.js';
import { describe } from '../core/describe.js';
import { BYTE_SIZE_FORMAT, parseByteSize } from './byte-size.js';
import { MAX_YAML_DEPTH } from './yaml-limits.js';

/** A node with its aliases followed. */
export type ValueNode = Scalar | YAMLMap | YAMLSeq;

/** Most nodes `plain()` converts before giving up: a guard against alias bombs. */
const PLAIN_NODE_BUDGET = 100_000;

/** The state shared by every Field of one YAML document: where problems go and how to locate nodes. */
export class LoadContext {
  constructor(
    /** Absolute path of the scenario file (used in every problem); undefined for a scenario written in code. */
    readonly file: string | undefined,
    private readonly lines: LineCounter,
    private readonly doc: Document.Parsed,
    /** Every problem found so far, in any order (the loader sorts them). */
    readonly problems: Problem[],
  ) {}

  /** 1-based line and column of a node's first character. */
  locate(node: Node | null | undefined, path?: string): Location {
    const where: Location = this.file === undefined ? {} : { file: this.file };
    const offset = node?.range?.[0];
    if (offset !== undefined) {
      const { line, col } = this.lines.linePos(offset);
      where.line = line;
      where.column = col;
    }
    if (path) where.path = path;
    return where;
  }

  report(node: Node | null | undefined, path: string, message: string, hint?: string): void {
    const problem: Problem = { ...this.locate(node, path), message };
    if (hint) problem.hint = hint;
    this.problems.push(problem);
  }

  /** Aliases resolved so far: each resolution walks the document, so it is done once per alias. */
  private readonly aliases = new Map<Node, ValueNode | undefined>();

  /** Follows an alias to the node it names; reports an unknown one. */
  resolve(node: unknown, path: string): ValueNode | undefined {
    if (isAlias(node)) {
      if (this.aliases.has(node)) return this.aliases.get(node);
      const target = node.resolve(this.doc);
      this.aliases.set(node, target);
      if (!target) this.report(node, path, `unknown alias *${node.source}`);
      return target;
    }
    if (isScalar(node) || isMap(node) || isSeq(node)) return node;
    return undefined;
  }

  /** The Field for a document's root node. */
  root(node: unknown, path = ''): Field {
    return Field.of(this, node, path, undefined);
  }
}

/** A value in the document (or the place where an absent one would be) and its field path. */
export class Field {
  private constructor(
    readonly ctx: LoadContext,
    /**
     * The value, aliases followed; undefined when the key is absent. An explicit null (`key:` with
     * nothing after it, an empty list item) is a null Scalar: present, and refused by every reader
     * ("got nothing"), so a forgotten value is never silently a default.
     */
    readonly node: ValueNode | undefined,
    /** Field path for problems, e.g. `workloads.udp.rate`. */
    readonly path: string,
    /** What a problem points at: the value as written, or (absent values) the key or the parent. */
    private readonly anchor: Node | null | undefined,
    /** The map key this value belongs to, if any. */
    readonly keyNode?: Node,
  ) {}

  static of(ctx: LoadContext, node: unknown, path: string, keyNode: Node | undefined, parentAnchor?: Node | null): Field {
    const resolved = node === undefined || node === null ? new Scalar(null) : ctx.resolve(node, path);
    if (!resolved) return new Field(ctx, undefined, path, (node as Node | undefined) ?? keyNode ?? parentAnchor, keyNode); // unknown alias, reported
    const isNull = isScalar(resolved) && resolved.value === null;
    // A null has no text of its own to point at: point at its key (or where the item is).
    const written = node !== null && (node as Node).range ? (node as Node) : undefined;
    const anchor = isNull ? (keyNode ?? written ?? parentAnchor) : (node as Node);
    return new Field(ctx, resolved, path, anchor, keyNode);
  }

  /** True when the key is there, even with a null value. */
  get present(): boolean {
    return this.node !== undefined;
  }

  /** True for an explicit null (`key:` with no value). */
  get isNull(): boolean {
    return isScalar(this.node) && this.node.value === null;
  }

  /** This field as if its key were not there (for sections where `proxies:` alone means none). */
  asAbsent(): Field {
    return new Field(this.ctx, undefined, this.path, this.keyNode ?? this.anchor, this.keyNode);
  }

  /** Where this value is (or, when absent, where it belongs). */
  get where(): Location {
    return this.ctx.locate(this.anchor, this.path);
  }

  /**
   * Records a problem at this value. Returns undefined so readers can `return this.problem(…)`.
   * `path` overrides the field path (for problems other modules report by a path below this one).
   */
  problem(message: string, hint?: string, path = this.path): undefined {
    this.ctx.report(this.anchor, path, message, hint);
    return undefined;
  }

  /** Records a problem at this value's key (for unknown or misplaced keys). */
  keyProblem(message: string, hint?: string): undefined {
    this.ctx.report(this.keyNode ?? this.anchor, this.path, message, hint);
    return undefined;
  }

  /** Reports a missing required value; returns whether it is present. */
  require(what = 'a value'): boolean {
    if (this.present) return true;
    const key = this.path.split('.').pop() ?? this.path;
    this.problem(`missing required key "${key}": expected ${what}`);
    return false;
  }

  /** What the value is, for messages: `"abc" (a string)`, `a map`, `a list`. */
  describe(): string {
    const node = this.node;
    if (!node || (isScalar(node) && node.value === null)) return 'nothing (null)';
    if (isMap(node)) return 'a map';
    if (isSeq(node)) return 'a list';
    return describe(node.value);
  }

  /** A Field for something that is not in the document, located at this one. */
  absentChild(key: string): Field {
    return new Field(this.ctx, undefined, joinPath(this.path, key), this.keyNode ?? this.anchor);
  }

  // ── collections ─────────────────────────────────────────────────────────

  /** The entries of a map (merge keys applied); undefined (problem recorded) if this is not a map. */
  map(expected = 'a map'): Entries | undefined {
    if (!this.node) return undefined;
    if (!isMap(this.node)) return this.problem(`expected ${expected}, got ${this.describe()}`);
    if (!this.entries) {
      const fields = new Map<string, Field>();
      this.collectEntries(this.node, fields, new Set());
      this.entries = new Entries(this, fields);
    }
    return this.entries;
  }

  /** Memoised so that problems in the keys (merge errors) are reported once. */
  private entries: Entries | undefined;

  /**
   * The deepest existing field along a dotted path of map keys below this one (`attributes.latency`);
   * for locating problems that other modules report by path.
   */
  descend(relativePath: string): Field {
    let field: Field = this;
    for (const key of relativePath.split('.').filter(Boolean)) {
      if (!field.isMap) break;
      const next = field.map()!.get(key);
      if (!next.present && !next.keyNode) break;
      field = next;
    }
    return field;
  }

  private collectEntries(map: YAMLMap, into: Map<string, Field>, visiting: Set<YAMLMap>): void {
    visiting.add(map);
    const merges: Array<{ node: unknown; key: Node }> = [];
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const key = this.ctx.resolve(keyNode, this.path);
      if (isScalar(key) && typeof key.value === 'symbol') {
        merges.push({ node: pair.value, key: key });
        continue;
      }
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        this.ctx.report(keyNode ?? this.anchor, this.path, `expected a plain key (a name), got ${key ? (isMap(key) ? 'a map' : isSeq(key) ? 'a list' : 'null') : 'nothing'}`);
        continue;
      }
      const name = String(key.value);
      // Duplicate keys are YAML errors already reported by the parser; keep the first.
      if (!into.has(name)) into.set(name, Field.of(this.ctx, pair.value, joinPath(this.path, name), keyNode ?? undefined, this.anchor));
    }
    // `<<: *base` — explicit keys win over merged ones, and earlier merges over later ones.
    for (const merge of merges) {
      const source = this.ctx.resolve(merge.node, this.path);
      const sources = isSeq(source) ? source.items.map((item) => this.ctx.resolve(item, this.path)) : [source];
      for (const item of sources) {
        if (!isMap(item)) {
          this.ctx.report(merge.key, this.path, 'a << merge key takes a map or a list of maps (usually *aliases)');
          continue;
        }
        if (visiting.has(item)) {
          this.ctx.report(merge.key, this.path, 'a << merge key merges a map into itself');
          continue;
        }
        // The text's nesting is bounded before parsing (yaml-limits.ts); a chain of merges is not.
        if (visiting.size >= MAX_YAML_DEPTH) {
          this.ctx.report(merge.key, this.path, `<< merge keys chained more than ${MAX_YAML_DEPTH} deep`);
          continue;
        }
        const merged = new Map<string, Field>();
        this.collectEntries(item, merged, visiting);
        for (const [key, field] of merged) if (!into.has(key)) into.set(key, field);
      }
    }
    visiting.delete(map);
  }

  /** The items of a list; undefined (problem recorded) if this is not a list. */
  list(expected = 'a list'): Field[] | undefined {
    if (!this.node) return undefined;
    if (!isSeq(this.node)) return this.problem(`expected ${expected}, got ${this.describe()}`);
    return this.node.items.map((item, i) => Field.of(this.ctx, item, `${this.path}[${i}]`, undefined, this.anchor));
  }

  /** A list of strings; a single string is not accepted (so `tags: a, b` is caught). */
  stringList(expected = 'a list of strings', check?: (text: string, item: Field) => boolean): string[] | undefined {
    const items = this.list(expected);
    if (!items) return undefined;
    const out: string[] = [];
    let ok = true;
    for (const item of items) {
      const text = item.string();
      if (text === undefined || (check && !check(text, item))) ok = false;
      else out.push(text);
    }
    return ok ? out : undefined;
  }

  // ── scalars ─────────────────────────────────────────────────────────────

  /** The scalar value (string, number, boolean), or undefined for absent values and collections. */
  scalar(): unknown {
    return this.node && isScalar(this.node) ? this.node.value : undefined;
  }

  get isList(): boolean {
    return isSeq(this.node);
  }

  get isMap(): boolean {
    return isMap(this.node);
  }

  /**
   * A string. `expected` describes it for the message; a pattern (with its description)
   * restricts it.
   */
  string(expected: string | { regex: RegExp; text: string } = 'a string'): string | undefined {
    if (!this.node) return undefined;
    const value = this.scalar();
    const text = typeof expected === 'string' ? expected : expected.text;
    if (typeof value !== 'string') return this.problem(`expected ${text}, got ${this.describe()}`);
    if (typeof expected !== 'string' && !expected.regex.test(value)) return this.problem(`expected ${text}, got ${this.describe()}`);
    return value;
  }

  /** A finite number in range. `above` is an exclusive lower bound. */
  number(range: { min?: number; above?: number; max?: number; integer?: boolean; unit?: string } = {}): number | undefined {
    if (!this.node) return undefined;
    const value = this.scalar();
    const unit = range.unit ? ` (${range.unit})` : '';
    const kind = range.integer ? 'an integer' : 'a number';
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.problem(`expected ${kind}${unit}, got ${this.describe()}`);
    if (range.integer && !Number.isSafeInteger(value)) return this.problem(`expected ${kind}${unit}, got ${value}`);
    if (range.above !== undefined && !(value > range.above)) return this.problem(`must be greater than ${range.above}${unit}, got ${value}`);
    if (range.min !== undefined && value < range.min) return this.problem(`must be at least ${range.min}${unit}, got ${value}`);
    if (range.max !== undefined && value > range.max) return this.problem(`must be at most ${range.max}${unit}, got ${value}`);
    return value;
  }

  integer(range: { min?: number; max?: number; unit?: string } = {}): number | undefined {
    return this.number({ ...range, integer: true });
  }

  boolean(): boolean | undefined {
    if (!this.node) return undefined;
    const value = this.scalar();
    if (typeof value !== 'boolean') return this.problem(`expected true or false, got ${this.describe()}`);
    return value;
  }

  /** One of a fixed set of words (did-you-mean on a near miss). */
  oneOf<T extends string>(values: readonly T[]): T | undefined {
    if (!this.node) return undefined;
    const value = this.scalar();
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    const near = typeof value === 'string' ? didYouMean(value, values) : undefined;
    return this.problem(`expected one of ${values.join(', ')}, got ${this.describe()}`, near ? `did you mean ${near}?` : undefined);
  }

  /**
   * The name of something declared elsewhere in the scenario (`what`: target, proxy, workload);
   * an unknown name is reported with the names that do exist.
   */
  reference(known: ReadonlyMap<string, unknown>, what: string, plural = `${what}s`): string | undefined {
    const name = this.string(`the name of a ${what}`);
    if (name === undefined) return undefined;
    if (known.has(name)) return name;
    const names = [...known.keys()];
    const near = didYouMean(name, names);
    const list = names.length > 0 ? `${plural} in this scenario: ${names.join(', ')}` : `this scenario has no ${plural}`;
    return this.problem(`unknown ${what} "${name}"`, near ? `did you mean "${near}"? ${list}` : list);
  }

  /** A duration string with a unit, in ms. `above`: exclusive lower bound (default: ≥ 0). */
  duration(range: { above?: number } = {}): number | undefined {
    if (!this.node) return undefined;
    const value = this.scalar();
    if (typeof value === 'number') {
      return this.problem(`expected ${DURATION_FORMAT}, got ${this.describe()}`, `durations need a unit: write ${value}s or ${value}ms`);
    }
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) return this.problem(`expected ${DURATION_FORMAT}, got ${this.describe()}`);
    if (range.above !== undefined && !(ms > range.above)) return this.problem(`must be longer than ${range.above}ms, got ${this.describe()}`);
    return ms;
  }

  /** A byte size (a number of bytes or `64KB`, `1MiB`, …), at least 1 byte. */
  byteSize(): number | undefined {
    if (!this.node) return undefined;
    const value = this.scalar();
    let bytes: number | undefined;
    if (typeof value === 'number') bytes = Number.isSafeInteger(value) ? value : undefined;
    else if (typeof value === 'string') bytes = parseByteSize(value);
    if (bytes === undefined) return this.problem(`expected ${BYTE_SIZE_FORMAT} (whole bytes), got ${this.describe()}`);
    if (bytes < 1) return this.problem(`must be at least 1 byte, got ${this.describe()}`);
    return bytes;
  }

  /**
   * The value as plain JSON-like data (for the toxic and assertion parsers), aliases followed.
   * Recursive aliases and alias bombs are reported, never expanded without bound.
   */
  plain(): unknown {
    if (!this.node) return undefined;
    const budget = { nodes: PLAIN_NODE_BUDGET };
    try {
      return toPlain(this.ctx, this.node, this.path, new Set(), budget);
    } catch (error) {
      if (error instanceof PlainError) return this.problem(error.message);
      throw error;
    }
  }
}

/** The entries of one map, with unknown-key checking. */
export class Entries {
  constructor(
    readonly owner: Field,
    private readonly fields: Map<string, Field>,
  ) {}

  /**
   * The field for `key`; an absent Field (located at the map) when the key is not there.
   * `nullIsAbsent`: treat `key:` with no value like a missing key (optional sections).
   */
  get(key: string, nullIsAbsent = false): Field {
    const field = this.fields.get(key);
    if (!field) return this.owner.absentChild(key);
    return nullIsAbsent && field.isNull ? field.asAbsent() : field;
  }

  has(key: string): boolean {
    return this.fields.get(key)?.present ?? false;
  }

  get size(): number {
    return this.fields.size;
  }

  keys(): string[] {
    return [...this.fields.keys()];
  }

  entries(): Array<[string, Field]> {
    return [...this.fields.entries()];
  }

  /**
   * Reports every key not in `allowed`, with a did-you-mean among them. `misplaced` may explain a
   * key that is valid elsewhere (e.g. `cwd` on an address target); its text replaces the default.
   */
  allowOnly(allowed: readonly string[], what: string, misplaced?: (key: string) => string | undefined): void {
    for (const [key, field] of this.fields) {
      if (allowed.includes(key)) continue;
      const explained = misplaced?.(key);
      if (explained) {
        field.keyProblem(explained);
        continue;
      }
      const near = didYouMean(key, allowed);
      const list = `${what} takes: ${allowed.join(', ')}`;
      field.keyProblem(`unknown key "${key}" in ${what}`, near ? `did you mean "${near}"? ${list}` : list);
    }
  }
}

class PlainError extends Error {}

function toPlain(ctx: LoadContext, node: ValueNode, path: string, visiting: Set<ValueNode>, budget: { nodes: number }): unknown {
  if (--budget.nodes < 0) throw new PlainError(`too many values (more than ${PLAIN_NODE_BUDGET}), probably an alias bomb`);
  if (isScalar(node)) return typeof node.value === 'symbol' ? '<<' : node.value;
  if (visiting.has(node)) throw new PlainError('an alias refers to a value that contains it (a recursive structure)');
  if (visiting.size >= MAX_YAML_DEPTH) throw new PlainError(`values nested more than ${MAX_YAML_DEPTH} deep (through aliases)`);
  visiting.add(node);
  const child = (item: unknown): unknown => {
    const resolved = item === null || item === undefined ? undefined : ctx.resolve(item, path);
    return resolved === undefined ? null : toPlain(ctx, resolved, path, visiting, budget);
  };
  let out: unknown;
  if (isSeq(node)) {
    out = node.items.map(child);
  } else {
    const record: Record<string, unknown> = {};
    const set = (name: string, value: unknown) => {
      // defineProperty: a key named __proto__ is data, not a prototype change.
      if (!Object.hasOwn(record, name)) Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
    };
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key === null || pair.key === undefined ? undefined : ctx.resolve(pair.key, path);
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        merges.push(child(pair.value));
        continue;
      }
      const key = keyNode === undefined ? null : toPlain(ctx, keyNode, path, visiting, budget);
      if (key === null || typeof key === 'object') throw new PlainError('expected plain keys (names), got a map, a list or null as a key');
      set(String(key), child(pair.value));
    }
    for (const merged of merges.flat()) {
      if (merged === null || typeof merged !== 'object') throw new PlainError('a << merge key takes a map or a list of maps (usually *aliases)');
      for (const [name, value] of Object.entries(merged)) set(name, value);
    }
    out = record;
  }
  visiting.delete(node);
  return out;
}

/** `a.b`, or `b` at the root. */
export function joinPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}
