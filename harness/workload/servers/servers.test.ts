import dgram from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame, FRAME_HEADER_BYTES } from '../frame.js';
import { wireNowNs } from '../wire-time.js';
import { createEchoServer, type EchoServer } from './echo-server.js';
import { createSinkServer, type FlowSummary } from './sink-server.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
});

async function udpClient(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  open.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  return socket;
}

async function tcpClient(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((r) => socket.once('connect', r));
  open.push({ close: () => socket.destroy() });
  return socket;
}

const frame = (seq: number, payload = Buffer.alloc(32, seq), workloadId = 77, flowId = 3) =>
  encodeFrame({ workloadId, flowId, seq, sentNs: wireNowNs() }, payload);

describe.each(['worker', 'main'] as const)('sink server, sockets read in the %s thread', (thread) => {
  const threads = { tcp: thread, udp: thread };

  it('UDP: accounts order, duplicates, loss, corruption and one-way delay per flow', async () => {
    const sink = await createSinkServer({ threads });
    open.push(sink);
    sink.prepare(77, { originMs: performance.now() });
    const client = await udpClient();
    const badPayload = frame(4);
    badPayload[FRAME_HEADER_BYTES + 1]! ^= 1;
    const badHeader = frame(5);
    badHeader[13]! ^= 4;
    for (const datagram of [frame(0), frame(1), frame(1), frame(3), frame(2), badPayload, badHeader, frame(6)]) {
      client.send(datagram, sink.udp!.port, '127.0.0.1');
    }
    await vi.waitFor(() => expect(sink.peek(77)?.flows.get(3)?.sequence.counts(0).received).toBe(7));
    const flow = (await sink.collect(77))!.flows.get(3)!;
    expect(flow.sequence.counts(8)).toEqual({
      sent: 8,
      received: 7,
      receivedIntact: 5,
      lost: 1,
      duplicated: 1,
      reordered: 1,
      reorderDistanceMax: 1,
      corrupted: 2,
      unidentified: 1,
    });
    expect(flow.oneWayDelay.count).toBe(6);
    expect(flow.oneWayDelay.summarize().min).toBeGreaterThan(0);
    expect(flow.jitter.count).toBe(7);
    expect(flow.framesReceived).toBe(7);
    expect(sink.peek(77)).toBeUndefined();
  });

  it('UDP: a damaged datagram from an unknown sender is unattributed garbage', async () => {
    const sink = await createSinkServer({ tcp: false, threads });
    open.push(sink);
    const client = await udpClient();
    client.send(Buffer.from('not a frame'), sink.udp!.port, '127.0.0.1');
    await vi.waitFor(() => expect(sink.unattributedGarbageBytes).toBe(11));
  });

  it('TCP: re-frames the stream, counts garbage and a cut-off frame, and summarises on close', async () => {
    const summaries: FlowSummary[] = [];
    const sink = await createSinkServer({ udp: false, threads, onFlowSummary: (s) => summaries.push(s) });
    open.push(sink);
    const client = await tcpClient(sink.tcp!.port);
    const last = frame(2, Buffer.alloc(100));
    client.write(Buffer.concat([frame(0), Buffer.from('garbage!'), frame(1), last.subarray(0, 60)]));
    client.end();
    await vi.waitFor(() => expect(summaries).toHaveLength(1));
    expect(summaries[0]).toMatchObject({ protocol: 'tcp', workloadId: 77, flowId: 3, frames: 2, gaps: 0, corrupted: 1, garbageBytes: 8, partialBytes: 60 });
    const flow = (await sink.collect(77))!.flows.get(3)!;
    expect(flow.ended).toBe(true);
    expect(flow.bytesReceived).toBe(2 * (FRAME_HEADER_BYTES + 32) + 8 + 60);
    expect(flow.bytesIntact).toBe(2 * (FRAME_HEADER_BYTES + 32));
  });

  it('UDP flows are summarised once they go quiet', async () => {
    const summaries: FlowSummary[] = [];
    const sink = await createSinkServer({ tcp: false, threads, onFlowSummary: (s) => summaries.push(s), udpFlowIdleMs: 50 });
    open.push(sink);
    const client = await udpClient();
    for (const seq of [0, 2]) client.send(frame(seq), sink.udp!.port, '127.0.0.1');
    await vi.waitFor(() => expect(summaries).toHaveLength(1));
    expect(summaries[0]).toMatchObject({ protocol: 'udp', frames: 2, gaps: 1 });
  });

  it('close() frees the ports', async () => {
    const sink = await createSinkServer({ threads });
    const port = sink.tcp!.port;
    await sink.close();
    const socket = connect({ host: '127.0.0.1', port });
    const error = await new Promise<NodeJS.ErrnoException>((r) => socket.once('error', r));
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('a busy port is an ADDRESS_IN_USE error', async () => {
    const first = await createEchoServer({ udp: false });
    open.push(first);
    await expect(createSinkServer({ tcp: first.tcp!.port, udp: false, threads })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
  });
});

describe('echo server', () => {
  let echo: EchoServer;
  afterEach(async () => echo.close());

  it('echoes TCP bytes and UDP datagrams', async () => {
    echo = await createEchoServer();
    const tcp = await tcpClient(echo.tcp!.port);
    const got: Buffer[] = [];
    tcp.on('data', (chunk: Buffer) => got.push(chunk));
    tcp.write('hello ');
    tcp.end('world');
    await new Promise((r) => tcp.once('end', r));
    expect(Buffer.concat(got).toString()).toBe('hello world');

    const udp = await udpClient();
    const reply = new Promise<Buffer>((r) => udp.once('message', r));
    udp.send('ping', echo.udp!.port, '127.0.0.1');
    expect((await reply).toString()).toBe('ping');
  });
});
