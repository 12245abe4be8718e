/** The network namespaces there are now, for tests that check none of faultline's is left behind. */
import { execFileSync } from 'node:child_process';

/** `ip netns list` as it prints it: a line a namespace, `NAME (id: N)` or `NAME`. */
export function ipNetnsList(): string {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Faultline's (named `fl-…`). Other test files may have theirs at the same moment: compare by name, not by count. */
export function faultlineNamespaces(): string[] {
  return ipNetnsList()
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith('fl-'));
}
