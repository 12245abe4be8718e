/**
 * `reorder`: holds a `probability` fraction of datagrams back by `delay` ms, so datagrams sent
 * after them overtake them. Whether a held datagram is actually overtaken depends on traffic: it
 * is only if another datagram passes within `delay` (the netem caveat, docs/toxics.md).
 */
import { LedgerCounter } from '../../core/ledger.js';
import type { DatagramToxicType } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const reorder: DatagramToxicType = {
  type: 'reorder',
  protocol: 'udp',
  summary: 'Holds a fraction of datagrams back by delay ms so later ones overtake them.',
  attributes: {
    probability: { kind: 'number', unit: 'probability', default: 0, min: 0, max: 1, description: 'Fraction of datagrams held back' },
    delay: { kind: 'number', unit: 'ms', default: 10, above: 0, max: MAX_DELAY_MS, description: 'How long a held datagram waits' },
  },
  create(attributes, ctx) {
    const probability = attributes.probability ?? 0;
    const delayMs = attributes.delay ?? 10;
    return (datagram, emit) => {
      if (ctx.rng.chance(probability)) {
        ctx.count(LedgerCounter.reordered);
        emit(datagram, delayMs);
      } else {
        emit(datagram);
      }
    };
  },
};
