/**
 * `timeout` on UDP: a blackhole. Every datagram is dropped while the toxic is present.
 *
 * Toxiproxy's TCP `timeout` drops data and, when `timeout` > 0, closes the connection after that
 * many ms. UDP has no connection to close, so the drop is the whole effect and `timeout` is
 * accepted (and validated) only so one fault — `{ type: timeout, attributes: { timeout: 1000 } }`
 * — can be applied to TCP and UDP proxies alike. Delaying the onset instead would duplicate what
 * a fault's `at` already says, and would make the same attribute mean different things.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { defineDatagramToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const timeout = defineDatagramToxic({
  type: 'timeout',
  summary: 'Blackhole: drops every datagram while present (timeout is accepted for TCP-shape compatibility).',
  attributes: {
    timeout: {
      kind: 'int',
      unit: 'ms',
      default: 0,
      min: 0,
      max: MAX_DELAY_MS,
      search: 'default',
      description: 'Accepted for compatibility with TCP; UDP has no connection to close, so every datagram is dropped',
    },
  },
  effects: () => [{ kind: 'drop', probability: 1, burst: 1, counter: LedgerCounter.droppedBlackhole, quantity: 'drop_ratio' }],
  create: (_attributes, ctx) => (datagram) => ctx.drop(datagram, LedgerCounter.droppedBlackhole),
});
