/** Quotes `text` for a POSIX shell when it needs quoting: the commands faultline prints to copy. */
export function shellQuote(text: string): string {
  return /^[\w./@:^$-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
