/**
 * The kernel's UDP counters from `/proc/net/snmp` (Linux). When a receive buffer overflows the
 * kernel drops the datagram and counts it in `RcvbufErrors` (and `InErrors`); no application
 * counter moves. Reading the counters before and after a workload tells incidental loss (the
 * harness's receiver fell behind) from loss a fault injected.
 *
 * The counters are host-wide: other UDP traffic on the machine during the workload shows up too.
 */
import { readFileSync } from 'node:fs';
import { parseProcNetCounters } from '../core/proc-net-counters.js';

/** The counters kept, in `/proc/net/snmp`'s spelling. */
export const KERNEL_UDP_COUNTERS = ['InDatagrams', 'NoPorts', 'InErrors', 'OutDatagrams', 'RcvbufErrors', 'SndbufErrors'] as const;

export type KernelUdpCounters = Record<string, number>;

/**
 * Parses the first `Udp:` header and value lines of `/proc/net/snmp` text (wherever they stand,
 * whatever the other lines are); undefined when absent.
 */
export function parseSnmpUdp(text: string): KernelUdpCounters | undefined {
  const udpLines = text.split('\n').filter((line) => line.startsWith('Udp:')).slice(0, 2);
  const udp = parseProcNetCounters(udpLines.join('\n')).Udp ?? {};
  const counters: KernelUdpCounters = {};
  for (const key of KERNEL_UDP_COUNTERS) if (udp[key] !== undefined) counters[key] = udp[key];
  return Object.keys(counters).length > 0 ? counters : undefined;
}

/** Reads the counters now; undefined on systems without `/proc/net/snmp` (non-Linux). */
export function readKernelUdpCounters(path = '/proc/net/snmp'): KernelUdpCounters | undefined {
  try {
    return parseSnmpUdp(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `after − before` for every counter both snapshots have; undefined if either is missing. */
export function diffKernelUdpCounters(
  before: KernelUdpCounters | undefined,
  after: KernelUdpCounters | undefined,
): KernelUdpCounters | undefined {
  if (before === undefined || after === undefined) return undefined;
  const delta: KernelUdpCounters = {};
  for (const key of KERNEL_UDP_COUNTERS) {
    if (before[key] !== undefined && after[key] !== undefined) delta[key] = after[key]! - before[key]!;
  }
  return delta;
}
