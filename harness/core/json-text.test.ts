import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { fuzzParameters } from '../test/fuzz-budget.js';
import { findJsonNestingProblem, locateJsonError, MAX_JSON_DEPTH } from './json-text.js';
import { lineColumn } from './text-position.js';

function located(text: string): string {
  const problem = locateJsonError(text);
  return problem ? `${problem.line}:${problem.column} ${problem.message}` : 'valid';
}

describe('locateJsonError', () => {
  it('names the line, the column and what was expected', () => {
    expect(located('{\n  "a": 1,\n  "b": }\n')).toBe(`3:8 expected a value (object, array, string, number, true, false or null), got "}"`);
    expect(located('{"a": 1')).toBe("1:8 expected ',' or '}' after a property value, got the end of the text");
    expect(located('[1, 2,]')).toBe('1:7 expected a value (object, array, string, number, true, false or null), got "]"');
    expect(located('{"a" 1}')).toBe(`1:6 expected ':' after the property name, got "1"`);
    expect(located('{a: 1}')).toBe(`1:2 expected a property name in double quotes, got "a"`);
    expect(located('"abc')).toBe('1:1 unterminated string (no closing quote before the end of the text)');
    expect(located('"a\\x"')).toBe('1:3 invalid escape "\\\\x" in a string');
    expect(located('"a\tb"')).toBe('1:3 control character U+0009 inside a string (write it as an escape, e.g. \\n)');
    expect(located('{}x')).toBe('1:3 expected the end of the text after the value, got "x"');
    expect(located('')).toBe('1:1 expected a value (object, array, string, number, true, false or null), got the end of the text');
    expect(located('01')).toBe('1:2 expected the end of the text after the value, got "1"');
    expect(located(`[${'1'.repeat(1000)}]`)).toBe('valid');
  });

  // The scanner agrees with JSON.parse on what is JSON: on JSON texts, and on them cut and spliced.
  const edited = fc
    .tuple(fc.json(), fc.nat(), fc.nat({ max: 3 }), fc.constantFrom('', '}', ']', ',', ':', '"', '\\', '\n', 'x', '1', '-', 'e', '.', ' ', '\u0001', '{', '['))
    .map(([text, at, remove, insert]) => {
      const i = text.length === 0 ? 0 : at % (text.length + 1);
      return text.slice(0, i) + insert + text.slice(i + remove);
    });
  test.prop([fc.oneof(fc.json(), edited, fc.string({ maxLength: 30 }))], fuzzParameters<[string]>('json-text', 1000))('agrees with JSON.parse', (text) => {
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    const problem = locateJsonError(text);
    expect(problem === undefined, `${JSON.stringify(text)} → ${problem?.message}`).toBe(parses);
    if (problem) expect(problem).toMatchObject(lineColumn(text, problem.offset));
  });
});

describe('findJsonNestingProblem', () => {
  it('finds where nesting goes past the limit, ignoring brackets in strings', () => {
    expect(findJsonNestingProblem(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
    expect(findJsonNestingProblem(`{"a":\n${'['.repeat(500_000)}`)).toMatchObject({ line: 2, column: MAX_JSON_DEPTH, message: `nested more than ${MAX_JSON_DEPTH} levels deep` });
    expect(findJsonNestingProblem(`["${'['.repeat(100)}\\"${'{'.repeat(100)}"]`)).toBeUndefined();
  });
});
