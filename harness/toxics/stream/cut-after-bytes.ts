/**
 * The byte budget behind `limit_data` and `reset_after`: forward at most `limitBytes` in total on
 * a connection's direction, truncating the chunk that crosses the limit, then cut the connection
 * the toxic's way (a FIN, or an RST). The count lives in the toxic's per-connection state, so it
 * survives updates: raising the limit lets more through, lowering it below what was sent cuts at
 * once. A limit of 0 cuts as soon as the toxic applies to the connection.
 *
 * The cut happens once the last chunk has been taken by the next stage (the generator resumes
 * only when its consumer asks for more), so what was let through is on its way before the cut.
 */
import { LedgerCounter } from '../../core/ledger.js';
import type { StreamToxic, StreamToxicContext } from '../types.js';

interface BudgetState {
  /** Bytes forwarded so far on this connection and direction. */
  sentBytes?: number;
}

export function cutAfterBytes(limitBytes: number, cut: (ctx: StreamToxicContext) => void): StreamToxic {
  return async function* cutAfterBytesToxic(input, ctx) {
    const state = ctx.state as BudgetState;
    state.sentBytes ??= 0;
    if (state.sentBytes >= limitBytes) {
      cut(ctx);
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
      cut(ctx);
      return;
    }
  };
}
