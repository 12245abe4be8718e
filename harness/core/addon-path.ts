/**
 * Where the native addon (harness/proxy/native: UDP I/O, timed sends, TCP forwarding, the wire
 * layer) is: built beside the sources, which tests run, and found from the package's dist/ too.
 * Its two users, proxy/native-addon.ts and wire/native.ts, load it and say in their own words why
 * they cannot; this is the one place that knows where it lives.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function addonPath(): string | undefined {
  return [
    new URL('../proxy/native/build/Release/faultline_udp.node', import.meta.url),
    new URL('../../harness/proxy/native/build/Release/faultline_udp.node', import.meta.url),
  ]
    .map((url) => fileURLToPath(url))
    .find((path) => existsSync(path));
}
