/**
 * `faultline/vitest`: a fault proxy per test, torn down after it, as a Vitest fixture.
 *
 *   import { test } from 'faultline/vitest';
 *   test('retries', async ({ faultProxy }) => { const db = await faultProxy.createProxy({ … }); … });
 *
 * or, to choose the backend (one option switches a whole suite to a real Toxiproxy):
 *
 *   const test = base.extend({ faultProxy: faultProxyFixture({ backend: process.env.TOXIPROXY_URL }) });
 *
 * Vitest is a peer dependency of this entry point only; `faultline` itself never loads it.
 */
import { test as base } from 'vitest';
import { createFaultProxy, type FaultProxy, type FaultProxyOptions } from './fault-proxy.js';

/**
 * A fixture that creates a FaultProxy for each test that uses it and closes it when the test
 * ends, passed or failed (every proxy, connection and socket released).
 */
export function faultProxyFixture(options: FaultProxyOptions = {}) {
  // Vitest reads a fixture's first parameter to learn what it depends on: it must be a pattern.
  return async ({}: object, use: (proxy: FaultProxy) => Promise<void>): Promise<void> => {
    const proxy = await createFaultProxy(options);
    try {
      await use(proxy);
    } finally {
      await proxy.close();
    }
  };
}

export interface FaultlineFixtures {
  /** A fresh embedded fault proxy (random seed: read `faultProxy.seed` to replay). */
  faultProxy: FaultProxy;
}

/** Vitest's `test` with a `faultProxy` fixture. */
export const test = base.extend<FaultlineFixtures>({ faultProxy: faultProxyFixture() });
export const it = test;
