/**
 * Limits a scenario file's text is held to before the YAML parser sees it. The parser and the
 * composer recurse once per level of nesting, and dedenting a few hundred levels at once
 * overflows the stack inside them (a RangeError, not a YAML error); every alias is resolved by a
 * walk of its document. So the text is first tokenised — the YAML lexer is a flat state machine,
 * safe on any input — and its nesting and aliases counted:
 *
 *   text ──▶ Lexer tokens ──▶ nesting estimate per token, aliases counted ──▶ first excess | ok
 *
 * The nesting estimate is an upper bound of what the parser will stack: the distinct indentation
 * levels open at the start of a line, plus the block indicators (`-`, `?`, `:`) before a token on
 * its line, plus the open flow collections (`[`, `{`). It may count a level or two more than the
 * document has, which matters to nobody: a scenario rarely needs 10, the limit is 64, and the
 * parser overflows near 800.
 */
import { CST, Lexer } from 'yaml';

/** Deepest nesting of maps, lists and flow collections a scenario file may have. */
export const MAX_YAML_DEPTH = 64;
/** Most aliases (`*name`) one scenario file may use. */
const MAX_YAML_ALIASES = 1000;

export interface YamlLimitProblem {
  /** Offset in the text of the token that went past the limit. */
  offset: number;
  message: string;
  hint: string;
}

/** Tokens that mark the lexer's state and take no room in the text. */
const ZERO_WIDTH = new Set(['doc-mode', 'flow-error-end', 'scalar', 'byte-order-mark']);

/** The first place where `text` goes past a limit, or undefined when it stays within all of them. */
export function findYamlLimitProblem(text: string): YamlLimitProblem | undefined {
  let offset = 0;
  let aliases = 0;
  let flowDepth = 0;
  /** Columns of the block levels open at the start of the current line, strictly increasing. */
  const indents: number[] = [];
  let atLineStart = true;
  let column = 0;
  /** Block indicators seen on the current line so far (each may open a compact level). */
  let indicators = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    const start = offset;
    if (type === null || !ZERO_WIDTH.has(type)) offset += token.length;
    switch (type) {
      case 'newline':
        atLineStart = true;
        column = 0;
        indicators = 0;
        continue;
      case 'space':
      case 'comment':
        column += token.length;
        continue;
      case 'doc-start':
      case 'doc-end':
        indents.length = 0;
        flowDepth = 0;
        continue;
      case 'doc-mode':
      case 'flow-error-end':
      case 'scalar':
      case 'byte-order-mark':
        continue;
      default:
        break;
    }
    if (atLineStart && flowDepth === 0) {
      while (indents.length > 0 && indents.at(-1)! > column) indents.pop();
      if (indents.at(-1) !== column) indents.push(column);
    }
    atLineStart = false;
    if (type === 'alias' && ++aliases > MAX_YAML_ALIASES) {
      return { offset: start, message: `more than ${MAX_YAML_ALIASES} aliases in one file`, hint: 'a scenario file needs a few; share definitions with fewer, larger anchors' };
    }
    if (type === 'flow-seq-start' || type === 'flow-map-start') flowDepth++;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flowDepth = Math.max(0, flowDepth - 1);
    else if (flowDepth === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')) indicators++;
    if (indents.length + indicators + flowDepth > MAX_YAML_DEPTH) {
      return {
        offset: start,
        message: `nested more than ${MAX_YAML_DEPTH} levels deep`,
        hint: 'a scenario rarely needs more than 10; look for an indentation that keeps growing or brackets that are never closed',
      };
    }
    // A scalar may span lines (block scalars end with their newline): continue on its last line.
    const newline = token.lastIndexOf('\n');
    if (newline < 0) {
      column += token.length;
    } else {
      column = token.length - newline - 1;
      indicators = 0;
      atLineStart = /^[ \t]*$/.test(token.slice(newline + 1));
    }
  }
  return undefined;
}
