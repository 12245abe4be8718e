/**
 * Property: whatever toxics are added, updated and removed while data flows, in either direction,
 * a TCP echo through the proxy returns every byte once, intact and in order. Real sockets,
 * random data, random write sizes, random chains; delays kept small so a run takes milliseconds.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToxicInput } from '../core/spec.js';
import { createEmbeddedProxy, type EmbeddedProxy } from './embedded-proxy.js';
import { connectClient, startTestServer, testPayload, type TestServer } from './testing/tcp-test-kit.js';

type Op =
  | { kind: 'add'; at: number; toxic: ToxicInput }
  | { kind: 'update'; at: number; pick: number; toxicity: number; attributes: Record<string, number> }
  | { kind: 'remove'; at: number; pick: number };

const stream = fc.constantFrom('upstream', 'downstream');
const toxicity = fc.constantFrom(0, 0.5, 1);

const toxicInput: fc.Arbitrary<ToxicInput> = fc.oneof(
  fc.record({ type: fc.constant('noop'), stream, toxicity }),
  fc.record({
    type: fc.constant('latency'),
    stream,
    toxicity,
    attributes: fc.record({ latency: fc.integer({ min: 0, max: 5 }), jitter: fc.integer({ min: 0, max: 3 }) }),
  }),
  fc.record({
    type: fc.constant('slicer'),
    stream,
    toxicity,
    attributes: fc
      .record({ average_size: fc.integer({ min: 50, max: 2000 }), variation: fc.double({ min: 0, max: 0.9, noNaN: true }), delay: fc.integer({ min: 0, max: 30 }) })
      .map(({ average_size, variation, delay }) => ({ average_size, size_variation: Math.floor(average_size * variation), delay })),
  }),
  fc.record({ type: fc.constant('bandwidth'), stream, toxicity, attributes: fc.record({ rate: fc.integer({ min: 20_000, max: 200_000 }) }) }),
  fc.record({
    type: fc.constant('loss'),
    stream,
    toxicity,
    attributes: fc.record({
      probability: fc.double({ min: 0, max: 0.2, noNaN: true }),
      mss: fc.integer({ min: 1000, max: 8000 }),
      rto: fc.integer({ min: 1, max: 3 }),
      max_rto: fc.constant(6),
    }),
  }),
  fc.record({ type: fc.constant('slow_close'), stream, toxicity, attributes: fc.record({ delay: fc.integer({ min: 0, max: 10 }) }) }),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), toxic: toxicInput }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      at: fc.nat(),
      pick: fc.nat(),
      toxicity,
      // Keys every updatable toxic above accepts, with values valid for all of them.
      attributes: fc.oneof(fc.constant({}), fc.record({ latency: fc.integer({ min: 0, max: 5 }) })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), pick: fc.nat() }) },
);

let proxy: EmbeddedProxy | undefined;
let server: TestServer | undefined;

afterEach(async () => {
  await proxy?.close();
  await server?.close();
  proxy = undefined;
  server = undefined;
});

describe('hot swap of TCP toxics', () => {
  it('never loses, duplicates or reorders a byte, in either direction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 150_000 }),
        fc.integer(),
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 30 }),
        fc.array(toxicInput, { maxLength: 3 }),
        fc.array(op, { maxLength: 8 }),
        async (length, dataSeed, writeSizes, initial, ops) => {
          // fast-check's own byte arrays stay small at its default size: derive the bytes from a seed.
          const data = testPayload(length, dataSeed);
          server = await startTestServer('echo');
          proxy = createEmbeddedProxy({ seed: 1 });
          const { listen } = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: server.address });
          const names: string[] = [];
          let serial = 0;
          const add = async (toxic: ToxicInput) => {
            const name = `t${serial++}`;
            names.push(name);
            await proxy!.addToxic('p', { ...toxic, name });
          };
          for (const toxic of initial) await add(toxic);

          const client = await connectClient(Number(listen.split(':')[1]));
          const writes: Buffer[] = [];
          for (let offset = 0, i = 0; offset < data.length; i++) {
            // At most ~300 writes, so tiny write sizes do not make a run slow.
            const size = Math.max(writeSizes[i % writeSizes.length]!, Math.ceil(data.length / 300));
            writes.push(data.subarray(offset, offset + size));
            offset += size;
          }
          const schedule = ops.map((o) => ({ ...o, at: o.at % writes.length })).sort((a, b) => a.at - b.at);
          let next = 0;
          for (let i = 0; i < writes.length; i++) {
            client.socket.write(writes[i]!);
            const applyOps = next < schedule.length && schedule[next]!.at === i;
            while (next < schedule.length && schedule[next]!.at === i) {
              const o = schedule[next++]!;
              if (o.kind === 'add') await add(o.toxic);
              else if (names.length > 0) {
                const name = names[o.pick % names.length]!;
                if (o.kind === 'remove') {
                  names.splice(names.indexOf(name), 1);
                  await proxy.removeToxic('p', name);
                } else {
                  const current = await proxy.getToxic('p', name);
                  const attributes = current.type === 'latency' ? o.attributes : {};
                  await proxy.updateToxic('p', name, { toxicity: o.toxicity, attributes });
                }
              }
            }
            // After ops, let the chain run for a moment, so the next ops meet data held in toxics.
            if (applyOps) await new Promise((resolve) => setTimeout(resolve, 1));
            else await new Promise((resolve) => setImmediate(resolve));
          }
          client.socket.end();
          await client.until(() => client.ended, 'the whole echo', 20_000);
          const received = client.received();
          client.socket.destroy();
          expect(received.length).toBe(data.length);
          expect(received.equals(data)).toBe(true);
          await proxy.close();
          await server.close();
          proxy = undefined;
          server = undefined;
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
  }, 60_000);
});
