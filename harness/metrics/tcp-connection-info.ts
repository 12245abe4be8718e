/**
 * A TCP connection's end as its kernel saw it: the raw TCP_INFO fields (the wire layer's
 * `tcpInfo`, µs where the kernel keeps µs) turned into a result's TcpConnectionInfo, and the
 * connections of a workload summed into its metrics:
 *
 *   tcp_segments_sent_total Σ data segments sent, retransmissions included (tcpi_data_segs_out)
 *   tcp_retransmits_total  Σ retransmitted segments (tcpi_total_retrans)
 *   tcp_rto_total          Σ retransmission timeouts (tcpi_total_rto, Linux ≥ 6.7; absent before)
 *   tcp_retransmit_ratio   Σ retransmitted / Σ data segments sent (retransmissions included):
 *                          the share of the sender's transmissions that were repeats, which under
 *                          independent loss p of data segments is p itself
 */
import type { MetricValue, TcpConnectionInfo } from '../core/result.js';

/** From TCP_INFO as the addon returns it; undefined when the kernel gave no RTT (never connected). */
export function tcpConnectionInfo(connection: string, info: Record<string, number> | undefined): TcpConnectionInfo | undefined {
  if (info === undefined || info.rttUs === undefined) return undefined;
  const result: TcpConnectionInfo = {
    connection,
    rttMs: info.rttUs / 1000,
    rttVarMs: (info.rttvarUs ?? 0) / 1000,
    cwnd: info.sndCwnd ?? 0,
    dataSegmentsOut: info.dataSegsOut ?? 0,
    retransmits: info.totalRetrans ?? 0,
  };
  // The kernel reports ~0u when it has no sample yet.
  if (info.minRttUs !== undefined && info.minRttUs < 0xffffffff) result.minRttMs = info.minRttUs / 1000;
  if (info.totalRto !== undefined) result.rtos = info.totalRto;
  return result;
}

/** The workload's TCP kernel metrics over its connections (none without connections). */
export function tcpKernelMetrics(connections: readonly TcpConnectionInfo[]): MetricValue[] {
  if (connections.length === 0) return [];
  let retransmits = 0;
  let segments = 0;
  let rtos = 0;
  let rtosKnown = true;
  for (const c of connections) {
    retransmits += c.retransmits;
    segments += c.dataSegmentsOut;
    if (c.rtos === undefined) rtosKnown = false;
    else rtos += c.rtos;
  }
  const metrics: MetricValue[] = [
    { name: 'tcp_segments_sent_total', value: segments },
    { name: 'tcp_retransmits_total', value: retransmits },
  ];
  if (rtosKnown) metrics.push({ name: 'tcp_rto_total', value: rtos });
  if (segments > 0) metrics.push({ name: 'tcp_retransmit_ratio', value: retransmits / segments });
  return metrics;
}
