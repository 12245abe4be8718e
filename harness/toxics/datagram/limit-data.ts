/**
 * `limit_data`: forwards datagrams while their total size stays within `bytes`, then drops
 * everything. Datagrams are never truncated (that would be a different datagram): the first one
 * that does not fit closes the gate, and it stays closed — also for smaller ones that would
 * fit, and across attribute updates — until the toxic is removed (re-adding starts from zero).
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineDatagramToxic } from '../types.js';

interface LimitState {
  passedBytes?: number;
  exhausted?: boolean;
}

export const limitData = defineDatagramToxic({
  type: 'limit_data',
  summary: 'Forwards datagrams until bytes have passed this direction, then drops everything.',
  attributes: {
    bytes: { kind: 'int', unit: 'bytes', default: 0, min: 0, search: { upTo: 1_000_000, milder: 'higher', scale: 'log' }, description: 'Payload bytes forwarded before the gate closes' },
  },
  effects: () => [{ kind: 'drop-unpredictable', why: 'drops everything once its byte budget is spent, which depends on the traffic' }],
  create(attributes, ctx) {
    const limitBytes = attributes.bytes;
    const state = ctx.state as LimitState;
    state.passedBytes ??= 0;
    state.exhausted ??= false;
    return (datagram, emit) => {
      const length = datagram.data.length;
      if (!state.exhausted && state.passedBytes! + length <= limitBytes) {
        state.passedBytes! += length;
        emit(datagram);
        return;
      }
      state.exhausted = true;
      ctx.drop(datagram, LedgerCounter.droppedLimit);
    };
  },
});
