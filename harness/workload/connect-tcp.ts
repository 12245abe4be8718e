/**
 * Opening a TCP connection as data: a connect either yields a socket and how long it took, or a
 * classified error (ECONNREFUSED, ETIMEDOUT after `connectTimeoutMs`, …). Never throws.
 */
import { Socket } from 'node:net';
import type { HostPort } from '../core/address.js';
import { formatHostPort } from '../core/address.js';
import type { Clock } from '../core/clock.js';
import type { NetworkPlace } from '../core/network-place.js';
import { classifyError, type ClassifiedError } from './classify-error.js';

export type ConnectOutcome =
  | { ok: true; socket: Socket; connectMs: number }
  | { ok: false; error: ClassifiedError | null };

/**
 * `error: null` means the signal aborted the attempt: nothing to record. With a `place`, the
 * socket is opened there (the client side of a wire path) and used here like any other.
 */
export function connectTcp(endpoint: HostPort, timeoutMs: number, clock: Clock, signal: AbortSignal, place?: NetworkPlace): Promise<ConnectOutcome> {
  if (signal.aborted) return Promise.resolve({ ok: false, error: null });
  let socket: Socket;
  try {
    socket = place ? new Socket({ fd: place.openSocket('tcp').fd }) : new Socket();
  } catch (error) {
    return Promise.resolve({ ok: false, error: classifyError(error as Error) });
  }
  const startedAt = clock.now();
  return new Promise((resolve) => {
    socket.setNoDelay(true);
    socket.connect({ host: endpoint.host, port: endpoint.port });
    let settled = false;
    const settle = (outcome: ConnectOutcome) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (!outcome.ok) socket.destroy();
      resolve(outcome);
    };
    const onConnect = () => settle({ ok: true, socket, connectMs: clock.now() - startedAt });
    const onError = (error: Error) => settle({ ok: false, error: classifyError(error) });
    const onAbort = () => settle({ ok: false, error: null });
    const timer = clock.scheduleAt(startedAt + timeoutMs, () =>
      settle({
        ok: false,
        error: { code: 'ETIMEDOUT', message: `connect to ${formatHostPort(endpoint)} timed out after ${timeoutMs} ms` },
      }),
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
