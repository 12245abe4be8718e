/**
 * Where one end of a path lives. Without one, sockets and processes live where faultline runs
 * (the process's own network namespace); on a wire path (docs/wire.md) each end is a network
 * namespace of its own: the client side holds the workloads' sockets, the target side the target.
 *
 *   workloads ──openSocket──▶ client side ══ wire path (packet faults) ══▶ target side ◀── targets
 *                                                                          (spawn, openSocket)
 *
 * A place opens sockets and starts programs there, and the rest of faultline uses them as it
 * always does: a socket belongs to the namespace it was created in, whichever thread then reads
 * it, so the workloads keep running on the event loop they always ran on and measure exactly as
 * before. workload/, target/ and scenario/ take a place without knowing the wire layer, which
 * their layers may not import; the wire layer implements it.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Protocol } from './spec.js';

/** A socket a place opened: its descriptor, and the port it is bound to (0 when unbound). */
export interface OpenedSocket {
  fd: number;
  port: number;
}

export interface NetworkPlace {
  /** For messages: `the target side of wire path "lossy" (fl-k2x9q1-0-t)`. */
  readonly description: string;
  /** This end's IPv4 address on the path. */
  readonly address: string;
  /**
   * A new socket in this place, for `new net.Socket({ fd })`, `server.listen({ fd })` or a dgram
   * socket's `bind({ fd })` — which then own it. Bound to `bind` (port 0: a free one) when given.
   * Throws the system error (EADDRINUSE, …) as `bind` would.
   */
  openSocket(protocol: Protocol, bind?: { host: string; port: number }): OpenedSocket;
  /** Starts a program in this place, as `child_process.spawn` would with these options. */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess;
  /** `/proc/net/<name>` as seen from inside this place: the kernel's counters of its own traffic. */
  readProcNet(name: 'snmp' | 'netstat' | 'dev'): string;
  /** The kernel's TCP_INFO of a connected TCP socket's descriptor; undefined where unavailable. */
  tcpInfo(fd: number): Record<string, number> | undefined;
}

/** The two ends of a path whose faults act between two places of its own. */
export interface PathEnds {
  /** The workloads' sockets. */
  client: NetworkPlace;
  /** The target: a command, or a built-in server's sockets. */
  target: NetworkPlace;
}
