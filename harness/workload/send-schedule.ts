/**
 * Paced sending on an absolute schedule. Unit i (a message, or a byte for byte rates) is due at
 * `startMs + unitsBefore(i) / rate`, computed from the start every time, so rounding and late
 * wake-ups never accumulate into drift: a sender that wakes late sends everything that is due in
 * one go, then sleeps until the next due time. How late each send was against its own schedule is
 * recorded (`send_lateness_ms`), so a report can tell a slow harness from a slow network.
 *
 * At 50 000 datagrams/s there are 20 µs between sends, far below what a timer can wait: the loop
 * sends what is due, then sleeps on the Clock (whose system implementation polls with
 * setImmediate near a deadline, yielding to I/O on every turn). A catch-up burst is capped so the
 * receiver, in the same event loop, gets to run between bursts.
 */
import type { Clock } from '../core/clock.js';
import type { LatencyHistogram } from '../metrics/latency-histogram.js';

/** Sends per wake-up before yielding to I/O, when behind or unpaced (default). */
export const MAX_BURST = 256;
/**
 * The burst for UDP senders whose receiver shares the event loop: libuv reads at most 32
 * datagrams per socket per loop turn, so a sender catching up faster than that would overflow the
 * receiver's socket buffer and measure its own loss.
 */
export const UDP_MAX_BURST = 32;

export interface SendLoop {
  clock: Clock;
  signal: AbortSignal;
  /** Clock ms of unit 0's due time. */
  startMs: number;
  /** Units per second, or 'max' (send as fast as the socket takes them). */
  rate: number | 'max';
  /** Stop at this clock time (a `duration` workload); units due at or after it are not sent. */
  endAtMs?: number;
  /**
   * Sends the next message; returns the units it used (1 for a message, its bytes for a byte
   * rate), or null when there is nothing left to send.
   */
  sendNext(dueAtMs: number): number | null;
  /** Called after each burst (e.g. to write a batch of frames as one buffer). */
  flush?(): void;
  /** Backpressure: a promise to wait on before sending more, or null to go on. */
  waitWritable?(): Promise<unknown> | null;
  /** Ends a burst early while true (a socket over its high-water mark), before `waitWritable`. */
  blocked?(): boolean;
  lateness?: LatencyHistogram;
  /** Sends per wake-up before yielding to I/O. Default MAX_BURST. */
  maxBurst?: number;
}

export type SendLoopEnd = 'done' | 'ended' | 'aborted' | 'stopped';

/**
 * Runs the loop until `sendNext` returns null ('done'), `endAtMs` passes ('ended'), the signal
 * aborts ('aborted') or `stop()` on the returned handle is called ('stopped').
 */
export function runSendLoop(loop: SendLoop): { done: Promise<SendLoopEnd>; stop(): void } {
  let stopped = false;
  const stopController = new AbortController();
  const onAbort = () => stopController.abort();
  loop.signal.addEventListener('abort', onAbort, { once: true });
  const done = drive(loop, stopController.signal, () => stopped).finally(() => loop.signal.removeEventListener('abort', onAbort));
  return {
    done,
    stop() {
      stopped = true;
      stopController.abort();
    },
  };
}

async function drive(loop: SendLoop, wake: AbortSignal, isStopped: () => boolean): Promise<SendLoopEnd> {
  const { clock, rate } = loop;
  const maxBurst = loop.maxBurst ?? MAX_BURST;
  let units = 0;
  const dueOf = (u: number) => (rate === 'max' ? 0 : loop.startMs + (u / rate) * 1000);
  if (rate !== 'max' && rate <= 0) throw new RangeError(`rate must be > 0, got ${rate}`);
  for (;;) {
    if (isStopped()) return 'stopped';
    if (loop.signal.aborted) return 'aborted';
    let now = clock.now();
    if (loop.endAtMs !== undefined && now >= loop.endAtMs) return 'ended';
    let due = dueOf(units);
    let sent = 0;
    let finished = false;
    while (sent < maxBurst && (rate === 'max' || due <= now) && !loop.blocked?.()) {
      if (loop.endAtMs !== undefined && (rate === 'max' ? now : due) >= loop.endAtMs) break;
      const used = loop.sendNext(rate === 'max' ? now : due);
      if (used === null) {
        finished = true;
        break;
      }
      if (rate !== 'max') loop.lateness?.record(now - due);
      units += used;
      due = dueOf(units);
      sent++;
      if ((sent & 31) === 0) now = clock.now();
    }
    loop.flush?.();
    if (finished) return 'done';
    const writable = loop.waitWritable?.();
    if (writable) {
      await untilSettledOrAborted(writable, wake);
      continue;
    }
    if (rate === 'max' || due <= clock.now()) {
      await yieldToIo();
      continue;
    }
    const until = loop.endAtMs === undefined ? due : Math.min(due, loop.endAtMs);
    await clock.sleepUntil(until, wake);
  }
}

/** Lets pending I/O callbacks (the receiver, acks, errors) run before the sender goes on. */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits for `promise`, or for `signal` to abort, whichever is first; leaves no listener behind. */
function untilSettledOrAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}
