/**
 * `corrupt`: flips exactly one uniformly chosen bit in a `probability` fraction of datagrams.
 * The payload is copied first, so a duplicate of the same datagram elsewhere stays intact.
 * Empty datagrams have no bit to flip and pass unchanged.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineDatagramToxic } from '../types.js';

export const corrupt = defineDatagramToxic({
  type: 'corrupt',
  summary: 'Flips one random bit in a fraction of datagrams.',
  attributes: {
    probability: { kind: 'number', unit: 'probability', default: 0, min: 0, max: 1, search: { upTo: 0.5 }, description: 'Fraction of datagrams corrupted' },
  },
  effects: (a) => [{ kind: 'corrupt', probability: a.probability, counter: LedgerCounter.corrupted, quantity: 'corrupt_ratio' }],
  create(attributes, ctx) {
    const probability = attributes.probability;
    return (datagram, emit) => {
      const length = datagram.data.length;
      if (length === 0 || !ctx.rng.chance(probability)) {
        emit(datagram);
        return;
      }
      const bit = ctx.rng.int(0, length * 8 - 1);
      const data = Buffer.from(datagram.data);
      data[bit >> 3]! ^= 1 << (bit & 7);
      ctx.count(LedgerCounter.corrupted);
      emit({ ...datagram, data });
    };
  },
});
