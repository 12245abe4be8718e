/**
 * Drives one stream toxic by hand, without sockets or an engine: for unit tests, property tests
 * and micro-benchmarks. The test feeds chunks (`send`, `end`), moves a ManualClock, and reads
 * what the toxic emitted and when; `update` and `remove` abort the toxic the way the engine does
 * (so what it holds is flushed) and hand its unread input on, as the engine's chain does.
 *
 *   send()/end() ──▶ [input queue] ──▶ toxic(input, ctx) ──▶ output[] (data, atMs)
 */
import type { Clock } from '../../core/clock.js';
import type { Counters } from '../../core/ledger.js';
import type { Rng } from '../../core/rng.js';
import type { Direction } from '../../core/spec.js';
import { defaultsOf } from '../attributes.js';
import type { Chunk, StreamToxicContext, StreamToxicType } from '../types.js';

export interface EmittedChunk {
  data: Buffer;
  /** The clock's time when the toxic yielded it. */
  atMs: number;
}

export interface StreamToxicDriver {
  counters: Counters;
  state: Record<string, unknown>;
  emitted: EmittedChunk[];
  /** Connection actions the toxic took, in order. */
  actions: Array<'reset' | 'close'>;
  /** Queues a chunk received now (or at `receivedAt`). */
  send(data: Buffer | string, receivedAt?: number): void;
  /** The source's FIN. */
  end(): void;
  /** The toxic returned by itself (EOF, close or reset), and when. */
  returnedAtMs: number | undefined;
  /** Everything emitted, concatenated. */
  received(): Buffer;
  /** Aborts and re-creates the toxic with merged attributes, same rng and state (an update). */
  update(attributes: Record<string, number>): Promise<void>;
  /** Aborts the toxic (a removal): resolves once it returned, with what it never pulled. */
  remove(): Promise<Buffer[]>;
}

export function driveStreamToxic(
  type: StreamToxicType,
  attributes: Record<string, number>,
  options: { clock: Clock; rng: Rng; direction?: Direction },
): StreamToxicDriver {
  const { clock } = options;
  const queue: Chunk[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let current = { ...defaultsOf(type.attributes), ...attributes };
  let controller = new AbortController();
  let running: Promise<void>;

  const driver: StreamToxicDriver = {
    counters: {},
    state: {},
    emitted: [],
    actions: [],
    returnedAtMs: undefined,
    send(data, receivedAt = clock.now()) {
      queue.push({ data: typeof data === 'string' ? Buffer.from(data) : data, receivedAt });
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    received: () => Buffer.concat(driver.emitted.map((e) => e.data)),
    async update(changes) {
      await stop();
      current = { ...current, ...changes };
      start();
    },
    async remove() {
      await stop();
      return queue.splice(0).map((c) => c.data);
    },
  };

  function input(signal: AbortSignal): AsyncIterable<Chunk> {
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<Chunk>> {
          for (;;) {
            if (signal.aborted) return { done: true, value: undefined };
            const chunk = queue.shift();
            if (chunk) return { done: false, value: chunk };
            if (ended) return { done: true, value: undefined };
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        },
      }),
    };
  }

  function start(): void {
    controller = new AbortController();
    const signal = controller.signal;
    const ctx: StreamToxicContext = {
      clock,
      rng: options.rng,
      signal,
      state: driver.state,
      direction: options.direction ?? 'downstream',
      count(counter, n = 1) {
        driver.counters[counter] = (driver.counters[counter] ?? 0) + n;
      },
      connection: {
        reset: () => driver.actions.push('reset'),
        close: () => driver.actions.push('close'),
      },
    };
    const toxic = type.create(current);
    running = (async () => {
      for await (const chunk of toxic(input(signal), ctx)) driver.emitted.push({ data: chunk.data, atMs: clock.now() });
      if (!signal.aborted) driver.returnedAtMs = clock.now();
    })();
  }

  async function stop(): Promise<void> {
    controller.abort();
    notify();
    await running;
  }

  start();
  return driver;
}
