/**
 * Small network tasks that the wire tests and the wire benchmark run *inside* a side's
 * namespace, in a worker thread started by `WireSide.startWorker` (which entered the namespace
 * before loading this module). Each task reports through `parentPort`:
 *
 *   { ready: { port } }   a server is listening
 *   { result: … }         the task finished (a client), or a server's answer to { report: true }
 *
 * Tasks (data.task):
 *   tcp-sink      accept connections, take everything, answer with bytes, sha256 (and the
 *                 socket's error, if any) at each end; `count`: bytes only, no hash
 *   tcp-reply     accept connections; for each request line "N\n" send N bytes back; answer
 *                 with the socket's error (if any) when a connection closes
 *   tcp-send      connect, send `bytes` of a fixed pattern, wait for the receiver to close;
 *                 result: sha256, TCP_INFO at that point, error, and elapsedMs from connected
 *                 to the receiver's close (the transfer alone: no start-up, no hashing)
 *   tcp-request   connect, send "N\n", wait up to `timeoutMs` for N bytes; result: got, error
 *   tcp-until-reset connect to a tcp-reply server and keep asking; result: the error code seen
 *   udp-sink      count datagrams by their sequence number (the first 4 bytes); answer on report
 *   udp-send      send `count` datagrams of `size` bytes numbered 0…, in bursts `intervalMs` apart
 *                 or paced at `ratePerSec`; each carries its send time (the addon's clock, ms) at byte 4
 *   udp-timed-sink like udp-sink, with the native socket's kernel receive times: answers with the
 *                 one-way delay of every datagram (kernel receive time − send time, ms)
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { parentPort } from 'node:worker_threads';
import { wireAddon, type TcpInfo } from './native.js';
import { socketTcpInfo } from './kernel-counters.js';

export type SideTask =
  /** `count: true`: count the bytes only, no hash (a benchmark's receiver must cost next to nothing). */
  | { task: 'tcp-sink'; host: string; count?: boolean }
  | { task: 'tcp-reply'; host: string }
  | { task: 'tcp-send'; host: string; port: number; bytes: number }
  | { task: 'tcp-request'; host: string; port: number; replyBytes: number; timeoutMs: number }
  | { task: 'tcp-until-reset'; host: string; port: number; timeoutMs: number }
  | { task: 'udp-sink'; host: string }
  | { task: 'udp-send'; host: string; port: number; count: number; size: number; burst: number; intervalMs: number; ratePerSec?: number }
  | { task: 'udp-timed-sink'; host: string };

const post = (message: unknown) => parentPort!.postMessage(message);

/** The bytes `tcp-send` sends: a fixed pattern, so the receiver's hash can be checked. */
export function patternBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 11)) & 0xff;
  return out;
}

export default async function run(task: SideTask): Promise<void> {
  switch (task.task) {
    case 'tcp-sink': {
      const server = createServer((socket) => {
        const hash = task.count ? undefined : createHash('sha256');
        let bytes = 0;
        socket.on('data', (chunk) => {
          bytes += chunk.length;
          hash?.update(chunk);
        });
        let error: string | undefined;
        socket.on('error', (e: NodeJS.ErrnoException) => {
          error = e.code ?? e.message;
        });
        socket.on('close', () => post({ result: { bytes, ...(hash ? { sha256: hash.digest('hex') } : {}), ...(error ? { error } : {}) } }));
      });
      server.listen(0, task.host, () => post({ ready: { port: (server.address() as { port: number }).port } }));
      return;
    }
    case 'tcp-reply': {
      const server = createServer((socket) => {
        let pending = '';
        socket.on('data', (chunk) => {
          pending += chunk.toString('latin1');
          for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
            socket.write(Buffer.alloc(Number(pending.slice(0, nl)), 0x61));
            pending = pending.slice(nl + 1);
          }
        });
        let error: string | undefined;
        socket.on('error', (e: NodeJS.ErrnoException) => {
          error = e.code ?? e.message;
        });
        socket.on('close', () => post({ result: { error } }));
      });
      server.listen(0, task.host, () => post({ ready: { port: (server.address() as { port: number }).port } }));
      return;
    }
    case 'tcp-send': {
      const data = patternBytes(task.bytes);
      // Half open: the connection stays readable for TCP_INFO once the receiver has closed.
      const socket = connect({ port: task.port, host: task.host, allowHalfOpen: true });
      let tcpInfo: TcpInfo | undefined;
      let connectedAt: number | undefined;
      let elapsedMs: number | undefined;
      const error = await new Promise<string | undefined>((resolve) => {
        socket.on('connect', () => {
          connectedAt = performance.now();
          socket.end(data);
        });
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        socket.resume();
        // The receiver closes once it has everything: every byte is acknowledged by then.
        socket.on('end', () => {
          elapsedMs = performance.now() - connectedAt!;
          tcpInfo = socketTcpInfo(wireAddon(), socket);
          resolve(undefined);
        });
      });
      socket.destroy();
      post({ result: { sha256: createHash('sha256').update(data).digest('hex'), error, tcpInfo, elapsedMs } });
      return;
    }
    case 'tcp-request': {
      const socket = connect(task.port, task.host);
      let got = 0;
      const error = await new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), task.timeoutMs);
        socket.on('connect', () => socket.write(`${task.replyBytes}\n`));
        socket.on('data', (chunk) => {
          got += chunk.length;
          if (got >= task.replyBytes) {
            clearTimeout(timer);
            resolve(undefined);
          }
        });
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      socket.destroy();
      post({ result: { got, error } });
      return;
    }
    case 'tcp-until-reset': {
      const socket: Socket = connect(task.port, task.host);
      const error = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), task.timeoutMs);
        let asking: NodeJS.Timeout | undefined;
        socket.on('connect', () => {
          asking = setInterval(() => socket.write('100\n'), 5);
        });
        socket.on('data', () => {});
        socket.on('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          clearInterval(asking);
          resolve(e.code ?? e.message);
        });
        socket.on('close', () => clearInterval(asking));
      });
      socket.destroy();
      post({ result: { error } });
      return;
    }
    case 'udp-sink': {
      const socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
      const counts = new Map<number, number>();
      socket.on('message', (msg) => counts.set(msg.readUInt32BE(0), (counts.get(msg.readUInt32BE(0)) ?? 0) + 1));
      parentPort!.on('message', (message: { report?: boolean }) => {
        if (message.report) post({ result: { counts: [...counts.entries()] } });
      });
      socket.bind(0, task.host, () => post({ ready: { port: socket.address().port } }));
      return;
    }
    case 'udp-send': {
      const socket = createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
      // A connected socket reports an ICMP port unreachable as an error on a later receive; a
      // datagram refused so is lost, as on a network, and must not crash the task's thread.
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.connect(task.port, task.host, resolve));
      const addon = wireAddon();
      const started = performance.now();
      for (let seq = 0; seq < task.count; ) {
        const due = task.ratePerSec ? Math.floor(((performance.now() - started) / 1000) * task.ratePerSec) : seq + task.burst;
        const end = Math.min(task.count, due, seq + Math.max(task.burst, 1));
        if (end > seq) {
          await new Promise<void>((resolve) => {
            for (; seq < end; seq++) {
              const datagram = Buffer.alloc(task.size, 0x5a);
              datagram.writeUInt32BE(seq, 0);
              if (task.size >= 12) datagram.writeDoubleBE(addon.monotonicMs(), 4);
              socket.send(datagram, seq === end - 1 ? () => resolve() : undefined);
            }
          });
        }
        if (task.intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, task.intervalMs));
        else if (end <= seq) await new Promise((resolve) => setImmediate(resolve));
      }
      socket.close();
      post({ result: { sent: task.count, elapsedMs: performance.now() - started } });
      return;
    }
    case 'udp-timed-sink': {
      const addon = wireAddon() as unknown as NativeUdpAddon;
      const socket = new addon.UdpSocket(4);
      const port = socket.bind(task.host, 0);
      socket.setBuffers(8 << 20, 1 << 20);
      const delays: number[] = [];
      socket.start(
        (data, lengths, count, _sources, received) => {
          for (let i = 0, at = 0; i < count; at += lengths[i]!, i++) delays.push(received[i]! - data.readDoubleBE(at + 4));
        },
        () => {},
        false,
      );
      parentPort!.on('message', (message: { report?: boolean }) => {
        if (message.report) post({ result: { delays } });
      });
      post({ ready: { port } });
      return;
    }
  }
}

/** The part of the native UDP socket (udp_batch.c) the timed sink uses: kernel receive times, ms. */
type OnBatch = (data: Buffer, lengths: Int32Array, count: number, sources: null, received: Float64Array) => void;
interface NativeUdpAddon {
  UdpSocket: new (family: 4) => { bind(ip: string, port: number): number; setBuffers(recv: number, send: number): unknown; start(onBatch: OnBatch, onError: () => void, sources: false): void };
}
