import { afterEach, describe, expect, it } from 'vitest';
import type { RawRequest } from './spec.js';
import { runTcpRaw, type TcpRawSpec } from './tcp-raw.js';
import { runUdpRaw, type UdpRawSpec } from './udp-raw.js';
import { startPythonServer, type PythonServer } from './testing/python-server.js';
import { startSlicingRelay, type SlicingRelay } from './testing/slicing-relay.js';
import { common, errorCount, metric, testContext } from './testing/workload-harness.js';

let server: PythonServer | undefined;
let relay: SlicingRelay | undefined;
afterEach(async () => {
  await relay?.close();
  await server?.stop();
  relay = undefined;
  server = undefined;
});

function pings(n: number): RawRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    send: Buffer.from(`PING ${i}\n`),
    expect: { kind: 'exact' as const, bytes: Buffer.from(`PONG ${i}\n`) },
    source: `send: "PING ${i}\\n"`,
  }));
}

function tcpRaw(overrides: Partial<TcpRawSpec> = {}): TcpRawSpec {
  return { ...common(), type: 'tcp-raw', requests: pings(3), repeat: 10, framing: { kind: 'newline' }, ...overrides };
}

describe('tcp-raw against python fixture servers', () => {
  it('a correct line server matches every response', async () => {
    server = await startPythonServer('line-echo.py');
    const result = await runTcpRaw(tcpRaw({ connections: 2 }), testContext({ host: '127.0.0.1', port: server.port }));
    expect(metric(result, 'responses_matched_total')).toBe(60);
    expect(metric(result, 'responses_mismatched_total')).toBe(0);
    expect(metric(result, 'messages_sent_total')).toBe(60);
    expect(metric(result, 'delivered_ratio')).toBe(1);
    expect(metric(result, 'errors_total')).toBe(0);
    expect(result.histograms.rtt_ms?.count).toBe(60);
    expect(result.mismatches).toBeUndefined();
  });

  it('the naive server passes while each request arrives whole', async () => {
    server = await startPythonServer('naive-echo.py');
    const result = await runTcpRaw(tcpRaw(), testContext({ host: '127.0.0.1', port: server.port }));
    expect(metric(result, 'responses_matched_total')).toBe(30);
    expect(metric(result, 'errors_total')).toBe(0);
  });

  it('the naive server breaks when requests arrive in pieces: MISMATCH with what was expected and received', async () => {
    server = await startPythonServer('naive-echo.py');
    // Three pieces per request: the server answers each piece with its own "ERR" line.
    relay = await startSlicingRelay({ host: '127.0.0.1', port: server.port }, 3, 200);
    const result = await runTcpRaw(tcpRaw({ repeat: 1 }), testContext(relay.address));
    expect(metric(result, 'responses_mismatched_total')).toBe(3);
    expect(metric(result, 'responses_matched_total')).toBe(0);
    expect(errorCount(result, 'MISMATCH')).toBe(3);
    expect(result.mismatches?.[0]).toEqual({
      index: 0,
      expected: '"PONG 0\\n"',
      received: '"ERR bad request\\n"',
      reason: 'connection 0: not equal to the expected bytes',
    });
  });

  it('the correct server is unaffected by the same slicing', async () => {
    server = await startPythonServer('line-echo.py');
    relay = await startSlicingRelay({ host: '127.0.0.1', port: server.port }, 3, 2);
    const result = await runTcpRaw(tcpRaw({ repeat: 2 }), testContext(relay.address));
    expect(metric(result, 'responses_matched_total')).toBe(6);
    expect(metric(result, 'responses_mismatched_total')).toBe(0);
  });

  it('checks prefix and regex expectations', async () => {
    server = await startPythonServer('line-echo.py');
    const requests: RawRequest[] = [
      { send: Buffer.from('PING abc\n'), expect: { kind: 'prefix', bytes: Buffer.from('PONG') }, source: 'prefix ok' },
      { send: Buffer.from('PING 42\n'), expect: { kind: 'regex', pattern: /^PONG \d+\n$/ }, source: 'regex ok' },
      { send: Buffer.from('hello\n'), expect: { kind: 'regex', pattern: /^PONG/ }, source: 'regex bad' },
      { send: Buffer.from('hello\n'), source: 'unchecked' },
    ];
    const result = await runTcpRaw(tcpRaw({ requests, repeat: 1 }), testContext({ host: '127.0.0.1', port: server.port }));
    expect(metric(result, 'responses_matched_total')).toBe(3);
    expect(metric(result, 'responses_mismatched_total')).toBe(1);
    expect(result.mismatches?.[0]).toMatchObject({ index: 2, expected: '/^PONG/', received: '"hello\\n"' });
  });
});

describe('udp-raw against the python line server', () => {
  it('one datagram per response, every one matched', async () => {
    server = await startPythonServer('line-echo.py', ['--udp-port', '0']);
    const spec: UdpRawSpec = { ...common({ connections: 2 }), type: 'udp-raw', requests: pings(5), repeat: 4 };
    const result = await runUdpRaw(spec, testContext({ host: '127.0.0.1', port: server.udpPort! }));
    expect(metric(result, 'responses_matched_total')).toBe(40);
    expect(metric(result, 'messages_received_total')).toBe(40);
    expect(metric(result, 'jitter_ms')).toBeGreaterThanOrEqual(0);
    expect(result.histograms.interarrival_ms?.count).toBe(38);
  });
});
