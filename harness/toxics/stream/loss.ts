/**
 * `loss` (stream-level emulation): what segment loss does to a TCP byte stream, as seen by the
 * application — the bytes all arrive, in order, but late.
 *
 * The stream is cut into `mss`-byte segments. Each segment is lost or not by the loss model
 * (../loss-model.ts: independent with `burst` 1, Gilbert–Elliott bursts of mean length `burst`
 * otherwise). A lost segment is "retransmitted" after `rto` ms; if the retransmission is lost too
 * the timeout doubles, up to `max_rto`, as TCP's exponential backoff does. A retransmission goes
 * out an RTO (≥ 200 ms by default) after the loss, long after a burst of back-to-back segments
 * has passed, so it is lost independently with the long-run `probability` rather than as the next
 * step of the burst chain (which would lose the same segment `burst` times in a row on average
 * and back off for seconds). Everything behind a lost segment waits for it (head-of-line blocking); nothing is lost,
 * duplicated or reordered. Runs of delivered segments go out as one chunk.
 *
 * Honest limits: a stream proxy cannot make the kernel retransmit. Real TCP would often recover
 * faster (fast retransmit after duplicate ACKs, about one RTT) and would shrink its congestion
 * window, which this does not model; the sender's kernel never sees a loss. Use the wire layer
 * for real segment loss. Ledger: `retransmits` counts emulated retransmissions, `delayed` the
 * segments delivered late.
 */
import { LedgerCounter } from '../../core/ledger.js';
import { createLossModel, lossModelProblems } from '../loss-model.js';
import { defineStreamToxic } from '../types.js';
import { MAX_DELAY_MS } from '../attributes.js';

export const loss = defineStreamToxic({
  type: 'loss',
  summary: 'Stream-level segment loss: lost segments arrive late after emulated RTO backoff; bytes stay intact.',
  attributes: {
    probability: { kind: 'number', unit: 'probability', default: 0, min: 0, max: 1, search: { upTo: 0.5 }, description: 'Long-run fraction of segments lost' },
    burst: { kind: 'number', unit: 'segments', default: 1, min: 1, search: { upTo: 16, scale: 'log' }, description: 'Mean length of a run of lost segments; 1 = independent losses' },
    mss: { kind: 'int', unit: 'bytes', default: 1460, min: 1, search: 'default', description: 'Segment size the stream is cut into' },
    rto: { kind: 'number', unit: 'ms', default: 200, min: 1, max: MAX_DELAY_MS, search: 'default', description: 'First retransmission timeout of a lost segment' },
    max_rto: { kind: 'number', unit: 'ms', default: 120_000, min: 1, max: MAX_DELAY_MS, search: 'default', description: 'Cap of the doubling retransmission timeout' },
  },
  check(attributes) {
    const problems = lossModelProblems({ probability: attributes.probability, burst: attributes.burst });
    const rto = attributes.rto;
    const maxRto = attributes.max_rto;
    if (maxRto < rto) problems.push({ path: 'max_rto', message: `must be at least rto (${rto} ms), got ${maxRto}` });
    return problems;
  },
  effects: (a) => [{ kind: 'retransmit', probability: a.probability, burst: a.burst, counter: LedgerCounter.retransmits, quantity: 'retransmit_ratio' }],
  create(attributes) {
    const mss = attributes.mss;
    const rtoMs = attributes.rto;
    const maxRtoMs = attributes.max_rto;
    const params = { probability: attributes.probability, burst: attributes.burst };
    return async function* lossToxic(input, ctx) {
      const model = createLossModel(params, ctx.rng, ctx.state);
      for await (const chunk of input) {
        const { data, receivedAt } = chunk;
        // [start, offset) is a run of delivered segments not yet yielded.
        let start = 0;
        for (let offset = 0; offset < data.length; ) {
          const end = Math.min(offset + mss, data.length);
          if (!model.next()) {
            offset = end;
            continue;
          }
          if (offset > start) yield { data: data.subarray(start, offset), receivedAt };
          let waitMs = rtoMs;
          do {
            ctx.count(LedgerCounter.retransmits);
            if ((await ctx.clock.sleep(waitMs, ctx.signal)) === 'aborted') {
              yield { data: data.subarray(offset), receivedAt };
              return;
            }
            waitMs = Math.min(waitMs * 2, maxRtoMs);
          } while (ctx.rng.chance(params.probability));
          ctx.count(LedgerCounter.delayed);
          start = offset;
          offset = end;
        }
        if (start < data.length) yield start === 0 ? chunk : { data: data.subarray(start), receivedAt };
      }
    };
  },
});
