/**
 * Where the native addon (harness/proxy/native: UDP I/O, timed sends, TCP forwarding, the wire
 * layer) is, and loading it: built beside the sources, which tests run, and found from the
 * package's dist/ too. Its two users, proxy/ and wire/native.ts, load it through requireAddon and
 * say in their own words why they cannot; this is the one place that knows where it lives.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export function addonPath(): string | undefined {
  return [
    new URL('../proxy/native/build/Release/faultline_udp.node', import.meta.url),
    new URL('../../harness/proxy/native/build/Release/faultline_udp.node', import.meta.url),
  ]
    .map((url) => fileURLToPath(url))
    .find((path) => existsSync(path));
}

/** How a user names the two cases where there is no addon to load. */
export interface AddonWords {
  /** Followed by ` (this is <platform>)`. */
  linuxOnly: string;
  notBuilt: string;
}

/** The proxy's words: it says which part of it is unavailable before these. */
const PROXY_WORDS: AddonWords = {
  linuxOnly: 'it is Linux-only',
  notBuilt: 'it was not built (see the install output of native/build.mjs)',
};

/**
 * The addon's exports (typed by the caller, who knows which part it uses) and the file they came
 * from, or why it is unavailable: not Linux, not built, does not load.
 */
export function requireAddon<T>(words: AddonWords = PROXY_WORDS): { addon?: T; path?: string; problem?: string } {
  if (process.platform !== 'linux') return { problem: `${words.linuxOnly} (this is ${process.platform})` };
  const path = addonPath();
  if (!path) return { problem: words.notBuilt };
  try {
    return { addon: createRequire(import.meta.url)(path) as T, path };
  } catch (error) {
    return { problem: `${path} does not load: ${(error as Error).message}` };
  }
}
