/**
 * Unit tests of every stream toxic: ManualClock time, seeded randomness, exact bytes and instants.
 */
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../core/errors.js';
import { ManualClock } from '../../core/manual-clock.js';
import { createRng } from '../../core/rng.js';
import { resolveToxic } from '../registry.js';
import type { StreamToxicType } from '../types.js';
import { bandwidth } from './bandwidth.js';
import { driveStreamToxic } from './drive-stream-toxic.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { loss } from './loss.js';
import { noop } from './noop.js';
import { resetPeer } from './reset-peer.js';
import { slicer } from './slicer.js';
import { slowClose } from './slow-close.js';
import { timeout } from './timeout.js';

function setup(type: StreamToxicType, attributes: Record<string, number>, seed = 1) {
  const clock = new ManualClock();
  const driver = driveStreamToxic(type, attributes, { clock, rng: createRng(seed).fork('toxic') });
  return { clock, driver };
}

function bytes(n: number, seed = 0): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function rejected(input: Parameters<typeof resolveToxic>[1]): FaultlineError {
  try {
    resolveToxic('tcp', input);
  } catch (error) {
    if (error instanceof FaultlineError) return error;
    throw error;
  }
  throw new Error('expected resolveToxic to reject');
}

describe('noop', () => {
  it('passes chunks through unchanged and returns at EOF', async () => {
    const { clock, driver } = setup(noop, {});
    driver.send('ab');
    driver.send('cd');
    driver.end();
    await clock.advance(0);
    expect(driver.emitted.map((e) => e.data.toString())).toEqual(['ab', 'cd']);
    expect(driver.returnedAtMs).toBe(0);
  });
});

describe('latency', () => {
  it('delays each chunk to receivedAt + latency, counting time spent queued', async () => {
    const { clock, driver } = setup(latency, { latency: 50 });
    driver.send('a');
    await clock.advance(10);
    driver.send('b');
    await clock.advance(100);
    expect(driver.emitted.map((e) => [e.data.toString(), e.atMs])).toEqual([
      ['a', 50],
      ['b', 60],
    ]);
    expect(driver.counters.delayed).toBe(2);
  });

  it('draws continuous jitter within ±jitter, in order, and replays it from the seed', async () => {
    const run = async () => {
      const { clock, driver } = setup(latency, { latency: 20, jitter: 5 }, 7);
      for (let i = 0; i < 50; i++) {
        driver.send(String(i % 10));
        await clock.advance(100);
      }
      return driver.emitted.map((e, i) => e.atMs - i * 100);
    };
    const delays = await run();
    expect(delays).toHaveLength(50);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(15);
      expect(d).toBeLessThanOrEqual(25);
    }
    expect(delays.some((d) => !Number.isInteger(d))).toBe(true);
    expect(await run()).toEqual(delays);
  });

  it('clamps negative delays to zero when jitter exceeds latency', async () => {
    const { clock, driver } = setup(latency, { latency: 1, jitter: 10 });
    for (let i = 0; i < 20; i++) {
      driver.send('x');
      await clock.advance(50);
    }
    const delays = driver.emitted.map((e, i) => e.atMs - i * 50);
    expect(Math.min(...delays)).toBe(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(11);
  });

  it('keeps byte order when a later chunk draws a shorter delay', async () => {
    const { clock, driver } = setup(latency, { latency: 50, jitter: 49 }, 3);
    for (let i = 0; i < 30; i++) driver.send(String.fromCharCode(65 + i));
    await clock.advance(200);
    expect(driver.received().toString()).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^');
    const times = driver.emitted.map((e) => e.atMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('releases the held chunk at once when removed, leaving unread input', async () => {
    const { clock, driver } = setup(latency, { latency: 100 });
    driver.send('a');
    driver.send('b');
    await clock.advance(30);
    const unread = await driver.remove();
    expect(driver.emitted).toEqual([{ data: Buffer.from('a'), atMs: 30 }]);
    expect(unread.map(String)).toEqual(['b']);
  });
});

describe('bandwidth', () => {
  it('paces at rate KB/s (1 KB/s = 1 byte/ms) in pieces of at most 20 ms', async () => {
    const { clock, driver } = setup(bandwidth, { rate: 1 });
    driver.send(bytes(100));
    await clock.advance(200);
    expect(driver.emitted.map((e) => [e.data.length, e.atMs])).toEqual([
      [20, 20],
      [20, 40],
      [20, 60],
      [20, 80],
      [20, 100],
    ]);
    expect(driver.received()).toEqual(bytes(100));
  });

  it('holds a high rate exactly: 10 MB at 100 000 KB/s takes 100 ms of schedule', async () => {
    const { clock, driver } = setup(bandwidth, { rate: 100_000 });
    const total = 10_000_000;
    const chunk = 65_536;
    for (let sent = 0; sent < total; sent += chunk) driver.send(bytes(Math.min(chunk, total - sent)));
    for (let t = 0; t < 150; t += 0.25) await clock.advance(0.25);
    expect(driver.received().length).toBe(total);
    const last = driver.emitted.at(-1)!.atMs;
    expect(last).toBeGreaterThanOrEqual(99);
    expect(last).toBeLessThanOrEqual(100.25);
  });

  it('does not bank idle time as a burst allowance', async () => {
    const { clock, driver } = setup(bandwidth, { rate: 1 });
    driver.send(bytes(10));
    await clock.advance(1000);
    driver.send(bytes(10));
    await clock.advance(100);
    expect(driver.emitted.map((e) => e.atMs)).toEqual([10, 1010]);
  });

  it('keeps its schedule across an update and releases the rest of a chunk when removed', async () => {
    const { clock, driver } = setup(bandwidth, { rate: 1 });
    driver.send(bytes(60));
    await clock.advance(25);
    await driver.update({ rate: 2 });
    await clock.advance(5);
    // Update aborted the 20..40 ms piece (flushed at 25 ms), then the new rate continues.
    expect(driver.emitted.map((e) => [e.data.length, e.atMs])).toEqual([
      [20, 20],
      [40, 25],
    ]);
    driver.send(bytes(80));
    await clock.advance(10);
    await driver.remove();
    expect(driver.received().length).toBe(140);
  });

  it('rejects rate 0 (Toxiproxy would never forward a byte), and rates too small to forward one', () => {
    const error = rejected({ type: 'bandwidth', attributes: { rate: 0 } });
    expect(error.code).toBe('INVALID_TOXIC_ATTRIBUTE');
    expect(error.message).toBe('attributes.rate: must be at least 0.001 (KB/s), got 0');
    // 1e-300 was accepted and never forwarded a byte.
    const tiny = rejected({ type: 'bandwidth', attributes: { rate: 1e-300 } });
    expect(tiny.problems[0]).toEqual({
      path: 'attributes.rate',
      message: 'must be at least 0.001 (KB/s), got 1e-300',
      hint: "a slower link never forwards a byte in a test's lifetime; for a path that carries nothing, use a timeout toxic",
    });
    expect(resolveToxic('tcp', { type: 'bandwidth', attributes: { rate: 0.001 } }).attributes.rate).toBe(0.001);
  });

  it('rejects waits longer than a day: Node\'s timers would fire at once past 24.8 days', () => {
    for (const [type, key] of [['latency', 'latency'], ['latency', 'jitter'], ['slow_close', 'delay'], ['timeout', 'timeout'], ['reset_peer', 'timeout'], ['loss', 'rto']] as const) {
      const error = rejected({ type, attributes: { [key]: 1e300 } });
      expect(error.message).toBe(`attributes.${key}: must be at most 86400000 (ms), got 1e+300`);
    }
    expect(rejected({ type: 'slicer', attributes: { delay: 86_400_000_001 } }).message).toBe('attributes.delay: must be at most 86400000000 (µs), got 86400000001');
  });
});

describe('slow_close', () => {
  it('passes data at once and delays the end by delay ms', async () => {
    const { clock, driver } = setup(slowClose, { delay: 300 });
    driver.send('data');
    await clock.advance(10);
    driver.end();
    await clock.advance(299);
    expect(driver.emitted).toEqual([{ data: Buffer.from('data'), atMs: 0 }]);
    expect(driver.returnedAtMs).toBeUndefined();
    await clock.advance(1);
    expect(driver.returnedAtMs).toBe(310);
    expect(driver.counters.delayed).toBe(1);
  });
});

describe('timeout', () => {
  it('holds data (never drops it) and closes timeout ms after activation, not after the last chunk', async () => {
    const { clock, driver } = setup(timeout, { timeout: 100 });
    for (let t = 0; t <= 80; t += 20) {
      driver.send(`t${t}`);
      await clock.advance(t < 80 ? 20 : 19);
    }
    expect(clock.now()).toBe(99);
    expect(driver.emitted).toEqual([]);
    expect(driver.actions).toEqual([]);
    await clock.advance(1);
    expect(driver.actions).toEqual(['close']);
    expect(driver.returnedAtMs).toBe(100);
    expect(driver.counters.closes).toBe(1);
  });

  it('with timeout 0 holds until removed, then hands everything on in order', async () => {
    const { clock, driver } = setup(timeout, { timeout: 0 });
    driver.send('a');
    driver.send('b');
    await clock.advance(3_600_000);
    expect(driver.actions).toEqual([]);
    expect((await driver.remove()).map(String)).toEqual(['a', 'b']);
    expect(driver.emitted).toEqual([]);
  });

  it('an update keeps the activation time', async () => {
    const { clock, driver } = setup(timeout, { timeout: 100 });
    await clock.advance(50);
    await driver.update({ timeout: 80 });
    await clock.advance(29);
    expect(driver.actions).toEqual([]);
    await clock.advance(1);
    expect(driver.actions).toEqual(['close']);
  });
});

describe('reset_peer', () => {
  it('resets timeout ms after the first chunk, delivering nothing', async () => {
    const { clock, driver } = setup(resetPeer, { timeout: 100 });
    await clock.advance(10);
    driver.send('a');
    await clock.advance(99);
    driver.send('b');
    expect(driver.actions).toEqual([]);
    await clock.advance(1);
    expect(driver.actions).toEqual(['reset']);
    expect(driver.returnedAtMs).toBe(110);
    expect(driver.emitted).toEqual([]);
    expect(driver.counters.resets).toBe(1);
  });

  it('resets at once with timeout 0, and never without data', async () => {
    const now = setup(resetPeer, { timeout: 0 });
    now.driver.send('a');
    await now.clock.advance(0);
    expect(now.driver.actions).toEqual(['reset']);

    const idle = setup(resetPeer, { timeout: 0 });
    idle.driver.end();
    await idle.clock.advance(10);
    expect(idle.driver.actions).toEqual([]);
    expect(idle.driver.returnedAtMs).toBe(0);
  });

  it('releases the chunk when removed before firing', async () => {
    const { clock, driver } = setup(resetPeer, { timeout: 100 });
    driver.send('a');
    await clock.advance(50);
    await driver.remove();
    expect(driver.received().toString()).toBe('a');
    expect(driver.actions).toEqual([]);
  });
});

describe('slicer', () => {
  it('cuts chunks into average_size pieces, bytes intact', async () => {
    const { clock, driver } = setup(slicer, { average_size: 10 });
    driver.send(bytes(95));
    await clock.advance(0);
    expect(driver.emitted.map((e) => e.data.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    expect(driver.received()).toEqual(bytes(95));
  });

  it('varies sizes within ±size_variation, seeded', async () => {
    const sizes = async () => {
      const { clock, driver } = setup(slicer, { average_size: 10, size_variation: 3 }, 11);
      driver.send(bytes(10_000));
      await clock.advance(0);
      expect(driver.received()).toEqual(bytes(10_000));
      return driver.emitted.map((e) => e.data.length);
    };
    const first = await sizes();
    expect(Math.min(...first.slice(0, -1))).toBe(7);
    expect(Math.max(...first)).toBe(13);
    expect(await sizes()).toEqual(first);
  });

  it('spaces pieces delay µs apart on an absolute schedule', async () => {
    const { clock, driver } = setup(slicer, { average_size: 1, delay: 250 });
    driver.send('abcde');
    for (let i = 0; i < 20; i++) await clock.advance(0.1);
    expect(driver.emitted.map((e) => e.atMs)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('rejects average_size 0 and size_variation ≥ average_size', () => {
    expect(rejected({ type: 'slicer', attributes: { average_size: 0 } }).message).toBe(
      'attributes.average_size: must be at least 1 (bytes), got 0',
    );
    expect(rejected({ type: 'slicer', attributes: { average_size: 8, size_variation: 8 } }).message).toBe(
      'attributes.size_variation: must be less than average_size (8 bytes), got 8',
    );
  });
});

describe('limit_data', () => {
  it('forwards exactly bytes, truncating the crossing chunk, then closes', async () => {
    const { clock, driver } = setup(limitData, { bytes: 5 });
    driver.send('hel');
    driver.send('lo world');
    driver.send('more');
    await clock.advance(0);
    expect(driver.emitted.map((e) => e.data.toString())).toEqual(['hel', 'lo']);
    expect(driver.actions).toEqual(['close']);
    expect(driver.counters).toMatchObject({ closes: 1, dropped_limit: 1 });
  });

  it('closes right after a chunk that ends exactly at the limit, and at once with bytes 0', async () => {
    const exact = setup(limitData, { bytes: 5 });
    exact.driver.send('hello');
    await exact.clock.advance(0);
    expect(exact.driver.received().toString()).toBe('hello');
    expect(exact.driver.actions).toEqual(['close']);

    const zero = setup(limitData, { bytes: 0 });
    await zero.clock.advance(0);
    expect(zero.driver.actions).toEqual(['close']);
  });

  it('counts across updates', async () => {
    const { clock, driver } = setup(limitData, { bytes: 10 });
    driver.send('abcd');
    await clock.advance(0);
    await driver.update({ bytes: 6 });
    driver.send('efgh');
    await clock.advance(0);
    expect(driver.received().toString()).toBe('abcdef');
    expect(driver.actions).toEqual(['close']);
  });
});

describe('loss', () => {
  it('with probability 0 passes chunks through whole', async () => {
    const { clock, driver } = setup(loss, { probability: 0 });
    driver.send(bytes(5000));
    await clock.advance(0);
    expect(driver.emitted).toHaveLength(1);
    expect(driver.received()).toEqual(bytes(5000));
  });

  it('retransmits a lost segment after rto, doubling up to max_rto, holding everything behind it', async () => {
    const { clock, driver } = setup(loss, { probability: 1, rto: 100, max_rto: 400, mss: 10 });
    driver.send(bytes(25));
    await clock.advance(1499);
    // Retransmissions at 100, 300 (100+200), 700 (+400), 1100 (+400); the 5th is due at 1500.
    expect(driver.counters.retransmits).toBe(5);
    expect(driver.emitted).toEqual([]);
    await driver.remove();
    expect(driver.received()).toEqual(bytes(25));
  });

  it('delivers every byte in order, late, and replays the same losses from the seed', async () => {
    const run = async () => {
      const { clock, driver } = setup(loss, { probability: 0.2, mss: 100, rto: 50 }, 5);
      for (let i = 0; i < 20; i++) driver.send(bytes(1000, i));
      await clock.advance(60_000);
      expect(driver.received()).toEqual(Buffer.concat(Array.from({ length: 20 }, (_, i) => bytes(1000, i))));
      return { times: driver.emitted.map((e) => e.atMs), counters: { ...driver.counters } };
    };
    const first = await run();
    expect(first.counters.retransmits).toBeGreaterThanOrEqual(first.counters.delayed!);
    // 200 segments at p = 0.2: about 40 lost; far from 0 and from 200.
    expect(first.counters.delayed).toBeGreaterThan(15);
    expect(first.counters.delayed).toBeLessThan(70);
    expect(first.times.at(-1)).toBeGreaterThan(50 * first.counters.delayed! - 1);
    expect(await run()).toEqual(first);
  });

  it('loses burst segments together, but each retransmission independently at the long-run rate', async () => {
    const { clock, driver } = setup(loss, { probability: 0.1, burst: 4, mss: 10, rto: 10, max_rto: 10 }, 3);
    driver.send(bytes(40_000));
    await clock.advance(600_000);
    expect(driver.received()).toEqual(bytes(40_000));
    const lost = driver.counters.delayed!;
    const retransmits = driver.counters.retransmits!;
    // 4000 segments at 10%: about 400 lost, in runs of about 4 (runs are what delay the stream).
    expect(lost).toBeGreaterThan(250);
    expect(lost).toBeLessThan(600);
    // Retransmissions lost at 10% need 1/(1 − 0.1) ≈ 1.11 tries each; drawing them from the burst
    // chain would need about `burst` = 4.
    expect(retransmits / lost).toBeGreaterThan(1.02);
    expect(retransmits / lost).toBeLessThan(1.3);
  });

  it('validates the model and the timeouts', () => {
    expect(rejected({ type: 'loss', attributes: { probability: 0.9, burst: 2 } }).message).toMatch(
      /^attributes\.probability: with burst 2, probability can be at most/,
    );
    expect(rejected({ type: 'loss', attributes: { rto: 500, max_rto: 100 } }).message).toBe(
      'attributes.max_rto: must be at least rto (500 ms), got 100',
    );
    expect(rejected({ type: 'loss', attributes: { rto: 0 } }).message).toBe('attributes.rto: must be at least 1 (ms), got 0');
  });
});
