import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  escapeMarkdown,
  escapeScriptJson,
  escapeTerminal,
  escapeXmlAttr,
  escapeXmlText,
  markdownCode,
  stripAnsi,
  stripXmlIllegal,
} from './escape.js';
import { literalXmlParser } from '../test/literal-xml-parser.js';

const parser = literalXmlParser();

/** Strings heavy in the characters that matter: markup, quotes, controls, surrogates, FFFE/FFFF. */
const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom('<', '>', '&', '"', "'", ']]>', '</script>', '<!--', '\u0000', '\u0001', '\u001b', '\t', '\n', '\r', '\r\n', '\uFFFE', '\uFFFF', '\uD800', '\uDC00', '😀', 'é', '日'),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
  maxLength: 40,
});

describe('XML escaping', () => {
  it('removes exactly the characters XML 1.0 forbids', () => {
    expect(stripXmlIllegal('a\u0000b\u0008c\u000Bd\u000Ce\u001Ff\tg\nh\ri\uFFFEj\uFFFFk')).toBe('abcdef\tg\nh\rijk');
    expect(stripXmlIllegal('x\uD800y\uDC00z😀')).toBe('xyz😀');
    expect(stripXmlIllegal('\uD83D\uDE00')).toBe('😀');
  });

  it('escapes markup and never writes ]]>', () => {
    expect(escapeXmlText('a < b && c > d ]]> "q"')).toBe('a &lt; b &amp;&amp; c &gt; d ]]&gt; "q"');
    expect(escapeXmlAttr(`"it's"\t<x>\n`)).toBe('&quot;it&apos;s&quot;&#9;&lt;x&gt;&#10;');
  });

  test.prop([nasty, nasty])('any text and attribute parse back to the input minus illegal characters', (text, attr) => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><r a="${escapeXmlAttr(attr)}">${escapeXmlText(text)}</r>`;
    expect(xml).not.toMatch(/\]\]>/);
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    const parsed = parser.parse(xml) as { r: string | { '#text'?: string; '@a': string } };
    const r = typeof parsed.r === 'string' ? { '#text': parsed.r, '@a': '' } : parsed.r;
    expect(r['#text'] ?? '').toBe(stripXmlIllegal(text));
    expect(r['@a']).toBe(stripXmlIllegal(attr));
  });
});

describe('HTML escaping', () => {
  it('neutralises markup in text and attributes', () => {
    expect(escapeHtml('<img src=x onerror=alert(1)> & "q" \'s\'')).toBe('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot; &#39;s&#39;');
  });

  test.prop([nasty])('escaped text contains no markup-significant character', (text) => {
    expect(escapeHtml(text)).not.toMatch(/[<>"']|&(?!(amp|lt|gt|quot|#39);)/);
  });

  test.prop([fc.jsonValue(), nasty])('JSON for a script block cannot end it and parses back unchanged', (value, text) => {
    const data = { value, text };
    const encoded = escapeScriptJson(data);
    expect(encoded.toLowerCase()).not.toContain('</script');
    expect(encoded).not.toContain('<!--');
    expect(encoded).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(encoded)).toEqual(JSON.parse(JSON.stringify(data)));
  });
});

describe('Markdown escaping', () => {
  it('keeps a table cell one cell: pipes, newlines and inline HTML are escaped', () => {
    const cell = escapeMarkdown('a|b\nc <b>x</b> *y* `z`');
    expect(cell).toBe('a\\|b c &lt;b&gt;x&lt;/b&gt; \\*y\\* \\`z\\`');
    expect(cell).not.toContain('\n');
  });

  it('grows the code fence past backticks in the text', () => {
    expect(markdownCode('npx faultline run')).toBe('`npx faultline run`');
    expect(markdownCode('a `b` c')).toBe('``a `b` c``');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode('a|b', true)).toBe('`a\\|b`');
  });
});

describe('terminal escaping', () => {
  it('removes ANSI sequences and control characters but keeps tabs, newlines and text', () => {
    expect(stripAnsi('\u001b[31mred\u001b[0m \u001b]0;title\u0007x')).toBe('red x');
    expect(escapeTerminal('a\u001b[2Jb\u0007c\u009b31md\te\nf日😀')).toBe('abc31md\te\nf日😀');
  });
});
