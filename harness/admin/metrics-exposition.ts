/**
 * `/metrics` in the Prometheus text exposition format 0.0.4, built from the proxies' ledgers.
 *
 *   ProxyState + ProxyLedger ──▶ families (name, help, type, samples) ──▶ text
 *
 * Families (labels in braces; every family also carries `proxy` and `protocol`):
 *   faultline_proxy_enabled, faultline_proxy_toxics                              gauges
 *   faultline_proxy_connections_open / _total, faultline_proxy_upstream_refused_total   TCP
 *   faultline_proxy_sessions_open / _total / _expired_total                     UDP
 *   faultline_proxy_bytes_total{direction,outcome}        outcome: received, forwarded, …
 *   faultline_proxy_datagrams_total{direction,outcome}    UDP; outcome: received, forwarded, dropped_loss, …
 *   faultline_proxy_chunks_total{direction,outcome}       TCP reads; same outcomes
 *   faultline_toxic_<counter>_total{toxic,type,stream}    one family per ledger counter
 *   toxiproxy_proxy_received_bytes_total / _sent_bytes_total{direction,listener,proxy,upstream}
 *                                                         Toxiproxy's names, for existing dashboards
 *
 * `received` counts what entered the proxy; the other outcomes say what happened to it, so they
 * overlap (a duplicated datagram is also forwarded twice) and must not be summed together.
 */
import type { Counters, ProxyLedger } from '../core/ledger.js';
import type { ProxyState } from '../core/spec.js';

/** The Content-Type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsSource {
  state: ProxyState;
  /** Absent when the backend keeps no ledger: only the state-derived gauges are written. */
  ledger?: ProxyLedger;
}

type MetricType = 'counter' | 'gauge';
type Labels = Record<string, string>;

interface Family {
  help: string;
  type: MetricType;
  samples: string[];
}

/** HELP text for the ledger counters faultline knows; unknown counters get a generic one. */
const COUNTER_HELP: Record<string, string> = {
  seen: 'Datagrams (UDP) or chunks (TCP) that entered',
  forwarded: 'Datagrams (UDP) or chunks (TCP) passed on',
  bytes_seen: 'Bytes that entered',
  bytes_forwarded: 'Bytes passed on',
  dropped_down: 'Dropped because the proxy was disabled',
  dropped_loss: 'Dropped by a loss toxic',
  dropped_queue: 'Dropped because a bandwidth queue was full',
  dropped_blackhole: 'Dropped by a timeout (blackhole) toxic',
  dropped_limit: 'Dropped after a data limit was reached',
  duplicated: 'Extra copies emitted',
  reordered: 'Delivered out of order on purpose',
  corrupted: 'Altered on purpose',
  delayed: 'Held back before delivery',
  retransmits: 'Segments held back by an emulated retransmission timeout',
  activations: 'Times the toxic was active (per connection for TCP, per datagram for UDP)',
  resets: 'Connections reset by the toxic',
  closes: 'Connections closed by the toxic',
};

export function renderMetrics(sources: readonly MetricsSource[], version: string): string {
  const families = new Map<string, Family>();
  const add = (name: string, type: MetricType, help: string, labels: Labels, value: number) => {
    let family = families.get(name);
    if (!family) {
      family = { help, type, samples: [] };
      families.set(name, family);
    }
    family.samples.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  };

  add('faultline_build_info', 'gauge', 'faultline version, always 1', { version }, 1);
  for (const { state, ledger } of sources) {
    const base = { proxy: state.name, protocol: state.protocol };
    add('faultline_proxy_enabled', 'gauge', 'Whether the proxy is enabled (1) or down (0)', base, state.enabled ? 1 : 0);
    add('faultline_proxy_toxics', 'gauge', 'Toxics currently on the proxy', base, state.toxics.length);
    if (!ledger) continue;
    const c = ledger.counters;
    if (state.protocol === 'tcp') {
      add('faultline_proxy_connections_open', 'gauge', 'Client connections open now', base, c.connections_open ?? 0);
      add('faultline_proxy_connections_total', 'counter', 'Client connections accepted', base, c.connections_accepted ?? 0);
      add(
        'faultline_proxy_upstream_refused_total',
        'counter',
        'Connections whose upstream refused or was unreachable (the client was closed)',
        base,
        c.upstream_refused ?? 0,
      );
    } else {
      add('faultline_proxy_sessions_open', 'gauge', 'UDP client sessions open now', base, c.sessions_open ?? 0);
      add('faultline_proxy_sessions_total', 'counter', 'UDP client sessions created', base, c.sessions_created ?? 0);
      add('faultline_proxy_sessions_expired_total', 'counter', 'UDP client sessions dropped after idling', base, c.sessions_expired ?? 0);
    }
    for (const direction of ['upstream', 'downstream'] as const) {
      const d = ledger.directions[direction] ?? {};
      const labels = { ...base, direction };
      directionSamples(d, state.protocol === 'udp' ? 'datagrams' : 'chunks', labels, add);
      const toxiproxyLabels = { direction, listener: state.listen, proxy: state.name, upstream: state.upstream };
      add(
        'toxiproxy_proxy_received_bytes_total',
        'counter',
        'Bytes received by the proxy (Toxiproxy-compatible name)',
        toxiproxyLabels,
        d.bytes_seen ?? 0,
      );
      add('toxiproxy_proxy_sent_bytes_total', 'counter', 'Bytes sent by the proxy (Toxiproxy-compatible name)', toxiproxyLabels, d.bytes_forwarded ?? 0);
    }
    for (const toxic of ledger.toxics) {
      const labels = { ...base, toxic: toxic.name, type: toxic.type, stream: toxic.stream };
      for (const [counter, value] of Object.entries(toxic.counters)) {
        const name = `faultline_toxic_${metricNamePart(counter)}${counter.endsWith('_total') ? '' : '_total'}`;
        add(name, 'counter', `${COUNTER_HELP[counter] ?? `Ledger counter "${counter}"`}, per toxic`, labels, value);
      }
    }
  }

  const lines: string[] = [];
  for (const [name, family] of families) {
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`, ...family.samples);
  }
  return `${lines.join('\n')}\n`;
}

/** Direction counters: `bytes_*` into the bytes family, everything else into datagrams/chunks. */
function directionSamples(
  counters: Counters,
  unit: 'datagrams' | 'chunks',
  labels: Labels,
  add: (name: string, type: MetricType, help: string, labels: Labels, value: number) => void,
): void {
  const outcome = (counter: string) => (counter === 'seen' ? 'received' : metricNamePart(counter));
  // received and forwarded always appear, so a dashboard has a series before the first byte.
  const withDefaults: Counters = { bytes_seen: 0, bytes_forwarded: 0, seen: 0, forwarded: 0, ...counters };
  for (const [counter, value] of Object.entries(withDefaults)) {
    if (counter.startsWith('bytes_')) {
      add('faultline_proxy_bytes_total', 'counter', 'Bytes per direction and outcome (received = entered the proxy)', {
        ...labels,
        outcome: outcome(counter.slice('bytes_'.length)),
      }, value);
    } else {
      const what = unit === 'datagrams' ? 'UDP datagrams' : 'TCP chunks (socket reads)';
      add(`faultline_proxy_${unit}_total`, 'counter', `${what} per direction and outcome (received = entered the proxy)`, {
        ...labels,
        outcome: outcome(counter),
      }, value);
    }
  }
}

function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Counter names are snake_case already; anything else becomes `_` so the name stays valid. */
function metricNamePart(counter: string): string {
  return counter.replace(/[^a-zA-Z0-9_]/g, '_');
}
