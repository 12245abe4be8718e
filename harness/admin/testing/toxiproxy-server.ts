/**
 * Tests that need a real Toxiproxy server (admin/toxiproxy-server.ts starts one) are declared
 * with `describeWithToxiproxy`: without a binary they are skipped with a one-line reason, unless
 * FAULTLINE_TOXIPROXY=required (CI sets it), when they fail instead — CI can never pass by
 * silently skipping them.
 */
import { describe, it } from 'vitest';
import { findToxiproxy } from '../toxiproxy-server.js';

export { startToxiproxy, type ToxiproxyServer } from '../toxiproxy-server.js';

/**
 * `describe(name, body)` when a Toxiproxy binary is there; otherwise skipped, with the reason in
 * its name, or — with FAULTLINE_TOXIPROXY=required — one failing test saying what is missing.
 */
export function describeWithToxiproxy(name: string, body: (bin: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  const found = findToxiproxy(env);
  if (found.bin !== undefined) {
    describe(name, () => body(found.bin));
  } else if (env.FAULTLINE_TOXIPROXY === 'required') {
    describe(name, () => {
      it('has a Toxiproxy server to run against (FAULTLINE_TOXIPROXY=required)', () => {
        throw new Error(`FAULTLINE_TOXIPROXY=required, but ${found.reason}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${found.reason})`, () => body(''));
  }
}
