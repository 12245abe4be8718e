/**
 * The engine's faults one by one, on UDP where a receiver can account for every datagram: what
 * each does, what it counts, that held packets never leave early, that changes apply while
 * packets flow, and that a seed replays the same decisions.
 */
import { afterEach, expect, it } from 'vitest';
import { gilbertElliottDesignEffect, proportionInterval } from '../assert/statistics.js';
import { createRng } from '../core/rng.js';
import { sumCounter } from './engine.js';
import { diffKernelCounters } from './kernel-counters.js';
import { createWirePath, type WirePath } from './topology.js';
import { runTask } from './run-side-task.js';
import { engineSettled, faultCounter, stableReport } from './testing/settle.js';
import { describeWire } from './testing/wire-gate.js';

let paths: WirePath[] = [];
afterEach(() => {
  for (const path of paths) path.close();
  paths = [];
});

function openPath(seed: number): WirePath {
  const path = createWirePath({ rng: createRng(seed) });
  paths.push(path);
  return path;
}


/** Sends `count` numbered datagrams client → target; returns the sink's counts in arrival order. */
async function exchange(path: WirePath, count: number, options: { size?: number; burst?: number; intervalMs?: number } = {}) {
  const { client, target } = path;
  const sink = runTask<{ counts: Array<[number, number]> }>(target, { task: 'udp-sink', host: target.address });
  const port = await sink.ready;
  const seenBefore = sumCounter(path.engine.ledger().directions.upstream, 'seen');
  await runTask(client, { task: 'udp-send', host: target.address, port, count, size: options.size ?? 100, burst: options.burst ?? 10, intervalMs: options.intervalMs ?? 1 }).result();
  await engineSettled(path, seenBefore + count);
  const { counts } = await stableReport(() => sink.report(), (r) => r.counts.length);
  await sink.worker.terminate();
  return counts;
}

/** Like exchange, with each datagram's one-way delay (kernel receive time − send time, ms). */
async function timedExchange(path: WirePath, count: number, intervalMs: number): Promise<number[]> {
  const { client, target } = path;
  const sink = runTask<{ delays: number[] }>(target, { task: 'udp-timed-sink', host: target.address });
  const port = await sink.ready;
  await runTask(client, { task: 'udp-send', host: target.address, port, count, size: 64, burst: 1, intervalMs }).result();
  await engineSettled(path, count);
  return (await stableReport(() => sink.report(), (r) => r.delays.length)).delays;
}

describeWire('wire faults', () => {
  it('corrupt: the receiving kernel drops every corrupted datagram on its checksum', async () => {
    const path = openPath(10);
    path.engine.addFault({ name: 'flip', type: 'corrupt', stream: 'upstream', attributes: { probability: 0.2 } });
    const before = path.target.kernelCounters();
    const counts = await exchange(path, 500);
    const corrupted = faultCounter(path.engine.ledger(), 'flip', 'corrupted');
    const kernel = diffKernelCounters(before, path.target.kernelCounters());
    expect(corrupted).toBeGreaterThan(50);
    expect(kernel.Udp!.InCsumErrors).toBe(corrupted);
    expect(500 - counts.length).toBe(corrupted);
  });

  it('latency: no datagram leaves before its time, and jitter keeps the order unless reordering is allowed', async () => {
    const path = openPath(11);
    path.engine.addFault({ name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 20 } });
    const delays = await timedExchange(path, 100, 1);
    expect(delays).toHaveLength(100);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    // Late only by what a busy machine adds (the sender's own event loop included): a bound, not a target.
    expect(Math.max(...delays)).toBeLessThan(20 + 500);

    path.engine.updateFault('slow', { attributes: { latency: 10, jitter: 8 } });
    const inOrder = (await exchange(path, 300, { burst: 3 })).map(([seq]) => seq);
    expect(inOrder).toEqual([...inOrder].sort((a, b) => a - b));
    path.engine.updateFault('slow', { attributes: { allow_reorder: 1 } });
    const shuffled = (await exchange(path, 300, { burst: 3 })).map(([seq]) => seq);
    expect(shuffled).toHaveLength(300);
    expect(shuffled).not.toEqual([...shuffled].sort((a, b) => a - b));
  });

  it('bandwidth: paces at the rate and tail-drops what overflows the queue', async () => {
    const path = openPath(12);
    // 500 KB/s: a 1028-byte packet (1000 bytes of payload + headers) takes 2.056 ms.
    path.engine.addFault({ name: 'narrow', type: 'bandwidth', stream: 'upstream', attributes: { rate: 500, queue: 20 } });
    const { client, target } = path;
    const sink = runTask<{ delays: number[] }>(target, { task: 'udp-timed-sink', host: target.address });
    const port = await sink.ready;
    await runTask(client, { task: 'udp-send', host: target.address, port, count: 200, size: 1000, burst: 200, intervalMs: 0 }).result();
    await engineSettled(path, 200);
    const { delays } = await stableReport(() => sink.report(), (r) => r.delays.length);
    const dropped = faultCounter(path.engine.ledger(), 'narrow', 'dropped_queue');
    expect(dropped).toBeGreaterThan(0);
    expect(200 - delays.length).toBe(dropped);
    // The queue holds 20 behind the one on the wire: the last to arrive waited for ~21 before it.
    expect(Math.max(...delays)).toBeGreaterThanOrEqual((delays.length - 1) * 2.056 * 0.9);
  });

  it('blackhole drops everything while present; removing a fault releases what it holds at once', async () => {
    const path = openPath(13);
    path.engine.addFault({ name: 'cut', type: 'blackhole', stream: 'upstream' });
    expect(await exchange(path, 50)).toEqual([]);
    expect(faultCounter(path.engine.ledger(), 'cut', 'dropped_blackhole')).toBe(50);
    path.engine.removeFault('cut');
    expect(await exchange(path, 50)).toHaveLength(50);

    path.engine.addFault({ name: 'stuck', type: 'latency', stream: 'upstream', attributes: { latency: 60_000 } });
    const { client, target } = path;
    const sink = runTask<{ delays: number[] }>(target, { task: 'udp-timed-sink', host: target.address });
    const port = await sink.ready;
    const seenBefore = sumCounter(path.engine.ledger().directions.upstream, 'seen');
    await runTask(client, { task: 'udp-send', host: target.address, port, count: 10, size: 64, burst: 10, intervalMs: 0 }).result();
    for (let i = 0; i < 500 && sumCounter(path.engine.ledger().directions.upstream, 'seen') < seenBefore + 10; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(path.engine.ledger().held.upstream).toBe(10);
    path.engine.removeFault('stuck');
    await engineSettled(path, seenBefore + 10);
    const { delays } = await stableReport(() => sink.report(), (r) => r.delays.length);
    expect(delays).toHaveLength(10);
    expect(Math.max(...delays)).toBeLessThan(5_000);
    expect(path.engine.ledger().held.upstream).toBe(0);
  });

  it("loss in bursts follows the UDP toxic's Gilbert–Elliott model: its long-run ratio and mean burst length", async () => {
    const path = openPath(14);
    const [probability, burst, count] = [0.2, 3, 3000];
    path.engine.addFault({ name: 'bursty', type: 'loss', stream: 'upstream', attributes: { probability, burst } });
    const received = new Set((await exchange(path, count, { size: 40, burst: 20 })).map(([seq]) => seq));
    const lost = Array.from({ length: count }, (_, seq) => !received.has(seq));
    const drops = lost.filter(Boolean).length;
    expect(faultCounter(path.engine.ledger(), 'bursty', 'dropped_loss')).toBe(drops);
    const interval = proportionInterval(drops, count, 0.999, gilbertElliottDesignEffect(probability, burst));
    expect(interval.low).toBeLessThanOrEqual(probability);
    expect(interval.high).toBeGreaterThanOrEqual(probability);
    const runs = lost.filter((l, i) => l && !lost[i - 1]).length;
    // Bursts are geometric with mean 3 (sd 2.45): over ~200 of them, 3 ± 0.6 is 3.5 standard errors.
    expect(drops / runs).toBeGreaterThan(burst - 0.6);
    expect(drops / runs).toBeLessThan(burst + 0.6);
  });

  it('a seed replays the same losses for the same packets', async () => {
    const dropsWith = async (seed: number) => {
      const path = openPath(seed);
      path.engine.addFault({ name: 'lossy', type: 'loss', stream: 'upstream', attributes: { probability: 0.2, burst: 3 } });
      await exchange(path, 400);
      return path.engine.ledger().events.filter((e) => e.fault === 'lossy').map((e) => e.packet);
    };
    const first = await dropsWith(42);
    expect(first.length).toBeGreaterThan(20);
    expect(await dropsWith(42)).toEqual(first);
    expect(await dropsWith(43)).not.toEqual(first);
  });
});
