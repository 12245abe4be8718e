/**
 * `reset_peer`: on the first chunk, waits `timeout` ms, then resets the connection with a real
 * TCP RST on both sides (both peers see ECONNRESET). That chunk and anything after it is not
 * delivered. This follows Toxiproxy's trigger (first data, then wait), but the RST is real
 * whenever the toxic fires — also when it was added to a connection already open, where
 * Toxiproxy sends a FIN — and a toxic that is inactive (toxicity) has no effect at all, where
 * Toxiproxy still turns ordinary closes into resets. A connection that carries no data in this
 * direction is never reset; its FIN passes normally.
 *
 * Removed or updated while waiting, the toxic releases the chunk and stops (an update then starts
 * over: it waits for the next chunk).
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineStreamToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const resetPeer = defineStreamToxic({
  type: 'reset_peer',
  summary: 'Resets the connection (TCP RST) timeout ms after the first chunk.',
  attributes: {
    timeout: { kind: 'number', unit: 'ms', default: 0, min: 0, max: MAX_DELAY_MS, search: { upTo: 10_000, milder: 'higher', scale: 'log' }, description: 'Wait after the first chunk before the RST; 0 = at once' },
  },
  effects: () => [{ kind: 'connection-loss', how: 'resets the connection', reset: true }],
  create(attributes) {
    const timeoutMs = attributes.timeout;
    return async function* resetPeerToxic(input, ctx) {
      for await (const chunk of input) {
        const dueMs = chunk.receivedAt + timeoutMs;
        if (dueMs > ctx.clock.now() && (await ctx.clock.sleepUntil(dueMs, ctx.signal)) === 'aborted') {
          yield chunk;
          return;
        }
        ctx.count(LedgerCounter.resets);
        ctx.connection.reset();
        return;
      }
    };
  },
});
