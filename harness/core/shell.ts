import { spawnSync } from 'node:child_process';

/** Quotes `text` for a POSIX shell when it needs quoting: the commands faultline prints to copy. */
export function shellQuote(text: string): string {
  return /^[\w./@:^$-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Whether `name` is a command this machine's shell finds on PATH. */
export function commandOnPath(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shellQuote(name)}`], { stdio: 'ignore' }).status === 0;
}
