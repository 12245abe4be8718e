/**
 * tcp-connect over real loopback sockets: it counts every attempt once, tells refusals, resets
 * and successes apart, paces by rate, and leaves no connection open.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbeddedProxy, type EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { allocateFreePort } from '../target/free-port.js';
import { runTcpConnect, type TcpConnectSpec } from './tcp-connect.js';
import { common, errorCount, metric, testContext } from './testing/workload-harness.js';

const spec = (overrides: Partial<TcpConnectSpec> = {}): TcpConnectSpec => ({ ...common({ messages: undefined, size: 0 }), type: 'tcp-connect', attempts: 5, ...overrides });

let server: Server | undefined;
let proxy: EmbeddedProxy | undefined;
const open = new Set<Socket>();

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  for (const s of open) s.destroy();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A server that closes when its client does (as an echo server would), counting connections. */
async function listen(): Promise<{ port: number; accepted: () => number; live: () => number }> {
  let accepted = 0;
  server = createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, accepted: () => accepted, live: () => open.size };
}

describe('tcp-connect', () => {
  it('opens and closes every connection, counting each attempt once', async () => {
    const target = await listen();
    const result = await runTcpConnect(spec({ connections: 3, attempts: 5 }), testContext({ host: '127.0.0.1', port: target.port }));
    expect(metric(result, 'connections_total')).toBe(15);
    expect(metric(result, 'connections_failed_total')).toBe(0);
    expect(result.histograms.connect_ms?.count).toBe(15);
    expect(metric(result, 'connections_per_sec')).toBeGreaterThan(0);
    expect(result.errors).toEqual([]);
    expect(target.accepted()).toBe(15);
    expect(target.live()).toBe(0);
    expect(result).toMatchObject({ kind: 'tcp-connect', protocol: 'tcp', shape: 'connect' });
  });

  it('counts refusals as failed connections with their code', async () => {
    const port = await allocateFreePort('tcp');
    const result = await runTcpConnect(spec({ attempts: 4 }), testContext({ host: '127.0.0.1', port }));
    expect(metric(result, 'connections_total')).toBe(4);
    expect(metric(result, 'connections_failed_total')).toBe(4);
    expect(errorCount(result, 'ECONNREFUSED')).toBe(4);
    expect(result.histograms.connect_ms).toBeUndefined();
  });

  it('through a proxy whose upstream refuses: the connect succeeds, the reset that follows is recorded', async () => {
    const port = await allocateFreePort('tcp');
    proxy = createEmbeddedProxy({ seed: 1 });
    const { listen: address } = await proxy.createProxy({ name: 'p', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` });
    const result = await runTcpConnect(spec({ attempts: 3 }), testContext({ host: '127.0.0.1', port: Number(address.split(':')[1]) }));
    expect(metric(result, 'connections_failed_total')).toBe(0);
    expect(errorCount(result, 'ECONNRESET')).toBe(3);
  });

  it('paces attempts by rate over a duration', async () => {
    const target = await listen();
    const result = await runTcpConnect(spec({ attempts: undefined, durationMs: 400, rate: 25 }), testContext({ host: '127.0.0.1', port: target.port }));
    // 25/s for 0.4 s: attempts at 0, 40, …, 360 ms.
    expect(metric(result, 'connections_total')).toBe(10);
    expect(result.harness?.sendLatenessMs?.count).toBe(10);
  });
});
