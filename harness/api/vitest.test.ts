/**
 * `faultline/vitest` used as users use it: each test gets a fresh proxy through the fixture, and
 * the fixture closes it after the test (the port the first test used is free in the next).
 */
import { createConnection } from 'node:net';
import { describe, expect, test as base } from 'vitest';
import { startEchoServer } from './servers.js';
import { faultProxyFixture, test } from './vitest.js';

/** Whether something accepts connections at `address` now. */
function accepts(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = createConnection({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('faultline/vitest', () => {
  let firstListen = '';
  let firstSeed: number | undefined;

  test('gives a test its own fault proxy', async ({ faultProxy }) => {
    await using echo = await startEchoServer();
    const db = await faultProxy.createProxy({ name: 'db', upstream: echo.tcp });
    expect(await accepts(db.listen)).toBe(true);
    firstListen = db.listen;
    firstSeed = faultProxy.seed;
  });

  test('and tears it down after the test: the next one gets a new, empty one', async ({ faultProxy }) => {
    expect(firstListen).not.toBe('');
    expect(await accepts(firstListen)).toBe(false);
    expect(await faultProxy.listProxies()).toEqual([]);
    expect(faultProxy.seed).not.toBe(firstSeed);
  });

  const seeded = base.extend({ faultProxy: faultProxyFixture({ seed: 42 }) });
  seeded('takes the options of createFaultProxy, so one option switches the backend', async ({ faultProxy }) => {
    expect(faultProxy).toMatchObject({ backend: 'embedded', seed: 42 });
  });
});
