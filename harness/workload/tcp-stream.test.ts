import { afterEach, describe, expect, it } from 'vitest';
import { createSinkServer, type SinkServer } from './servers/sink-server.js';
import { runTcpStream } from './tcp-stream.js';
import { common, metric, testContext } from './testing/workload-harness.js';

let sink: SinkServer | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('tcp-stream against the built-in sink', () => {
  it('delivers every frame intact and in order, and the verdict says so', async () => {
    sink = await createSinkServer();
    const result = await runTcpStream(
      { ...common({ messages: 5000, connections: 2, size: { min: 0, max: 4096 } }), type: 'tcp-stream' },
      testContext(sink.tcp!, { sink }),
    );
    expect(result.stream).toMatchObject({ framesSent: 10000, framesReceived: 10000, inOrder: true, intact: true, missingFrames: 0, duplicatedFrames: 0, corruptedFrames: 0 });
    expect(result.stream!.bytesReceived).toBe(result.stream!.bytesSent);
    expect(metric(result, 'delivered_ratio')).toBe(1);
    expect(metric(result, 'errors_total')).toBe(0);
    expect(result.histograms.one_way_delay_ms?.count).toBe(10000);
    expect(metric(result, 'goodput_bytes_per_sec')).toBeGreaterThan(0);
  });

  it('sends exactly `bytes` bytes when asked for a byte count', async () => {
    sink = await createSinkServer();
    const result = await runTcpStream(
      { ...common({ messages: undefined, size: 1000 }), bytes: 1_000_003, type: 'tcp-stream' },
      testContext(sink.tcp!, { sink }),
    );
    expect(metric(result, 'bytes_sent_total')).toBe(1_000_003);
    expect(metric(result, 'bytes_received_total')).toBe(1_000_003);
    expect(result.stream?.intact).toBe(true);
  });
});
