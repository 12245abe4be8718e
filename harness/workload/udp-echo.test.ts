import { afterEach, describe, expect, it } from 'vitest';
import { createEchoServer, type EchoServer } from './servers/echo-server.js';
import { common, metric, testContext } from './testing/workload-harness.js';
import { runUdpEcho } from './udp-echo.js';

let echo: EchoServer | undefined;
afterEach(async () => {
  await echo?.close();
  echo = undefined;
});

describe('udp-echo against the built-in echo server', () => {
  it('gets every datagram back at a modest rate, with RTT and jitter', async () => {
    echo = await createEchoServer();
    const result = await runUdpEcho({ ...common({ messages: 300, connections: 2, rate: 1000, size: 512 }), type: 'udp-echo' }, testContext(echo.udp!));
    expect(metric(result, 'messages_sent_total')).toBe(600);
    expect(metric(result, 'messages_received_total')).toBe(600);
    expect(metric(result, 'messages_lost_total')).toBe(0);
    expect(metric(result, 'messages_duplicated_total')).toBe(0);
    expect(metric(result, 'delivered_ratio')).toBe(1);
    expect(metric(result, 'jitter_ms')).toBeGreaterThanOrEqual(0);
    expect(result.histograms.rtt_ms?.count).toBe(600);
    expect(result.histograms.interarrival_ms?.count).toBe(598);
    expect(result.harness?.sendLatenessMs?.count).toBe(600);
    // 300 messages at 1000/s: the last is due 299 ms after the first.
    expect(result.durationMs).toBeGreaterThanOrEqual(299);
  });

  it('closed loop (rate max): the next ping waits for the pong', async () => {
    echo = await createEchoServer();
    const result = await runUdpEcho({ ...common({ messages: 200 }), type: 'udp-echo' }, testContext(echo.udp!));
    expect(metric(result, 'messages_received_total')).toBe(200);
    expect(result.harness?.sendLatenessMs).toBeUndefined();
  });
});
