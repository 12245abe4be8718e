/**
 * The sink's worker thread: it leaves nothing behind on close, and a crash in it is an error
 * everywhere someone waits on it (collect, failure, a running workload), never a hang.
 */
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runTcpStream } from '../tcp-stream.js';
import { common, testContext } from '../testing/workload-harness.js';
import { createSinkServer, type SinkServer } from './sink-server.js';
import { CRASHING_SINK_WORKER, crashSinkWorkers } from './testing/crash-sink-worker.js';

const onLinux = process.platform === 'linux';
/** OS threads and open file descriptors of this process (Linux: /proc). */
const threads = () => readdirSync('/proc/self/task').length;
const fds = () => readdirSync('/proc/self/fd').length;

let sink: SinkServer | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('the sink worker thread', () => {
  it.skipIf(!onLinux)('close() ends the thread and closes its sockets', async () => {
    const threadsBefore = threads();
    const fdsBefore = fds();
    sink = await createSinkServer({ threads: { tcp: 'worker', udp: 'worker' } });
    expect(threads()).toBeGreaterThan(threadsBefore);
    const client = connect({ host: '127.0.0.1', port: sink.tcp!.port });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('connect', resolve));
    await sink.close();
    sink = undefined;
    client.destroy();
    // The thread leaves the task list once the OS has reaped it, a moment after terminate().
    await vi.waitFor(() => expect(threads()).toBe(threadsBefore), { timeout: 2000 });
    await vi.waitFor(() => expect(fds()).toBe(fdsBefore), { timeout: 2000 });
  });

  it('a crash rejects collect, resolves failure with the reason, and close still returns', async () => {
    const threadsBefore = onLinux ? threads() : 0;
    sink = await createSinkServer({ workerModule: CRASHING_SINK_WORKER });
    sink.prepare(9, { originMs: performance.now() });
    crashSinkWorkers('boom');
    const failure = await sink.failure;
    expect(failure.message).toMatch(/built-in sink's worker thread crashed: boom/);
    await expect(sink.collect(9)).rejects.toThrow(/worker thread crashed: boom/);
    await sink.close();
    sink = undefined;
    if (onLinux) await vi.waitFor(() => expect(threads()).toBe(threadsBefore), { timeout: 2000 });
  });

  it('a crash while a tcp-stream runs ends the workload with that error, not a hang', async () => {
    sink = await createSinkServer({ workerModule: CRASHING_SINK_WORKER });
    const ctx = testContext(sink.tcp!, { sink });
    const running = runTcpStream({ ...common({ messages: undefined, durationMs: 60_000, rate: 200, size: 1000, timeoutMs: 60_000 }), type: 'tcp-stream' }, ctx);
    await vi.waitFor(() => expect(sink!.peek(ctx.workloadId)?.flows.size).toBe(1), { timeout: 5000 });
    crashSinkWorkers('boom');
    // The worker's sockets die with it, so the sender's connection ends and it collects.
    await expect(running).rejects.toThrow(/worker thread crashed: boom/);
  }, 20_000);
});
