/**
 * `reset_after`: forwards `bytes` bytes on this connection and direction, then resets the
 * connection (TCP RST to both peers, who see ECONNRESET) — the way stateful middleboxes, proxies
 * with transfer caps and idle-killers cut long transfers mid-stream. Unlike `limit_data`, which
 * ends the stream cleanly with a FIN, nothing tells the receiver the data was complete: a client
 * that treats a reset after a partial body as success has a bug this toxic shows.
 *
 * The budget is `limit_data`'s (cut-after-bytes.ts): it survives updates, the chunk that crosses
 * it is truncated (counted `dropped_limit`), and `bytes` 0 resets as soon as the toxic applies.
 * The RST follows the last byte let through: a receiver reads that data, then ECONNRESET. (A
 * Node.js receiver that gets the data and the RST in one wake-up sees end of stream instead:
 * libuv reports a hang-up after a short read as EOF. The test uses a Python receiver for that
 * reason.)
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineStreamToxic } from '../types.js';
import { cutAfterBytes } from './cut-after-bytes.js';

export const resetAfter = defineStreamToxic({
  type: 'reset_after',
  summary: 'Resets the connection (TCP RST) after bytes bytes have passed in this direction.',
  attributes: {
    bytes: { kind: 'int', unit: 'bytes', default: 0, min: 0, search: { upTo: 1_000_000, milder: 'higher', scale: 'log' }, description: 'Bytes forwarded before the connection is reset' },
  },
  effects: (a) => [{ kind: 'connection-loss', how: `resets the connection after ${a.bytes} bytes`, reset: true }],
  create: (a) =>
    cutAfterBytes(a.bytes, (ctx) => {
      ctx.count(LedgerCounter.resets);
      ctx.connection.reset();
    }),
});
