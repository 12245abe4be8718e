/**
 * Which UDP socket I/O (udp-io.ts) a proxy uses: native where the addon was built (at install,
 * by native/build.mjs), else Node's dgram. FAULTLINE_UDP_IO chooses explicitly: `native` fails
 * loudly where the addon is missing, `dgram` never loads it. Kept apart from the interface so
 * that neither implementation imports a file that imports it back.
 */
import { FaultlineError } from '../core/errors.js';
import type { UdpIo } from './udp-io.js';
import { dgramUdpIo } from './udp-io-dgram.js';
import { loadNativeUdpIo } from './udp-io-native.js';

export const UDP_IO_ENV = 'FAULTLINE_UDP_IO';

let chosen: UdpIo | undefined;

/** The UDP I/O the proxy uses unless told otherwise: native where built, else dgram (see above). */
export function defaultUdpIo(): UdpIo {
  chosen ??= chooseUdpIo(process.env[UDP_IO_ENV]);
  return chosen;
}

/** `native`, `dgram`, or auto (undefined / empty): native if it loads, else dgram. */
export function chooseUdpIo(wanted: string | undefined): UdpIo {
  if (wanted === 'dgram') return dgramUdpIo;
  const native = loadNativeUdpIo();
  if (wanted === undefined || wanted === '' || wanted === 'auto') return native.io ?? dgramUdpIo;
  if (wanted === 'native') {
    if (native.io) return native.io;
    throw new FaultlineError('ENVIRONMENT', `${UDP_IO_ENV}=native, but the native UDP addon is not available: ${native.problem}`, {
      hint: `rebuild it with "node harness/proxy/native/build.mjs", or unset ${UDP_IO_ENV} to fall back to dgram`,
    });
  }
  throw new FaultlineError('INVALID_ARGUMENT', `${UDP_IO_ENV}="${wanted}" is not one of native, dgram, auto`);
}
