/**
 * `loss`: drops datagrams with a long-run `probability`, independently (`burst` 1) or in bursts
 * of mean length `burst` (Gilbert–Elliott, see ../loss-model.ts). The chain's state lives in
 * `ctx.state`, so updating the toxic's attributes continues a burst in progress.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { createLossModel, lossModelProblems } from '../loss-model.js';
import { defineDatagramToxic } from '../types.js';

export const loss = defineDatagramToxic({
  type: 'loss',
  summary: 'Drops datagrams: independently, or in bursts of mean length burst (Gilbert–Elliott).',
  attributes: {
    probability: { kind: 'number', unit: 'probability', default: 0, min: 0, max: 1, search: { upTo: 0.5 }, description: 'Long-run fraction of datagrams dropped' },
    burst: {
      kind: 'number',
      unit: 'datagrams',
      default: 1,
      min: 1,
      search: { upTo: 16, scale: 'log' },
      description: 'Mean length of a run of consecutive drops; 1 = independent drops',
    },
  },
  check: (attributes) => lossModelProblems({ probability: attributes.probability, burst: attributes.burst }),
  effects: (a) => [{ kind: 'drop', probability: a.probability, burst: a.burst, counter: LedgerCounter.droppedLoss, quantity: 'loss_ratio' }],
  create(attributes, ctx) {
    const model = createLossModel({ probability: attributes.probability, burst: attributes.burst }, ctx.rng, ctx.state);
    return (datagram, emit) => {
      if (model.next()) ctx.drop(datagram, LedgerCounter.droppedLoss);
      else emit(datagram);
    };
  },
});
