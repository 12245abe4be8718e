/**
 * The "Wire paths" part of a scenario in index.html: for each wire path (docs/wire.md) where its
 * two ends lived, what the kernels on both sides counted, what the fault engine did per
 * transport, the TCP connections' TCP_INFO, the pcap files, and a time–sequence graph of a TCP
 * flow chosen from a list (the busiest and most faulted first).
 *
 *   path ─┬─ kernel counters: client side | target side
 *         ├─ engine per transport: tcp/udp/other × upstream/downstream
 *         ├─ TCP connections (each workload's, from TCP_INFO as it closed)
 *         ├─ captures: the pcap files beside the report, by name
 *         └─ time–sequence: <select> of flows ─▶ one chart per flow, the chosen one shown
 */
import type { PathResult, ScenarioResult } from '../core/result.js';
import { tcpTraceCharts, type ChartSpec } from './chart-data.js';
import { escapeHtml as esc } from './escape.js';
import { formatMs, formatNumber } from './format.js';

/** Kernel counters in the order a reader looks for them (summarizeKernelCounters' names). */
const KERNEL_ROWS: ReadonlyArray<[string, string]> = [
  ['tcp_out_segments', 'TCP segments sent'],
  ['tcp_retransmits', 'TCP segments retransmitted'],
  ['tcp_fast_retransmits', 'fast retransmits'],
  ['tcp_sack_recoveries', 'SACK recoveries'],
  ['tcp_rto', 'retransmission timeouts (RTO)'],
  ['tcp_dsacks_received', 'D-SACKs received (spurious retransmissions)'],
  ['tcp_in_checksum_errors', 'TCP checksum errors'],
  ['udp_in_errors', 'UDP receive errors'],
  ['udp_in_checksum_errors', 'UDP checksum errors'],
  ['udp_receive_buffer_errors', 'UDP receive buffer overflows'],
];

/** The section, or '' for a scenario without wire paths. `addChart` registers a chart and returns its id. */
export function wirePathsBlock(s: ScenarioResult, addChart: (spec: ChartSpec) => string): string {
  if (!s.paths || s.paths.length === 0) return '';
  const parts = [
    '<h3>Wire paths</h3>',
    '<p class="muted">Packet-level faults between two network namespaces: the kernels on both sides are real, so dropped TCP segments were retransmitted by them, and these are their own counts.</p>',
  ];
  for (const path of s.paths) parts.push(pathBlock(s, path, addChart));
  return parts.join('\n');
}

function pathBlock(s: ScenarioResult, path: PathResult, addChart: (spec: ChartSpec) => string): string {
  const parts = [
    `<h4>${esc(path.proxy)} <span class="muted">(client ${esc(path.addresses.client)} in <code>${esc(path.namespaces.client)}</code> ⇄ target ${esc(path.addresses.target)} in <code>${esc(path.namespaces.target)}</code>, MTU ${path.mtu})</span></h4>`,
  ];
  const kernelRows = KERNEL_ROWS.filter(([key]) => (path.kernel.client[key] ?? 0) !== 0 || (path.kernel.target[key] ?? 0) !== 0).map(
    ([key, label]) =>
      `<tr><th scope="row">${esc(label)} <code class="muted">${esc(key)}</code></th><td class="num">${formatNumber(path.kernel.client[key] ?? 0)}</td><td class="num">${formatNumber(path.kernel.target[key] ?? 0)}</td></tr>`,
  );
  if (kernelRows.length > 0) {
    parts.push(`<table><caption>The kernels' own counters</caption><thead><tr><th scope="col">Counter</th><th scope="col" class="num">client side</th><th scope="col" class="num">target side</th></tr></thead><tbody>${kernelRows.join('')}</tbody></table>`);
  }
  const drops = path.deviceDrops.client + path.deviceDrops.target;
  if (drops > 0) parts.push(`<p>The TUN devices dropped ${formatNumber(drops)} packets before the engine read them (client ${formatNumber(path.deviceDrops.client)}, target ${formatNumber(path.deviceDrops.target)}): loss the ledger does not show.</p>`);
  parts.push(protocolTable(path));
  parts.push(connectionsTable(s, path));
  if (path.capture) {
    const scope = path.capture.scope === 'all' ? 'every packet of the scenario' : 'the most recent packets, kept because the scenario did not pass';
    // Named, not linked: the page references nothing outside itself.
    parts.push(`<p>Capture (${scope}; <code>tcpdump -r</code> and Wireshark read it), beside this report: packets that entered the engine <code>${esc(path.capture.entered)}</code>, packets that left it <code>${esc(path.capture.left)}</code>.</p>`);
  }
  parts.push(traceBlock(s, path, addChart));
  return parts.filter(Boolean).join('\n');
}

function protocolTable(path: PathResult): string {
  const rows: string[] = [];
  for (const [protocol, directions] of Object.entries(path.protocols)) {
    for (const direction of ['upstream', 'downstream'] as const) {
      const counters = directions[direction] ?? {};
      if (!counters.seen && !counters.injected) continue;
      const actions = Object.entries(counters)
        .filter(([name]) => !['seen', 'forwarded', 'bytes_seen', 'bytes_forwarded'].includes(name))
        .map(([name, value]) => `${name} ${formatNumber(value)}`)
        .join(', ');
      rows.push(
        `<tr><th scope="row">${esc(protocol.toUpperCase())} ${direction}</th><td class="num">${formatNumber(counters.seen ?? 0)}</td><td class="num">${formatNumber(counters.forwarded ?? 0)}</td><td>${esc(actions)}</td></tr>`,
      );
    }
  }
  if (rows.length === 0) return '';
  return `<table><caption>The fault engine, per transport</caption><thead><tr><th scope="col">Packets</th><th scope="col" class="num">seen</th><th scope="col" class="num">forwarded</th><th scope="col">what the faults did</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function connectionsTable(s: ScenarioResult, path: PathResult): string {
  const rows: string[] = [];
  for (const w of s.workloads) {
    if (w.proxy !== path.proxy) continue;
    for (const c of w.tcpConnections ?? []) {
      rows.push(
        `<tr><td>${esc(w.name)}</td><td><code>${esc(c.connection)}</code></td><td class="num">${esc(formatMs(c.rttMs))}</td><td class="num">${esc(formatMs(c.rttVarMs))}</td><td class="num">${c.minRttMs === undefined ? '—' : esc(formatMs(c.minRttMs))}</td><td class="num">${formatNumber(c.cwnd)}</td><td class="num">${formatNumber(c.dataSegmentsOut)}</td><td class="num">${formatNumber(c.retransmits)}</td><td class="num">${c.rtos === undefined ? '—' : formatNumber(c.rtos)}</td></tr>`,
      );
    }
  }
  if (rows.length === 0) return '';
  return `<table><caption>TCP connections as their senders' kernels saw them at the end (TCP_INFO)</caption><thead><tr><th scope="col">Workload</th><th scope="col">Connection</th><th scope="col" class="num">RTT</th><th scope="col" class="num">RTT var</th><th scope="col" class="num">min RTT</th><th scope="col" class="num">cwnd</th><th scope="col" class="num">data segments</th><th scope="col" class="num">retransmitted</th><th scope="col" class="num">RTOs</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A select of the traced flows and one chart per flow, all but the chosen one hidden. */
function traceBlock(s: ScenarioResult, path: PathResult, addChart: (spec: ChartSpec) => string): string {
  const charts = tcpTraceCharts(s, path);
  if (charts.length === 0) return '';
  const traces = path.tcpTraces!;
  const ids = charts.map(addChart);
  const options = traces.map(
    (t, i) => `<option value="${ids[i]}">${esc(t.flow)} (${t.direction}): ${formatNumber(t.segments)} segments, ${formatNumber(t.retransmits)} retransmitted, ${formatNumber(t.drops)} dropped</option>`,
  );
  const notes = traces.map((t) => {
    const parts: string[] = [];
    if (t.thinned) parts.push(`regular segments thinned to fit (${formatNumber(t.thinned.from)} points in all); retransmissions and drops all shown`);
    if (t.partial) parts.push('the capture began after this connection did: sequence numbers count from the first segment it holds');
    return parts.join('; ');
  });
  const panels = ids.map(
    (id, i) => `<div class="trace" data-trace-panel="${id}"${i === 0 ? '' : ' hidden'}><div class="chart" data-chart="${id}" role="img" aria-label="Time–sequence graph of TCP flow ${esc(traces[i]!.flow)}"></div>${notes[i] ? `<p class="muted">${esc(notes[i]!)}</p>` : ''}</div>`,
  );
  return `<figure class="tcptrace">
<figcaption>Time–sequence graph: the sequence number of each data segment as it entered the fault engine (relative to the flow's first byte), over seconds since the scenario start. A retransmission is a segment below the highest one already sent; drops and forged resets are the engine's.</figcaption>
<label>TCP flow <select data-trace-select>${options.join('')}</select></label>
${panels.join('\n')}
</figure>`;
}
