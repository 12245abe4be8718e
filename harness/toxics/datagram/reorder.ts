/**
 * `reorder`: holds a `probability` fraction of datagrams back by `delay` ms, so datagrams sent
 * after them overtake them. Whether a held datagram is actually overtaken depends on traffic: it
 * is only if another datagram passes within `delay` (the netem caveat, docs/toxics.md).
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineDatagramToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const reorder = defineDatagramToxic({
  type: 'reorder',
  summary: 'Holds a fraction of datagrams back by delay ms so later ones overtake them.',
  attributes: {
    probability: { kind: 'number', unit: 'probability', default: 0, min: 0, max: 1, search: { upTo: 0.5 }, description: 'Fraction of datagrams held back' },
    delay: { kind: 'number', unit: 'ms', default: 10, above: 0, max: MAX_DELAY_MS, search: { upTo: 1000, scale: 'log' }, description: 'How long a held datagram waits' },
  },
  effects: (a) => [{ kind: 'hold-back', probability: a.probability, delayMs: a.delay, counter: LedgerCounter.reordered, quantity: 'reorder_ratio' }],
  create(attributes, ctx) {
    const probability = attributes.probability;
    const delayMs = attributes.delay;
    return (datagram, emit) => {
      if (ctx.rng.chance(probability)) {
        ctx.count(LedgerCounter.reordered);
        emit(datagram, delayMs);
      } else {
        emit(datagram);
      }
    };
  },
});
