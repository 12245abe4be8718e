/**
 * `limit_data`: forwards at most `bytes` bytes in total on this connection and direction,
 * truncating the chunk that crosses the limit, then closes the connection gracefully (FIN): the
 * receiver gets exactly `bytes` bytes, then end of stream. The count survives updates, so raising
 * the limit lets more through and lowering it below what was sent closes at once. `bytes` 0
 * closes the connection as soon as the toxic is active (as Toxiproxy's default does).
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineStreamToxic } from '../types.js';
import { cutAfterBytes } from './cut-after-bytes.js';

export const limitData = defineStreamToxic({
  type: 'limit_data',
  summary: 'Closes the connection after bytes bytes have passed in this direction.',
  attributes: {
    bytes: { kind: 'int', unit: 'bytes', default: 0, min: 0, search: { upTo: 1_000_000, milder: 'higher', scale: 'log' }, description: 'Bytes forwarded before the connection is closed' },
  },
  effects: (a) => [{ kind: 'connection-loss', how: `closes the connection after ${a.bytes} bytes`, reset: false }],
  create: (a) =>
    cutAfterBytes(a.bytes, (ctx) => {
      ctx.count(LedgerCounter.closes);
      ctx.connection.close();
    }),
});
