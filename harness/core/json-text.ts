/**
 * JSON text the user handed faultline (a results.json, a --config, an API body), checked before
 * and after `JSON.parse`:
 *
 *   text ──▶ nesting depth (a flat scan) ──▶ JSON.parse ──▶ value
 *                                              └─ fails ──▶ locateJsonError: line, column, what was expected
 *
 * `JSON.parse` itself is not recursive in V8, but almost everything that walks its result is
 * (validation, rendering, `JSON.stringify`): a 500,000-deep array parses and then overflows the
 * stack of the first walker. The depth is bounded on the text, before anything recursive runs.
 *
 * V8's own error messages say "at position N", or nothing at all and echo the text ("Unexpected
 * token '}', "{…}" is not valid JSON"), so a syntax error is located again by a small validating
 * scanner of our own, which names the line and column and what it expected there.
 */
import { lineColumn } from './text-position.js';

/** Deepest nesting of arrays and objects accepted in user JSON. A results.json needs about 8. */
export const MAX_JSON_DEPTH = 64;

export interface JsonTextProblem {
  /** Too deep (`nesting`), or not JSON at all (`syntax`). */
  kind: 'nesting' | 'syntax';
  /** Offset in the text. */
  offset: number;
  line: number;
  column: number;
  message: string;
}

/** The first place where arrays and objects nest deeper than `maxDepth`, if any. Strings are skipped. */
export function findJsonNestingProblem(text: string, maxDepth = MAX_JSON_DEPTH): JsonTextProblem | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: to the next quote that is not escaped.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return { kind: 'nesting', offset: i, ...lineColumn(text, i), message: `nested more than ${maxDepth} levels deep` };
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return undefined;
}

/**
 * Where and why `text` is not JSON (RFC 8259), or undefined when it is. Call it after JSON.parse
 * failed. Iterative, so any nesting is fine.
 */
export function locateJsonError(text: string): JsonTextProblem | undefined {
  let i = 0;
  const fail = (message: string, at = i): JsonTextProblem => ({ kind: 'syntax', offset: at, ...lineColumn(text, at), message });
  const found = (): string => (i >= text.length ? 'the end of the text' : describeChar(text, i));
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  /** What is open: `[` or `{`. */
  const stack: string[] = [];

  for (;;) {
    // ── a value ──
    skipSpace();
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      skipSpace();
      if (c === '{') {
        if (text[i] === '}') {
          stack.pop();
          i++;
        } else {
          const problem = key();
          if (problem) return problem;
          continue;
        }
      } else if (text[i] === ']') {
        stack.pop();
        i++;
      } else {
        continue;
      }
    } else if (c === '"') {
      const problem = string();
      if (problem) return problem;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) return fail(`expected a number, got ${found()}`);
      i += match[0].length;
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      return fail(`expected a value (object, array, string, number, true, false or null), got ${found()}`);
    }

    // ── after a value: close what is complete, or expect the next element ──
    for (;;) {
      skipSpace();
      const open = stack.at(-1);
      if (open === undefined) {
        return i < text.length ? fail(`expected the end of the text after the value, got ${found()}`) : undefined;
      }
      const close = open === '{' ? '}' : ']';
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return fail(`expected ',' or '${close}' after ${open === '{' ? 'a property value' : 'an array element'}, got ${found()}`);
      i++;
      if (open === '{') {
        skipSpace();
        const problem = key();
        if (problem) return problem;
      }
      break;
    }
  }

  /** `"name":` (leaves i after the colon). */
  function key(): JsonTextProblem | undefined {
    if (text[i] !== '"') return fail(`expected a property name in double quotes, got ${found()}`);
    const problem = string();
    if (problem) return problem;
    skipSpace();
    if (text[i] !== ':') return fail(`expected ':' after the property name, got ${found()}`);
    i++;
    return undefined;
  }

  /** A string starting at i (a quote); leaves i after its closing quote. */
  function string(): JsonTextProblem | undefined {
    const start = i;
    for (i++; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 0x22) {
        i++;
        return undefined;
      }
      if (d < 0x20) return fail(`control character ${describeChar(text, i)} inside a string (write it as an escape, e.g. \\n)`);
      if (d === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return fail('expected four hex digits after \\u', i);
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i++;
        } else {
          return fail(`invalid escape ${JSON.stringify(text.slice(i, i + 2))} in a string`, i);
        }
      }
    }
    return fail('unterminated string (no closing quote before the end of the text)', start);
  }
}

/**
 * JSON.parse for text a user handed over: the value, or where and why the text is not JSON, or
 * where it nests deeper than MAX_JSON_DEPTH (checked first: see the header).
 */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; problem: JsonTextProblem } {
  const deep = findJsonNestingProblem(text);
  if (deep) return { ok: false, problem: deep };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: locateJsonError(text) ?? { kind: 'syntax', offset: 0, line: 1, column: 1, message: (error as Error).message } };
  }
}

/** A JSON number, matched where `lastIndex` says (sticky). */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;


function describeChar(text: string, i: number): string {
  const c = text.codePointAt(i)!;
  return c < 0x20 || c === 0x7f ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(String.fromCodePoint(c));
}

/** A JSON object (not null, not an array): what a parsed document's maps are. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
