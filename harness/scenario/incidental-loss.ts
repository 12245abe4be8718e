/**
 * Loss the proxy did not cause: a UDP workload's lost datagrams minus every drop the ledger of
 * its proxy recorded (core/ledger.ts DROP_COUNTERS). What remains went missing elsewhere — a
 * kernel socket buffer, a receiver that fell behind — and the report says so instead of blaming a
 * fault. Attributable only when the workload is its proxy's only user; it is added to the
 * workload's metrics as `incidental_lost_total`.
 *
 * A wire path counts its drops per transport, so there the workload need only be the path's only
 * UDP user (TCP may share it), and a packet the engine corrupted counts as dropped: the receiving
 * kernel's checksum discards it.
 */
import { DROP_COUNTERS, droppedTotal, LedgerCounter, type ProxyLedger } from '../core/ledger.js';
import type { PathResult, WorkloadResult } from '../core/result.js';

export function addIncidentalLoss(workloads: readonly WorkloadResult[], ledgers: readonly ProxyLedger[], paths: readonly PathResult[] = []): void {
  for (const workload of workloads) {
    if (workload.protocol !== 'udp' || !workload.proxy) continue;
    const path = paths.find((p) => p.proxy === workload.proxy);
    const sharing = workloads.filter((w) => w.proxy === workload.proxy && (path === undefined || w.protocol === 'udp'));
    if (sharing.length > 1) continue;
    const ledger = ledgers.find((l) => l.proxy === workload.proxy);
    const lost = workload.metrics.find((m) => m.name === 'messages_lost_total')?.value;
    if (!ledger || lost === undefined) continue;
    const incidental = Math.max(0, lost - (path ? udpDrops(path) : droppedTotal(ledger)));
    workload.metrics.push({ name: 'incidental_lost_total', value: incidental });
    workload.harness = { ...workload.harness, incidentalLoss: incidental };
  }
}

/** UDP packets a wire path's engine dropped, or corrupted for the receiver to drop, both ways. */
function udpDrops(path: PathResult): number {
  let drops = 0;
  for (const counters of Object.values(path.protocols.udp ?? {})) {
    for (const name of [...DROP_COUNTERS, LedgerCounter.corrupted]) drops += counters[name] ?? 0;
  }
  return drops;
}
