/**
 * Errors are data: every way a connection can fail is recorded with its classified code, and the
 * workload still returns a result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSinkServer, type SinkServer } from './servers/sink-server.js';
import { runTcpEcho } from './tcp-echo.js';
import { runTcpRaw, type TcpRawSpec } from './tcp-raw.js';
import { runTcpStream } from './tcp-stream.js';
import { closedPort, startCuttingRelay, startMisbehavingServer, type TestServer } from './testing/misbehaving-servers.js';
import { common, errorCount, metric, testContext } from './testing/workload-harness.js';
import { runUdpEcho } from './udp-echo.js';
import { runUdpStream } from './udp-stream.js';

let server: TestServer | undefined;
let sink: SinkServer | undefined;
afterEach(async () => {
  await server?.close();
  await sink?.close();
  server = undefined;
  sink = undefined;
});

const echoSpec = (overrides = {}) => ({ ...common({ messages: 10, ...overrides }), type: 'tcp-echo' as const });

describe('tcp-echo errors', () => {
  it('a closed port is ECONNREFUSED and a failed connection', async () => {
    const result = await runTcpEcho(echoSpec({ connections: 2 }), testContext(await closedPort()));
    expect(errorCount(result, 'ECONNREFUSED')).toBe(2);
    expect(metric(result, 'errors_total', { code: 'ECONNREFUSED' })).toBe(2);
    expect(metric(result, 'connections_failed_total')).toBe(2);
    expect(metric(result, 'messages_sent_total')).toBe(0);
    expect(metric(result, 'delivered_ratio')).toBe(0);
    expect(result.histograms.rtt_ms).toBeUndefined();
  });

  it('a server that resets is ECONNRESET', async () => {
    server = await startMisbehavingServer('reset');
    const result = await runTcpEcho(echoSpec(), testContext(server.address));
    expect(errorCount(result, 'ECONNRESET')).toBe(1);
    expect(metric(result, 'connections_failed_total')).toBe(1);
    expect(metric(result, 'messages_lost_total')).toBe(1);
  });

  it('a server that closes before replying is EOF_EARLY', async () => {
    server = await startMisbehavingServer('close-early');
    const result = await runTcpEcho(echoSpec(), testContext(server.address));
    expect(errorCount(result, 'EOF_EARLY')).toBe(1);
    expect(result.errors[0]?.message).toContain('1 replies outstanding');
  });

  it('a silent server is ETIMEDOUT after the reply timeout', async () => {
    server = await startMisbehavingServer('silent');
    const result = await runTcpEcho(echoSpec({ timeoutMs: 150 }), testContext(server.address));
    expect(errorCount(result, 'ETIMEDOUT')).toBe(1);
    expect(result.durationMs).toBeGreaterThanOrEqual(150);
    expect(result.durationMs).toBeLessThan(5000);
    expect(metric(result, 'messages_lost_total')).toBe(1);
  });
});

describe('tcp-raw errors', () => {
  const rawSpec = (overrides: Partial<TcpRawSpec> = {}): TcpRawSpec => ({
    ...common(),
    type: 'tcp-raw',
    requests: [{ send: Buffer.from('PING\n'), expect: { kind: 'exact', bytes: Buffer.from('PONG\n') }, source: 'PING' }],
    repeat: 3,
    framing: { kind: 'newline' },
    ...overrides,
  });

  it('a silent server is ETIMEDOUT', async () => {
    server = await startMisbehavingServer('silent');
    const result = await runTcpRaw(rawSpec({ timeoutMs: 100 }), testContext(server.address));
    expect(errorCount(result, 'ETIMEDOUT')).toBe(1);
    expect(metric(result, 'messages_sent_total')).toBe(1);
    expect(metric(result, 'messages_received_total')).toBe(0);
  });

  it('a server that closes before responding is EOF_EARLY', async () => {
    server = await startMisbehavingServer('close-early');
    const result = await runTcpRaw(rawSpec(), testContext(server.address));
    expect(errorCount(result, 'EOF_EARLY')).toBe(1);
  });
});

describe('udp-echo errors', () => {
  it('nothing listening: ICMP port unreachable is ECONNREFUSED, every datagram lost', async () => {
    const result = await runUdpEcho({ ...common({ messages: 5, timeoutMs: 100 }), type: 'udp-echo' }, testContext(await closedPort()));
    expect(errorCount(result, 'ECONNREFUSED')).toBeGreaterThanOrEqual(1);
    expect(metric(result, 'messages_lost_total')).toBe(5);
    expect(metric(result, 'lost_ratio')).toBe(1);
  });
});

describe('tcp-stream cut off mid-stream', () => {
  it('the verdict shows missing frames and the error is classified', async () => {
    sink = await createSinkServer();
    server = await startCuttingRelay(sink.tcp!, 100_000);
    const result = await runTcpStream(
      { ...common({ messages: 2000, size: 1000 }), type: 'tcp-stream' },
      testContext(server.address, { sink }),
    );
    expect(result.stream?.intact).toBe(false);
    expect(result.stream?.inOrder).toBe(true);
    expect(result.stream!.bytesReceived).toBeLessThanOrEqual(100_000);
    expect(result.stream!.missingFrames).toBeGreaterThan(0);
    expect(metric(result, 'delivered_ratio')).toBeLessThan(1);
    const codes = result.errors.map((e) => e.code);
    expect(codes.some((c) => ['ECONNRESET', 'EPIPE', 'EOF_EARLY'].includes(c))).toBe(true);
  });
});

describe('stopping early', () => {
  it('an aborted workload returns what it measured, with a note', async () => {
    sink = await createSinkServer();
    const controller = new AbortController();
    const ctx = testContext(sink.udp!, { sink, signal: controller.signal });
    setTimeout(() => controller.abort(), 150);
    const result = await runUdpStream({ ...common({ messages: 10_000, rate: 1000 }), type: 'udp-stream' }, ctx);
    expect(result.notes?.some((n) => n.startsWith('stopped early'))).toBe(true);
    expect(metric(result, 'messages_sent_total')).toBeGreaterThan(0);
    expect(metric(result, 'messages_sent_total')).toBeLessThan(10_000);
  });
});
