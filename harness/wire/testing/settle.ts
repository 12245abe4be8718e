/**
 * Waiting for a wire path to be quiet before comparing what a receiver got with the ledger: a
 * sender that finished has handed its packets to the kernel, not yet to the engine, and on a busy
 * machine the engine and the receiver can lag by tens of milliseconds.
 */
import { sumCounter, type WireLedger } from '../engine.js';
import type { WirePath } from '../topology.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the engine has read `count` upstream packets and holds none (at most `timeoutMs`). */
export async function engineSettled(path: WirePath, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ledger = path.engine.ledger();
    if (sumCounter(ledger.directions.upstream, 'seen') >= count && ledger.held.upstream === 0) return;
    if (Date.now() > deadline) throw new Error(`the engine read ${sumCounter(ledger.directions.upstream, 'seen')} of ${count} packets in ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Asks `report` until two answers 30 ms apart agree on `size`: the receiver has read everything. */
export async function stableReport<R>(report: () => Promise<R>, size: (r: R) => number): Promise<R> {
  let last = await report();
  for (let i = 0; i < 100; i++) {
    await sleep(30);
    const next = await report();
    if (size(next) === size(last)) return next;
    last = next;
  }
  return last;
}

/** A counter of the fault named `name`, summed over protocols. */
export function faultCounter(ledger: WireLedger, name: string, counter: string): number {
  return sumCounter(ledger.faults.find((f) => f.name === name)!.counters, counter);
}
