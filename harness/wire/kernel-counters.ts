/**
 * The kernel's own view of a wire path, read from inside each namespace: what real TCP and UDP
 * did about the engine's faults. A namespace has its own counters, so unlike the host-wide
 * `/proc/net/snmp` that the UDP workloads read (metrics/kernel-udp-counters.ts), these count only
 * the path's traffic.
 *
 *   /proc/net/snmp     Tcp: RetransSegs, OutSegs, InErrs, InCsumErrors…   Udp: InErrors, InCsumErrors, RcvbufErrors…
 *   /proc/net/netstat  TcpExt: TCPTimeouts (RTOs), TCPFastRetrans, TCPSackRecovery, TCPLostRetransmit…
 *   /proc/net/dev      per device: the TUN's tx_dropped (packets the kernel dropped before the engine read them)
 *
 * snmp and netstat are parsed by core/proc-net-counters.ts, as the UDP workloads' are.
 */
import type { Socket } from 'node:net';
import { parseProcNetCounters, type KernelCounters } from '../core/proc-net-counters.js';
import { socketFd } from '../core/socket-fd.js';
import type { TcpInfo, WireAddon } from './native.js';

/** One device's line of /proc/net/dev: receive and transmit counters. */
export interface DeviceCounters {
  rxPackets: number;
  rxDropped: number;
  txPackets: number;
  txDropped: number;
}

export function parseProcNetDev(text: string, device: string): DeviceCounters | undefined {
  for (const line of text.split('\n')) {
    const [name, rest] = line.split(':');
    if (name?.trim() !== device || rest === undefined) continue;
    const f = rest.trim().split(/\s+/).map(Number);
    return { rxPackets: f[1]!, rxDropped: f[3]!, txPackets: f[9]!, txDropped: f[11]! };
  }
  return undefined;
}

/** snmp and netstat of the namespace behind `nsFd`, read from a thread inside it. */
export function readKernelCounters(addon: WireAddon, nsFd: number): KernelCounters {
  return parseProcNetCounters(addon.readNetFile(nsFd, 'netstat'), parseProcNetCounters(addon.readNetFile(nsFd, 'snmp')));
}

/** `after − before` for every counter in both. */
export function diffKernelCounters(before: KernelCounters, after: KernelCounters): KernelCounters {
  const delta: KernelCounters = {};
  for (const [section, counters] of Object.entries(after)) {
    const base = before[section] ?? {};
    delta[section] = {};
    for (const [name, value] of Object.entries(counters)) delta[section]![name] = value - (base[name] ?? 0);
  }
  return delta;
}

/**
 * The headline figures of a path's kernel counters, for reports and assertions: TCP
 * retransmissions and how they were detected, and UDP's receive errors.
 */
export function summarizeKernelCounters(c: KernelCounters): Record<string, number> {
  const tcp = c.Tcp ?? {};
  const ext = c.TcpExt ?? {};
  const udp = c.Udp ?? {};
  return {
    tcp_out_segments: tcp.OutSegs ?? 0,
    tcp_retransmits: tcp.RetransSegs ?? 0,
    tcp_rto: ext.TCPTimeouts ?? 0,
    tcp_fast_retransmits: ext.TCPFastRetrans ?? 0,
    tcp_sack_recoveries: ext.TCPSackRecovery ?? 0,
    // Linux keeps no count of duplicate ACKs as such; D-SACKs received tell how many
    // retransmissions the receiver already had (spurious ones).
    tcp_dsacks_received: (ext.TCPDSACKRecv ?? 0) + (ext.TCPDSACKOfoRecv ?? 0),
    tcp_in_checksum_errors: tcp.InCsumErrors ?? 0,
    udp_in_errors: udp.InErrors ?? 0,
    udp_in_checksum_errors: udp.InCsumErrors ?? 0,
    udp_receive_buffer_errors: udp.RcvbufErrors ?? 0,
  };
}

/** TCP_INFO of a connected node:net socket (the kernel's rtt, rttvar, retransmits, cwnd…). */
export function socketTcpInfo(addon: WireAddon, socket: Socket): TcpInfo | undefined {
  const fd = socketFd(socket);
  return fd === undefined ? undefined : addon.tcpInfo(fd);
}
