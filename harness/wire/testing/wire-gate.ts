/**
 * Whether the wire tests can run here. They skip with the reason where the wire layer is
 * unavailable, and fail instead when FAULTLINE_WIRE=required (CI), so that they can never be
 * skipped silently.
 */
import { describe, expect, it } from 'vitest';
import { probeWire } from '../probe.js';

export const wireSupport = probeWire();
const required = process.env.FAULTLINE_WIRE === 'required';

/** `describe` where the wire layer works; elsewhere a skipped suite that says why, or a failing test. */
export function describeWire(name: string, body: () => void): void {
  if (wireSupport.available) {
    describe(name, body);
  } else if (required) {
    describe(name, () => {
      it('needs the wire layer (FAULTLINE_WIRE=required)', () => {
        expect(wireSupport.missing).toEqual([]);
      });
    });
  } else {
    describe.skip(`${name} — skipped: ${wireSupport.missing[0]}`, body);
  }
}
