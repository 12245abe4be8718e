/**
 * One TCP connect attempt: does something accept connections at host:port? The connection is
 * closed as soon as it opens; nothing is sent.
 */
import { Socket } from 'node:net';
import type { NetworkPlace } from '../core/network-place.js';

export type ProbeResult = { ok: true } | { ok: false; code: string; message: string };

/**
 * Resolves (never rejects) with the outcome of one connect, giving up after `timeoutMs` or when
 * `signal` aborts (then as ECANCELED). From `place` when given (a wire path's target side).
 */
export function probeTcp(host: string, port: number, timeoutMs: number, signal?: AbortSignal, place?: NetworkPlace): Promise<ProbeResult> {
  let socket: Socket;
  try {
    socket = place ? new Socket({ fd: place.openSocket('tcp').fd }) : new Socket();
  } catch (error) {
    // No socket to probe with (EMFILE, the namespace gone): an outcome like any other.
    const e = error as NodeJS.ErrnoException;
    return Promise.resolve({ ok: false, code: e.code ?? 'ERROR', message: e.message });
  }
  return new Promise((resolve) => {
    socket.connect({ host, port });
    const onAbort = () => finish({ ok: false, code: 'ECANCELED', message: 'probe cancelled' });
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {}); // a late RST after destroy must not become an uncaught error
      socket.destroy();
      resolve(result);
    };
    // A plain timer: this bounds a socket operation, it is not part of any fault schedule.
    const timer = setTimeout(() => finish({ ok: false, code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ ok: true }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ ok: false, code: error.code ?? 'ERROR', message: error.message }));
  });
}
