/**
 * Escaping for every output format. Everything a user or a target wrote (scenario names, assertion
 * sources, error messages, a target's stdout) passes through one of these before it reaches a
 * report, so a hostile name like `<img src=x onerror=alert(1)>` stays text.
 *
 * XML 1.0 cannot carry every string: its Char production excludes C0 controls other than tab, LF
 * and CR, lone surrogates, and U+FFFE/U+FFFF — not even as `&#1;`. Those are removed (and only
 * those). Tab, LF and CR are written as character references where a parser would otherwise
 * normalise them (attribute values; CR in text), so what a parser reads back equals the input.
 */

/** Characters XML 1.0 forbids anywhere, also as references; a lone surrogate is one of them. */
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** ANSI escape sequences (colours, cursor moves) as targets print them on a terminal. */
const ANSI = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;

/** Removes the characters XML 1.0 forbids (see the header); every other character is kept. */
export function stripXmlIllegal(text: string): string {
  return text.replace(XML_ILLEGAL, '');
}

/** Removes ANSI colour and cursor sequences, e.g. from a target's captured output. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

const XML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const XML_ATTR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Escapes character data for an XML element. `>` is always escaped, so `]]>` can never appear
 * (faultline writes no CDATA sections at all); CR becomes `&#13;` so parsers do not turn it into LF.
 */
export function escapeXmlText(text: string): string {
  return stripXmlIllegal(text).replace(/[&<>\r]/g, (c) => XML_TEXT[c]!);
}

/** Escapes an XML attribute value (for either quote style), keeping tabs and line breaks exact. */
export function escapeXmlAttr(text: string): string {
  return stripXmlIllegal(text).replace(/[&<>"'\t\n\r]/g, (c) => XML_ATTR[c]!);
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML element content and quoted attribute values alike. Characters HTML calls
 * parse errors (C0 controls, lone surrogates, non-characters) are dropped like in XML.
 */
export function escapeHtml(text: string): string {
  return stripXmlIllegal(text).replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` become `\u003c`-style
 * escapes, so no `</script>` or `<!--` can end or alter the block, and U+2028/U+2029 are escaped
 * too. `JSON.parse(element.textContent)` returns the value unchanged.
 */
export function escapeScriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Escapes text for a Markdown table cell or inline text (GitHub-flavoured): HTML-significant
 * characters become entities (GitHub renders inline HTML), Markdown punctuation is
 * backslash-escaped, and line breaks become spaces (a table row is one line).
 */
export function escapeMarkdown(text: string): string {
  return stripXmlIllegal(stripAnsi(text))
    .replace(/\r\n|[\r\n]/g, ' ')
    .replace(/[&<>]/g, (c) => HTML[c]!)
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`);
}

/**
 * Text as Markdown inline code: backticks cannot be escaped inside a code span, so the fence
 * grows instead. In a table cell (`inTable`), `|` must still be escaped: GitHub splits cells first.
 */
export function markdownCode(text: string, inTable = false): string {
  let clean = stripXmlIllegal(stripAnsi(text)).replace(/\r\n|[\r\n]/g, ' ');
  if (inTable) clean = clean.replace(/\|/g, '\\|');
  let fence = '`';
  while (clean.includes(fence)) fence += '`';
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/**
 * Text safe to print on a terminal: ANSI sequences and control characters (C0 but tab and
 * newline, DEL, C1 — 0x9B is an 8-bit CSI) are removed, so a hostile scenario name or target
 * output cannot move the cursor, recolour or retitle the user's terminal.
 */
export function escapeTerminal(text: string): string {
  return stripAnsi(text).replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '');
}
