/**
 * `limit_data`: forwards at most `bytes` bytes in total on this connection and direction,
 * truncating the chunk that crosses the limit, then closes the connection gracefully (FIN): the
 * receiver gets exactly `bytes` bytes, then end of stream. The count survives updates, so raising
 * the limit lets more through and lowering it below what was sent closes at once. `bytes` 0
 * closes the connection as soon as the toxic is active (as Toxiproxy's default does).
 */
import { LedgerCounter } from '../../core/ledger.js';
import type { StreamToxicType } from '../types.js';

interface LimitState {
  /** Bytes forwarded so far on this connection and direction. */
  sentBytes?: number;
}

export const limitData: StreamToxicType = {
  type: 'limit_data',
  protocol: 'tcp',
  summary: 'Closes the connection after bytes bytes have passed in this direction.',
  attributes: {
    bytes: { kind: 'int', unit: 'bytes', default: 0, min: 0, description: 'Bytes forwarded before the connection is closed' },
  },
  create(attributes) {
    const limitBytes = attributes.bytes ?? 0;
    return async function* limitDataToxic(input, ctx) {
      const state = ctx.state as LimitState;
      state.sentBytes ??= 0;
      const close = () => {
        ctx.count(LedgerCounter.closes);
        ctx.connection.close();
      };
      if (state.sentBytes >= limitBytes) {
        close();
        return;
      }
      for await (const chunk of input) {
        const remaining = limitBytes - state.sentBytes;
        if (chunk.data.length < remaining) {
          state.sentBytes += chunk.data.length;
          yield chunk;
          continue;
        }
        if (chunk.data.length > remaining) ctx.count(LedgerCounter.droppedLimit);
        state.sentBytes = limitBytes;
        yield { data: chunk.data.subarray(0, remaining), receivedAt: chunk.receivedAt };
        close();
        return;
      }
    };
  },
};
