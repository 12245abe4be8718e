import { afterEach, describe, expect, it } from 'vitest';
import { createSinkServer, type SinkServer } from './servers/sink-server.js';
import { common, metric, testContext } from './testing/workload-harness.js';
import { runUdpStream } from './udp-stream.js';

let sink: SinkServer | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('udp-stream against the built-in sink', () => {
  it('1000 datagrams at a modest rate: none lost, one-way delay for each', async () => {
    sink = await createSinkServer();
    const result = await runUdpStream({ ...common({ messages: 1000, rate: 5000, size: 256 }), type: 'udp-stream' }, testContext(sink.udp!, { sink }));
    expect(metric(result, 'messages_sent_total')).toBe(1000);
    expect(metric(result, 'messages_received_total')).toBe(1000);
    expect(metric(result, 'messages_lost_total')).toBe(0);
    expect(metric(result, 'messages_duplicated_total')).toBe(0);
    expect(metric(result, 'messages_reordered_total')).toBe(0);
    expect(metric(result, 'messages_corrupted_total')).toBe(0);
    expect(metric(result, 'intact')).toBe(1);
    expect(result.histograms.one_way_delay_ms?.count).toBe(1000);
    expect(result.histograms.interarrival_ms?.count).toBe(999);
    expect(result.histograms.send_lateness_ms?.count).toBe(1000);
    // Schedule: the 1000th datagram is due 999/5000 s = 199.8 ms after the first.
    expect(result.durationMs).toBeGreaterThanOrEqual(199.8);
    const series = result.series.columns;
    expect(series.sent!.reduce((a, b) => a! + b!, 0)).toBe(1000);
    expect(series.received!.reduce((a, b) => a! + b!, 0)).toBe(1000);
    expect(series.lost!.every((v) => v === 0)).toBe(true);
    if (process.platform === 'linux') expect(result.harness?.kernelUdp?.InDatagrams).toBeGreaterThanOrEqual(1000);
  });
});
