/**
 * Splits a command line into arguments the way a POSIX shell would quote them, without any shell
 * features: whitespace separates words, '…' is literal, "…" allows \" \\ \$ \` escapes, and a
 * backslash outside quotes escapes the next character. Pipes, redirections, `;`, `&`, `$VAR` and
 * backticks are refused rather than passed on literally, so `server | tee log` is an error the
 * user sees, not an argument `|` their server receives. (`{tcp_port}` placeholders are plain text.)
 */

const OPERATORS = new Set(['|', '&', ';', '<', '>', '`', '$']);

export function splitCommand(text: string): string[] | { error: string } {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { error: `unterminated ' quote starting at character ${i + 1}` };
      current += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) current += text[++j];
        else if (d === '`' || d === '$') return { error: `shell feature ${d} at character ${j + 1} is not supported` };
        else current += d;
      }
      if (j >= text.length) return { error: `unterminated " quote starting at character ${i + 1}` };
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { error: 'the command ends with a lone backslash' };
      current += text[++i];
    } else if (OPERATORS.has(c)) {
      return { error: `shell feature ${c} at character ${i + 1} is not supported (no shell runs the command)` };
    } else {
      current += c;
    }
  }
  if (inWord) args.push(current);
  return args;
}
