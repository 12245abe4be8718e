/**
 * Loss the proxy did not cause: a UDP workload's lost datagrams minus every drop the ledger of
 * its proxy recorded (core/ledger.ts DROP_COUNTERS). What remains went missing elsewhere — a
 * kernel socket buffer, a receiver that fell behind — and the report says so instead of blaming a
 * fault. Attributable only when the workload is its proxy's only user; it is added to the
 * workload's metrics as `incidental_lost_total`.
 */
import { droppedTotal, type ProxyLedger } from '../core/ledger.js';
import type { WorkloadResult } from '../core/result.js';

export function addIncidentalLoss(workloads: readonly WorkloadResult[], ledgers: readonly ProxyLedger[]): void {
  for (const workload of workloads) {
    if (workload.protocol !== 'udp' || !workload.proxy) continue;
    if (workloads.filter((w) => w.proxy === workload.proxy).length > 1) continue;
    const ledger = ledgers.find((l) => l.proxy === workload.proxy);
    const lost = workload.metrics.find((m) => m.name === 'messages_lost_total')?.value;
    if (!ledger || lost === undefined) continue;
    const incidental = Math.max(0, lost - droppedTotal(ledger));
    workload.metrics.push({ name: 'incidental_lost_total', value: incidental });
    workload.harness = { ...workload.harness, incidentalLoss: incidental };
  }
}
