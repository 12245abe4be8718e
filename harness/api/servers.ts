/**
 * The built-in servers, for tests that want a known peer without writing one: an echo server
 * (TCP echoes every byte, UDP every datagram) and the sink, which reads and checks every framed
 * message the stream workloads send (order, checksums, duplicates, one-way delay) and answers
 * nothing. Both serve TCP and UDP on free ports of 127.0.0.1 (or `host`).
 */
import { formatHostPort } from '../core/address.js';
import { createEchoServer } from '../workload/servers/echo-server.js';
import { createSinkServer, type SinkServer } from '../workload/servers/sink-server.js';

export interface BuiltinServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
}

export interface BuiltinServer extends AsyncDisposable {
  /** `host:port` of its TCP listener: a proxy's `upstream`, or a workload's `to`. */
  readonly tcp: string;
  /** `host:port` of its UDP socket. */
  readonly udp: string;
  /** Closes its sockets and every connection. Idempotent; `await using` calls it. */
  close(): Promise<void>;
}

/** The sinks behind the servers startSinkServer returned: what `measure` collects a stream workload's receiving side from. */
const sinks = new WeakMap<BuiltinServer, SinkServer>();

export async function startEchoServer(options: BuiltinServerOptions = {}): Promise<BuiltinServer> {
  return serverOf(await createEchoServer(options.host === undefined ? {} : { host: options.host }));
}

export async function startSinkServer(options: BuiltinServerOptions = {}): Promise<BuiltinServer> {
  const sink = await createSinkServer(options.host === undefined ? {} : { host: options.host });
  const server = serverOf(sink);
  sinks.set(server, sink);
  return server;
}

/** The sink inside a server from startSinkServer; undefined for any other. */
export function sinkOf(server: BuiltinServer): SinkServer | undefined {
  return sinks.get(server);
}

function serverOf(server: { tcp?: { host: string; port: number }; udp?: { host: string; port: number }; close(): Promise<void> }): BuiltinServer {
  if (!server.tcp || !server.udp) throw new Error('a built-in server started without both of its listeners');
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= server.close());
  return { tcp: formatHostPort(server.tcp), udp: formatHostPort(server.udp), close, [Symbol.asyncDispose]: close };
}
