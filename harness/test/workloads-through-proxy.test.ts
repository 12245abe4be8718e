/**
 * Workloads through the embedded proxy with real faults, over loopback: what each workload
 * measures must agree with what the proxy's ledger says it did.
 *
 *   workload ──▶ embedded proxy (toxics, ledger) ──▶ built-in echo / sink
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../core/address.js';
import { createEmbeddedProxy, type EmbeddedProxy } from '../proxy/embedded-proxy.js';
import { runWorkload } from '../workload/run-workload.js';
import { createEchoServer, type EchoServer } from '../workload/servers/echo-server.js';
import { createSinkServer, type SinkServer } from '../workload/servers/sink-server.js';
import { common, errorCount, metric, testContext } from '../workload/testing/workload-harness.js';

let proxy: EmbeddedProxy | undefined;
const servers: Array<EchoServer | SinkServer> = [];

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function echo(): Promise<EchoServer> {
  const server = await createEchoServer();
  servers.push(server);
  return server;
}

async function sink(): Promise<SinkServer> {
  const server = await createSinkServer();
  servers.push(server);
  return server;
}

async function proxyTo(protocol: 'tcp' | 'udp', upstreamPort: number) {
  proxy ??= createEmbeddedProxy({ seed: 7 });
  const state = await proxy.createProxy({ name: protocol, protocol, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` });
  return parseHostPort(state.listen)!;
}

describe('workloads through the embedded proxy', () => {
  it('udp-stream: every datagram the sink missed is one the loss toxic dropped', async () => {
    const target = await sink();
    const endpoint = await proxyTo('udp', target.udp!.port);
    await proxy!.addToxic('udp', { type: 'loss', stream: 'upstream', attributes: { probability: 0.1 } });
    const result = await runWorkload(
      { ...common({ messages: 2000, rate: 4000, size: 200 }), type: 'udp-stream' },
      testContext(endpoint, { sink: target }),
    );
    const ledger = await proxy!.ledger('udp');
    const dropped = ledger.toxics.find((t) => t.name === 'loss_upstream')!.counters.dropped_loss!;
    expect(dropped).toBeGreaterThan(100);
    expect(metric(result, 'messages_sent_total')).toBe(2000);
    expect(metric(result, 'messages_lost_total')).toBe(dropped);
    expect(metric(result, 'messages_received_total')).toBe(2000 - dropped);
  });

  it('udp-echo: lost round trips equal the drops on both legs (nothing incidental)', async () => {
    const target = await echo();
    const endpoint = await proxyTo('udp', target.udp!.port);
    await proxy!.addToxic('udp', { name: 'up', type: 'loss', stream: 'upstream', attributes: { probability: 0.05 } });
    await proxy!.addToxic('udp', { name: 'down', type: 'loss', stream: 'downstream', attributes: { probability: 0.05 } });
    const result = await runWorkload({ ...common({ messages: 1000, rate: 2000, size: 100, timeoutMs: 500 }), type: 'udp-echo' }, testContext(endpoint));
    const ledger = await proxy!.ledger('udp');
    const drops = ledger.toxics.reduce((sum, t) => sum + (t.counters.dropped_loss ?? 0), 0);
    expect(drops).toBeGreaterThan(40);
    expect(metric(result, 'messages_lost_total')).toBe(drops);
  });

  it('tcp-stream under slicer and latency arrives intact and in order', async () => {
    const target = await sink();
    const endpoint = await proxyTo('tcp', target.tcp!.port);
    await proxy!.addToxic('tcp', { type: 'slicer', stream: 'upstream', attributes: { average_size: 100, size_variation: 90, delay: 50 } });
    await proxy!.addToxic('tcp', { type: 'latency', stream: 'upstream', attributes: { latency: 20, jitter: 10 } });
    const result = await runWorkload(
      { ...common({ messages: 300, rate: 'max', size: 700, connections: 2 }), type: 'tcp-stream' },
      testContext(endpoint, { sink: target }),
    );
    expect(result.stream).toMatchObject({ inOrder: true, intact: true, missingFrames: 0, duplicatedFrames: 0, corruptedFrames: 0, framesReceived: 600 });
    const ledger = await proxy!.ledger('tcp');
    expect(ledger.toxics.find((t) => t.type === 'slicer')!.counters.forwarded).toBeGreaterThan(600);
  });

  it('tcp-echo: a reset_peer toxic shows up as ECONNRESET', async () => {
    const target = await echo();
    const endpoint = await proxyTo('tcp', target.tcp!.port);
    await proxy!.addToxic('tcp', { type: 'reset_peer', stream: 'downstream', attributes: { timeout: 0 } });
    const result = await runWorkload({ ...common({ messages: 5, connections: 2 }), type: 'tcp-echo' }, testContext(endpoint));
    expect(errorCount(result, 'ECONNRESET')).toBeGreaterThanOrEqual(2);
    expect(metric(result, 'messages_received_total') ?? 0).toBe(0);
  });

  it('tcp-echo: a proxy taken down refuses connections (ECONNREFUSED)', async () => {
    const target = await echo();
    const endpoint = await proxyTo('tcp', target.tcp!.port);
    await proxy!.updateProxy('tcp', { enabled: false });
    const result = await runWorkload({ ...common({ messages: 3, connections: 3 }), type: 'tcp-echo' }, testContext(endpoint));
    expect(errorCount(result, 'ECONNREFUSED')).toBe(3);
  });
});
