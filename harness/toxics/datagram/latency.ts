/**
 * `latency`: delays each datagram by `latency` ± a uniform `jitter`. Each datagram is delayed on
 * its own, so jitter larger than the gap between datagrams reorders them, as a real path with
 * variable delay does. The delay is clamped at 0 (a datagram is never sent before it arrived).
 */
import { LedgerCounter } from '../../core/ledger.js';
import { drawDelayMs } from '../jittered-delay.js';
import { defineDatagramToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const latency = defineDatagramToxic({
  type: 'latency',
  summary: 'Delays each datagram by latency ± uniform jitter (jitter may reorder).',
  attributes: {
    latency: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, search: { upTo: 2000, scale: 'log' }, description: 'Mean added delay per datagram' },
    jitter: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, search: { upTo: 500, scale: 'log' }, description: 'Half-width of the uniform spread around latency' },
  },
  effects: (a) => [{ kind: 'delay', latencyMs: a.latency, jitterMs: a.jitter }],
  create(attributes, ctx) {
    const latencyMs = attributes.latency;
    const jitterMs = attributes.jitter;
    return (datagram, emit) => {
      const delayMs = drawDelayMs(latencyMs, jitterMs, ctx.rng);
      if (delayMs > 0) ctx.count(LedgerCounter.delayed);
      emit(datagram, delayMs);
    };
  },
});
