/**
 * A wire path's sides as places (core/network-place.ts): faultline's own workloads, built-in
 * servers and command targets, unchanged but for where their sockets and processes are created,
 * run over a real path — real namespaces, TUN devices and kernel TCP.
 */
import { createServer } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { createRng } from '../core/rng.js';
import { startTarget } from '../target/start-target.js';
import type { CommandTargetSpec } from '../target/spec.js';
import { createEchoServer } from '../workload/servers/echo-server.js';
import { createSinkServer } from '../workload/servers/sink-server.js';
import { runTcpEcho } from '../workload/tcp-echo.js';
import { runTcpStream } from '../workload/tcp-stream.js';
import { runUdpStream } from '../workload/udp-stream.js';
import { common, metric, testContext } from '../workload/testing/workload-harness.js';
import { processesIn } from './run-registry.js';
import { createWirePath, type WirePath } from './topology.js';
import { describeWire } from './testing/wire-gate.js';

let path: WirePath | undefined;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  path?.close();
  path = undefined;
});

describeWire('a wire path as places', () => {
  it('runs tcp-echo from the client side to the built-in echo on the target side, with TCP_INFO per connection', async () => {
    path = createWirePath({ rng: createRng(11) });
    const { client, target } = path;
    const echo = await createEchoServer({ place: target });
    cleanups.push(() => echo.close());
    expect(echo.tcp).toEqual({ host: target.address, port: expect.any(Number) });
    const result = await runTcpEcho(
      { ...common({ messages: 50, connections: 2 }), type: 'tcp-echo' },
      testContext(echo.tcp!, { path: { client, target } }),
    );
    expect(metric(result, 'delivered_ratio')).toBe(1);
    expect(metric(result, 'errors_total')).toBe(0);
    expect(result.tcpConnections).toHaveLength(2);
    for (const c of result.tcpConnections!) {
      expect(c.connection).toMatch(new RegExp(`^${client.address.replace(/\./g, '\\.')}:\\d+ → ${target.address.replace(/\./g, '\\.')}:${echo.tcp!.port}$`));
      expect(c.rttMs).toBeGreaterThan(0);
      expect(c.dataSegmentsOut).toBeGreaterThanOrEqual(50);
    }
    expect(metric(result, 'tcp_retransmits_total')).toBe(0);
    // The engine carried every one of those segments: the sockets really were on the path.
    expect(path.engine.ledger().directions.upstream.tcp.seen).toBeGreaterThanOrEqual(100);
  });

  it('moves a tcp-stream under 5 % upstream loss to the built-in sink intact, and its kernel says it retransmitted', async () => {
    path = createWirePath({ rng: createRng(12) });
    const { client, target, engine } = path;
    engine.addFault({ type: 'loss', stream: 'upstream', attributes: { probability: 0.05 } });
    const sink = await createSinkServer({ place: target });
    cleanups.push(() => sink.close());
    const result = await runTcpStream({ ...common({ messages: 200, size: 16 * 1024 }), type: 'tcp-stream' }, testContext(sink.tcp!, { sink, path: { client, target } }));
    expect(result.stream).toMatchObject({ inOrder: true, intact: true, missingFrames: 0 });
    expect(metric(result, 'delivered_ratio')).toBe(1);
    // Every data segment the engine dropped had to be sent again (a dropped pure ACK — 52 bytes
    // with timestamps, a SYN 60 — is never retransmitted: the next segment carries its news).
    const dataDropped = engine.ledger().events.filter((e) => e.action === 'dropped_loss' && e.protocol === 'tcp' && e.bytes > 60).length;
    expect(dataDropped).toBeGreaterThan(0);
    expect(metric(result, 'tcp_retransmits_total')).toBeGreaterThanOrEqual(dataDropped);
    expect(metric(result, 'tcp_retransmit_ratio')).toBeGreaterThan(0.02);
    expect(metric(result, 'tcp_retransmit_ratio')).toBeLessThan(0.1);
  });

  it('streams UDP to the sink on the target side, counting in the namespaces, not the host', async () => {
    path = createWirePath({ rng: createRng(13) });
    const { client, target, engine } = path;
    engine.addFault({ type: 'loss', stream: 'upstream', protocol: 'udp', attributes: { probability: 0.1 } });
    const sink = await createSinkServer({ place: target });
    cleanups.push(() => sink.close());
    expect(sink.udp?.host).toBe(target.address);
    const result = await runUdpStream(
      { ...common({ messages: 1000, rate: 2000, size: 200, timeoutMs: 300 }), type: 'udp-stream' },
      testContext(sink.udp!, { sink, path: { client, target } }),
    );
    const dropped = engine.ledger().faults[0]!.counters.udp.dropped_loss ?? 0;
    expect(dropped).toBeGreaterThan(50);
    expect(metric(result, 'messages_lost_total')).toBe(dropped);
    // The path's own counters: the datagrams that got through, as the target side's kernel saw them.
    expect(result.harness?.kernelUdp?.InDatagrams).toBeGreaterThanOrEqual(1000 - dropped);
  });

  it('starts a command target inside the target side, probes it there and stops it', async () => {
    path = createWirePath({ rng: createRng(14) });
    const { target } = path;
    const spec: CommandTargetSpec = {
      name: 'app',
      kind: 'command',
      argv: [process.execPath, '-e', "require('net').createServer((c) => c.pipe(c)).listen(Number(process.env.FAULTLINE_TCP_PORT), process.env.FAULTLINE_HOST)"],
      cwd: process.cwd(),
      env: {},
      tcp: 'auto',
      ready: { kind: 'tcp' },
      readyTimeoutMs: 10_000,
    };
    const running = await startTarget(spec, { signal: new AbortController().signal, clock: systemClock, place: target });
    cleanups.push(() => running.stop());
    expect(running.endpoints.host).toBe(target.address);
    const pid = Number(/pid=(\d+)/.exec(targetPids(target.inode))?.[1]);
    expect(pid).toBeGreaterThan(0);
    const output = await running.stop();
    expect(output.kind).toBe('command');
    expect(targetPids(target.inode)).toBe('');
  });

  it('does not reach the host from the client side: 127.0.0.1 there is the namespace’s own', async () => {
    path = createWirePath({ rng: createRng(15) });
    const host = createServer();
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => host.close(resolve)));
    const port = (host.address() as { port: number }).port;
    const result = await runTcpEcho({ ...common({ messages: 1 }), type: 'tcp-echo' }, testContext({ host: '127.0.0.1', port }, { path: { client: path.client, target: path.target } }));
    expect(metric(result, 'errors_total', { code: 'ECONNREFUSED' })).toBe(1);
  });
});

/** `pid=N` for each process whose network namespace is `inode` (empty when none). */
function targetPids(inode: number): string {
  return processesIn(inode)
    .map((pid) => `pid=${pid}`)
    .join(' ');
}
