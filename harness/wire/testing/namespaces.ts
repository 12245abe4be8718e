/** The network namespaces faultline has now (named `fl-…`), for tests that check none is left behind. */
import { execFileSync } from 'node:child_process';

/** Other test files may have theirs at the same moment: compare by name, not by count. */
export function faultlineNamespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith('fl-'));
}
