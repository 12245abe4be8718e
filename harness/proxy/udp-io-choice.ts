/**
 * Which UDP socket I/O (udp-io.ts) a proxy uses: native where the addon was built (at install,
 * by native/build.mjs), else Node's dgram. FAULTLINE_UDP_IO chooses explicitly: `native` fails
 * loudly where the addon is missing, `dgram` never loads it. Kept apart from the interface so
 * that neither implementation imports a file that imports it back.
 */
import { chooseIo } from './io-choice.js';
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
  return chooseIo(wanted, {
    env: UDP_IO_ENV,
    fallback: { name: 'dgram', io: dgramUdpIo },
    loadNative: loadNativeUdpIo,
    nativeWhat: 'the native UDP addon',
    fallbackDoes: 'fall back to dgram',
  }).io;
}
