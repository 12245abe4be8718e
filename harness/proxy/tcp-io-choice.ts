/**
 * Which TCP socket I/O (tcp-io.ts) a proxy uses: native where the addon was built, else Node's
 * sockets. FAULTLINE_TCP_IO chooses explicitly: `native` fails loudly where the addon is missing,
 * `js` never loads it. Kept apart from the interface so that the native implementation does not
 * import a file that imports it back (the same split as udp-io-choice.ts).
 */
import { chooseIo } from './io-choice.js';
import { jsTcpIo, type TcpIo } from './tcp-io.js';
import { loadNativeTcpIo } from './tcp-io-native.js';

export const TCP_IO_ENV = 'FAULTLINE_TCP_IO';

let chosen: { io: TcpIo; problem?: string } | undefined;

/**
 * The TCP I/O the proxy uses unless told otherwise: native where built, else js, with why native
 * is unavailable (the engine says it once). Throws FaultlineError for a bad FAULTLINE_TCP_IO.
 */
export function defaultTcpIo(): { io: TcpIo; problem?: string } {
  chosen ??= chooseTcpIo(process.env[TCP_IO_ENV]);
  return chosen;
}

/** `native`, `js`, or auto (undefined / empty): native if the addon loads, else js. */
export function chooseTcpIo(wanted: string | undefined): { io: TcpIo; problem?: string } {
  return chooseIo(wanted, {
    env: TCP_IO_ENV,
    fallback: { name: 'js', io: jsTcpIo },
    loadNative: loadNativeTcpIo,
    nativeWhat: 'the native addon',
    fallbackDoes: 'forward through JavaScript',
  });
}
