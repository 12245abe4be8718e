/**
 * The sink's sockets and frame verification: everything that touches every byte. It runs in the
 * sink's worker thread (sink-worker.ts) for the protocols the sink reads there, so that work does
 * not compete with a sender in the main thread, and in the main thread for the others.
 *
 *   TCP connection ──▶ FrameReader (re-framing, CRC32C of every payload) ──▶ tcpFrame records
 *   UDP datagram   ──▶ decodeDatagram (header and payload checksums)      ──▶ udpFrame records
 *
 * Arrival times are read here, when the bytes are handed over by the kernel (wire time, which is
 * one clock for every thread of the host), so the hop between threads adds nothing to a measured
 * delay. Accounting (sequence, delay histograms, series) stays with the main thread:
 * sink-server.ts.
 *
 * The UDP path is the hot one (tens of thousands of datagrams a second): the last sender's id is
 * cached, so a datagram costs its checksums and one record.
 */
import type dgram from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { HostPort } from '../../core/address.js';
import { formatHostPort } from '../../core/address.js';
import { classifyError } from '../classify-error.js';
import { decodeDatagram } from '../frame.js';
import { FrameReader } from '../frame-reader.js';
import { wireNowNs } from '../wire-time.js';
import { bindUdp, listenTcp } from './listen.js';
import { packLength, SinkEventKind as K, type SinkEventOutput, type SinkListenOptions } from './sink-events.js';

export class SinkSockets {
  tcp?: HostPort;
  udp?: HostPort;
  private server: Server | undefined;
  private udpSocket: dgram.Socket | undefined;
  private readonly connections = new Set<Socket>();
  private nextConnection = 1;
  private readonly remoteIds = new Map<string, number>();
  private lastAddress = '';
  private lastPort = -1;
  private lastRemote = 0;
  private closed = false;

  constructor(private readonly out: SinkEventOutput) {}

  async listen(options: SinkListenOptions): Promise<void> {
    if (options.tcp !== false) {
      this.server = createServer({ noDelay: true }, (socket) => this.acceptTcp(socket));
      this.tcp = await listenTcp(this.server, options.host, options.tcp, 'sink server (tcp)', options.fds?.tcp);
    }
    if (options.udp !== false) {
      const bound = await bindUdp(options.host, options.udp, 'sink server (udp)', options.fds?.udp);
      this.udpSocket = bound.socket;
      this.udp = bound.address;
      this.udpSocket.on('error', () => {});
      this.udpSocket.on('message', (message, remote) => this.datagram(message, remote));
    }
  }

  /** Closes every socket; each open connection reports its close first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending: Array<Promise<void>> = [];
    for (const socket of this.connections) pending.push(new Promise((resolve) => socket.once('close', () => resolve())));
    for (const socket of this.connections) socket.destroy();
    const server = this.server;
    if (server?.listening) pending.push(new Promise((resolve) => server.close(() => resolve())));
    const udp = this.udpSocket;
    this.udpSocket = undefined;
    if (udp) pending.push(new Promise((resolve) => udp.close(() => resolve())));
    await Promise.all(pending);
  }

  private acceptTcp(socket: Socket): void {
    const out = this.out;
    const id = this.nextConnection++;
    this.connections.add(socket);
    out.write(K.tcpOpen, id, out.string(formatHostPort({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 })));
    let arrivalNs = 0;
    const reader = new FrameReader({
      onFrame: ({ header, intact }) =>
        out.write(K.tcpFrame, id, header.workloadId, header.flowId, header.seq, header.sentNs, packLength(header.payloadLength, intact), arrivalNs),
      onGarbage: (bytes) => out.write(K.tcpGarbage, id, bytes),
    });
    socket.on('data', (chunk: Buffer) => {
      // Every frame completed by this read() arrived now.
      arrivalNs = wireNowNs();
      out.write(K.tcpBytes, id, chunk.length, arrivalNs);
      reader.push(chunk);
    });
    socket.on('error', (error) => {
      const { code } = classifyError(error);
      out.write(K.tcpError, id, out.string(code), out.string(error.message), wireNowNs());
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      out.write(K.tcpEnd, id, reader.end().partialBytes);
    };
    // 'end' runs before Node answers the peer's FIN with ours (allowHalfOpen is off).
    socket.on('end', end);
    socket.on('close', () => {
      this.connections.delete(socket);
      end();
      out.write(K.tcpClose, id);
    });
  }

  private datagram(message: Buffer, remote: dgram.RemoteInfo): void {
    const arrivalNs = wireNowNs();
    const remoteId = this.remoteId(remote.address, remote.port);
    const decoded = decodeDatagram(message);
    if (!decoded.ok) {
      this.out.write(K.udpUnidentified, remoteId, message.length, arrivalNs);
      return;
    }
    const { header } = decoded;
    this.out.write(K.udpFrame, remoteId, header.workloadId, header.flowId, header.seq, header.sentNs, packLength(header.payloadLength, decoded.intact), arrivalNs);
  }

  /** A small number per sender address; the main thread learns each one once (udpRemote). */
  private remoteId(address: string, port: number): number {
    if (address === this.lastAddress && port === this.lastPort) return this.lastRemote;
    const key = `${address}|${port}`;
    let id = this.remoteIds.get(key);
    if (id === undefined) {
      id = this.remoteIds.size + 1;
      this.remoteIds.set(key, id);
      this.out.write(K.udpRemote, id, this.out.string(address), port);
    }
    this.lastAddress = address;
    this.lastPort = port;
    this.lastRemote = id;
    return id;
  }
}
