import { afterEach, describe, expect, it } from 'vitest';
import { createEchoServer, type EchoServer } from './servers/echo-server.js';
import { runTcpEcho } from './tcp-echo.js';
import { common, metric, testContext } from './testing/workload-harness.js';

let echo: EchoServer | undefined;
afterEach(async () => {
  await echo?.close();
  echo = undefined;
});

describe('tcp-echo against the built-in echo server', () => {
  it('gets every reply back, in order and intact, with an RTT per message', async () => {
    echo = await createEchoServer();
    const result = await runTcpEcho({ ...common({ messages: 200, connections: 3, size: { min: 1, max: 2000 } }), type: 'tcp-echo' }, testContext(echo.tcp!));
    expect(metric(result, 'messages_sent_total')).toBe(600);
    expect(metric(result, 'messages_received_total')).toBe(600);
    expect(metric(result, 'messages_lost_total')).toBe(0);
    expect(metric(result, 'delivered_ratio')).toBe(1);
    expect(metric(result, 'in_order')).toBe(1);
    expect(metric(result, 'intact')).toBe(1);
    expect(metric(result, 'errors_total')).toBe(0);
    expect(metric(result, 'connections_total')).toBe(3);
    expect(metric(result, 'connections_failed_total')).toBe(0);
    expect(result.histograms.rtt_ms?.count).toBe(600);
    expect(result.histograms.connect_ms?.count).toBe(3);
    expect(metric(result, 'bytes_sent_total')).toBe(metric(result, 'bytes_received_total'));
  });

  it('reports progress while it runs and the final totals at the end', async () => {
    echo = await createEchoServer();
    const seen: Array<{ sent: number; received: number; errors: number }> = [];
    await runTcpEcho({ ...common({ messages: 40, rate: 100 }), type: 'tcp-echo' }, testContext(echo.tcp!, { onProgress: (p) => seen.push(p) }));
    // 40 messages at 100/s take ≥ 390 ms: at least one 250 ms tick, then the final report.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)).toEqual({ sent: 40, received: 40, errors: 0 });
    expect(seen[0]!.sent).toBeLessThan(40);
  });
});
