/**
 * The built-in servers and measure() on real loopback sockets, with faults from createFaultProxy:
 * the measurements without the scenario format.
 */
import { describe, expect, it } from 'vitest';
import { failure } from '../core/testing/failure.js';
import { createFaultProxy } from './fault-proxy.js';
import { measure, metric } from './measure.js';
import { startEchoServer, startSinkServer } from './servers.js';

describe('measure', () => {
  it('measures a TCP echo workload through a proxy with latency, with the options of the scenario format', async () => {
    await using echo = await startEchoServer();
    await using faults = await createFaultProxy({ seed: 1 });
    const path = await faults.createProxy({ name: 'path', upstream: echo.tcp });
    await path.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 15 } });
    const result = await measure({ type: 'tcp-echo', to: path.listen, proxy: 'path', messages: 10, rate: '100/s', size: '1KiB' });
    expect(result).toMatchObject({ name: 'tcp-echo', kind: 'tcp-echo', protocol: 'tcp', shape: 'round-trip', proxy: 'path' });
    expect(metric(result, 'messages_received_total')).toBe(10);
    expect(metric(result, 'delivered_ratio')).toBe(1);
    expect(metric(result, 'errors_total')).toBe(0);
    expect(metric(result, 'no_such_metric')).toBeUndefined();
    expect(result.histograms.rtt_ms!.min).toBeGreaterThanOrEqual(15);
  });

  it('measures a UDP stream at the sink, which sees the loss the proxy injected', async () => {
    await using sink = await startSinkServer();
    await using faults = await createFaultProxy({ seed: 2 });
    const path = await faults.createProxy({ name: 'lossy', protocol: 'udp', upstream: sink.udp });
    await path.addToxic({ type: 'loss', stream: 'upstream', attributes: { probability: 0.5 } });
    const result = await measure({ type: 'udp-stream', to: path.listen, sink, messages: 400, rate: '4000/s', timeout: '300ms' }, { seed: 5 });
    const dropped = (await path.ledger()).toxics[0]!.counters.dropped_loss!;
    expect(dropped).toBeGreaterThan(100);
    expect(metric(result, 'messages_lost_total')).toBe(dropped);
    expect(metric(result, 'messages_received_total')).toBe(400 - dropped);
  });

  it('runs tcp-connect against a server directly', async () => {
    await using echo = await startEchoServer();
    const result = await measure({ type: 'tcp-connect', to: echo.tcp, attempts: 5, name: 'probe' });
    expect(result.name).toBe('probe');
    expect(metric(result, 'connections_total')).toBe(5);
    expect(metric(result, 'connections_failed_total')).toBe(0);
  });

  it('says what is wrong, by the option as the caller wrote it', async () => {
    await using echo = await startEchoServer();
    const bad = await failure(measure({ type: 'udp-echo', to: echo.udp, rate: 100 as unknown as '100/s', connect_timeout: '1s' }));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.problems.map((p) => p.path)).toEqual(['connect_timeout', 'rate']);
    expect(bad.message).toMatch(/^workload "udp-echo" has 2 problems; first: connect_timeout: /);
    expect((await failure(measure({ type: 'udp-stream', to: echo.udp }))).message).toContain('pass sink, a server from startSinkServer()');
    expect((await failure(measure({ type: 'tcp-echo', to: 'nowhere' }))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(measure({ type: 'tcp-teleport' as 'tcp-echo', to: echo.tcp }))).problems[0]!.message).toContain('tcp-teleport');
  });
});

describe('built-in servers', () => {
  it('serve TCP and UDP on loopback, and close once however often asked', async () => {
    const echo = await startEchoServer();
    expect(echo.tcp).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(echo.udp).toMatch(/^127\.0\.0\.1:\d+$/);
    const result = await measure({ type: 'udp-echo', to: echo.udp, messages: 5 });
    expect(metric(result, 'messages_received_total')).toBe(5);
    await Promise.all([echo.close(), echo.close()]);
    expect((await measure({ type: 'tcp-connect', to: echo.tcp, attempts: 1 })).metrics.find((m) => m.labels?.code === 'ECONNREFUSED')?.value).toBe(1);
  });
});
