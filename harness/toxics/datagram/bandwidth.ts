/**
 * `bandwidth`: a link of `rate` KB/s with a drop-tail queue of `queue` datagrams.
 *
 *   arrival ──▶ [queue: ≤ `queue` waiting] ──▶ [on the wire: size / rate] ──▶ next toxic
 *
 * Datagrams are serialised one after another on an absolute schedule: each one finishes at
 * `max(arrival, previous finish) + size / rate` and is emitted then (store and forward). Finish
 * times are computed from the previous finish, never from when a timer happened to fire, so the
 * long-run rate is exact whatever the timer lateness. A datagram that arrives while `queue`
 * datagrams are already waiting behind the one on the wire is dropped (`dropped_queue`).
 *
 * Units: 1 KB/s = 1000 B/s, which is conveniently 1 byte per ms.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineDatagramToxic } from '../types.js';
import { MIN_RATE_KB_PER_S, RATE_HINT } from '../attributes.js';

interface LinkState {
  /** When the wire is free again (monotonic ms). */
  busyUntilMs?: number;
  /** Finish times of datagrams accepted and not yet emitted, oldest first, from `head`. */
  finishMs?: number[];
  head?: number;
}

export const bandwidth = defineDatagramToxic({
  type: 'bandwidth',
  summary: 'Serialises datagrams at rate KB/s behind a drop-tail queue of queue datagrams.',
  attributes: {
    rate: { kind: 'number', unit: 'KB/s', default: 1000, min: MIN_RATE_KB_PER_S, search: { upTo: 100_000, milder: 'higher', scale: 'log' }, description: 'Link rate (1 KB/s = 1000 bytes/s)', rangeHint: RATE_HINT },
    queue: { kind: 'int', unit: 'datagrams', default: 1000, min: 1, search: { upTo: 10_000, milder: 'higher', scale: 'log' }, description: 'Datagrams that may wait behind the one being sent' },
  },
  effects: (a) => [
    { kind: 'rate-limit', bytesPerSec: a.rate * 1000, per: 'direction' },
    { kind: 'drop-unpredictable', why: 'drops datagrams only when its queue overflows, which depends on the offered load' },
  ],
  create(attributes, ctx) {
    const bytesPerMs = attributes.rate; // KB/s = B/ms
    const queueLimit = attributes.queue;
    const state = ctx.state as LinkState;
    state.busyUntilMs ??= -Infinity;
    state.finishMs ??= [];
    state.head ??= 0;
    return (datagram, emit) => {
      const now = ctx.now();
      const finish = state.finishMs!;
      let head = state.head!;
      while (head < finish.length && finish[head]! <= now) head++;
      if (head > 1024 && head * 2 > finish.length) {
        finish.splice(0, head);
        head = 0;
      }
      state.head = head;
      // Held = one on the wire + those waiting behind it.
      if (finish.length - head > queueLimit) {
        ctx.drop(datagram, LedgerCounter.droppedQueue);
        return;
      }
      const doneMs = Math.max(now, state.busyUntilMs!) + datagram.data.length / bytesPerMs;
      state.busyUntilMs = doneMs;
      finish.push(doneMs);
      if (doneMs > now) ctx.count(LedgerCounter.delayed);
      emit(datagram, doneMs - now);
    };
  },
});
