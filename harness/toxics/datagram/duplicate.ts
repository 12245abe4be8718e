/** `duplicate`: emits a `probability` fraction of datagrams twice, back to back. */
import { LedgerCounter } from '../../core/ledger.js';
import { defineDatagramToxic } from '../types.js';

export const duplicate = defineDatagramToxic({
  type: 'duplicate',
  summary: 'Sends a fraction of datagrams twice.',
  attributes: {
    probability: { kind: 'number', unit: 'probability', default: 0, min: 0, max: 1, search: { upTo: 0.5 }, description: 'Fraction of datagrams sent twice' },
  },
  effects: (a) => [{ kind: 'duplicate', probability: a.probability, counter: LedgerCounter.duplicated, quantity: 'duplicate_ratio' }],
  create(attributes, ctx) {
    const probability = attributes.probability;
    return (datagram, emit) => {
      emit(datagram);
      if (ctx.rng.chance(probability)) {
        ctx.count(LedgerCounter.duplicated);
        // The same buffer is safe to share: toxics that alter data (corrupt) copy before writing.
        emit(datagram);
      }
    };
  },
});
