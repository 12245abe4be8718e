import { describe, expect, it } from 'vitest';
import type { ProxyLedger } from '../core/ledger.js';
import type { ProxyState } from '../core/spec.js';
import { parsePrometheusText, sampleValue } from '../test/prometheus-text.js';
import { escapeLabelValue, renderMetrics } from './metrics-exposition.js';

const tcpState: ProxyState = {
  name: 'db',
  protocol: 'tcp',
  listen: '127.0.0.1:15432',
  upstream: '127.0.0.1:5432',
  enabled: true,
  toxics: [{ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 0 } }],
};

const tcpLedger: ProxyLedger = {
  proxy: 'db',
  protocol: 'tcp',
  counters: { connections_accepted: 7, connections_open: 2, upstream_refused: 1 },
  directions: {
    upstream: { seen: 10, forwarded: 10, bytes_seen: 1000, bytes_forwarded: 1000 },
    downstream: { seen: 4, forwarded: 3, bytes_seen: 400, bytes_forwarded: 300, dropped_blackhole: 1 },
  },
  toxics: [{ name: 'lat', type: 'latency', stream: 'downstream', counters: { activations: 7, delayed: 3 } }],
  events: [],
  eventsDropped: 0,
};

const udpState: ProxyState = {
  name: 'dns "main"\\\n',
  protocol: 'udp',
  listen: '127.0.0.1:5353',
  upstream: '127.0.0.1:53',
  enabled: false,
  session_idle_timeout: 60_000,
  toxics: [],
};

const udpLedger: ProxyLedger = {
  proxy: udpState.name,
  protocol: 'udp',
  counters: { sessions_created: 3, sessions_open: 1, sessions_expired: 2 },
  directions: {
    upstream: { seen: 100, forwarded: 90, dropped_loss: 10, bytes_seen: 6400, bytes_forwarded: 5760 },
    downstream: {},
  },
  toxics: [{ name: 'loss_up', type: 'loss', stream: 'upstream', counters: { activations: 100, dropped_loss: 10, 'odd-name': 1 } }],
  events: [],
  eventsDropped: 0,
};

describe('renderMetrics', () => {
  const text = renderMetrics(
    [
      { state: tcpState, ledger: tcpLedger },
      { state: udpState, ledger: udpLedger },
    ],
    '1.2.3',
  );
  const parsed = parsePrometheusText(text);

  it('is valid exposition text: HELP and TYPE before samples, families contiguous', () => {
    expect(parsed.samples.length).toBeGreaterThan(30);
    for (const name of parsed.types.keys()) expect(parsed.help.has(name), name).toBe(true);
  });

  it('reports proxy-level counters and gauges with the right types', () => {
    expect(sampleValue(parsed, 'faultline_proxy_connections_open', { proxy: 'db' })).toBe(2);
    expect(parsed.types.get('faultline_proxy_connections_open')).toBe('gauge');
    expect(sampleValue(parsed, 'faultline_proxy_connections_total', { proxy: 'db', protocol: 'tcp' })).toBe(7);
    expect(parsed.types.get('faultline_proxy_connections_total')).toBe('counter');
    expect(sampleValue(parsed, 'faultline_proxy_upstream_refused_total', { proxy: 'db' })).toBe(1);
    expect(sampleValue(parsed, 'faultline_proxy_sessions_open', { proxy: udpState.name })).toBe(1);
    expect(sampleValue(parsed, 'faultline_proxy_sessions_expired_total', { proxy: udpState.name })).toBe(2);
    expect(sampleValue(parsed, 'faultline_proxy_enabled', { proxy: 'db' })).toBe(1);
    expect(sampleValue(parsed, 'faultline_proxy_enabled', { proxy: udpState.name })).toBe(0);
    expect(sampleValue(parsed, 'faultline_proxy_toxics', { proxy: 'db' })).toBe(1);
    // TCP families are not written for UDP proxies and vice versa.
    expect(sampleValue(parsed, 'faultline_proxy_sessions_open', { proxy: 'db' })).toBeUndefined();
    expect(sampleValue(parsed, 'faultline_proxy_connections_open', { proxy: udpState.name })).toBeUndefined();
    expect(sampleValue(parsed, 'faultline_build_info', { version: '1.2.3' })).toBe(1);
  });

  it('splits bytes and datagrams by direction and outcome', () => {
    expect(sampleValue(parsed, 'faultline_proxy_bytes_total', { proxy: 'db', direction: 'downstream', outcome: 'received' })).toBe(400);
    expect(sampleValue(parsed, 'faultline_proxy_bytes_total', { proxy: 'db', direction: 'downstream', outcome: 'forwarded' })).toBe(300);
    expect(sampleValue(parsed, 'faultline_proxy_chunks_total', { proxy: 'db', direction: 'downstream', outcome: 'dropped_blackhole' })).toBe(1);
    expect(
      sampleValue(parsed, 'faultline_proxy_datagrams_total', { proxy: udpState.name, direction: 'upstream', outcome: 'dropped_loss' }),
    ).toBe(10);
    // An idle direction still has its received/forwarded series at 0.
    expect(sampleValue(parsed, 'faultline_proxy_datagrams_total', { proxy: udpState.name, direction: 'downstream', outcome: 'received' })).toBe(0);
  });

  it('writes one family per toxic counter, labelled with toxic, type and stream', () => {
    expect(sampleValue(parsed, 'faultline_toxic_activations_total', { proxy: 'db', toxic: 'lat', type: 'latency', stream: 'downstream' })).toBe(7);
    expect(sampleValue(parsed, 'faultline_toxic_delayed_total', { toxic: 'lat' })).toBe(3);
    expect(sampleValue(parsed, 'faultline_toxic_dropped_loss_total', { toxic: 'loss_up' })).toBe(10);
    // A counter name that is not a valid metric name part is sanitised, not dropped.
    expect(sampleValue(parsed, 'faultline_toxic_odd_name_total', { toxic: 'loss_up' })).toBe(1);
  });

  it("keeps Toxiproxy's byte counters and labels for existing dashboards", () => {
    const labels = { direction: 'upstream', proxy: 'db', listener: '127.0.0.1:15432', upstream: '127.0.0.1:5432' };
    expect(sampleValue(parsed, 'toxiproxy_proxy_received_bytes_total', labels)).toBe(1000);
    expect(sampleValue(parsed, 'toxiproxy_proxy_sent_bytes_total', { ...labels, direction: 'downstream' })).toBe(300);
    const sample = parsed.samples.find((s) => s.name === 'toxiproxy_proxy_sent_bytes_total')!;
    expect(Object.keys(sample.labels).sort()).toEqual(['direction', 'listener', 'proxy', 'upstream']);
  });

  it('escapes label values so names with quotes, backslashes and newlines survive a round trip', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(sampleValue(parsed, 'faultline_proxy_enabled', { proxy: 'dns "main"\\\n' })).toBe(0);
    expect(text).not.toMatch(/dns "main"/);
  });

  it('writes only state-derived gauges when the backend keeps no ledger', () => {
    const bare = parsePrometheusText(renderMetrics([{ state: tcpState }], '1.2.3'));
    expect(sampleValue(bare, 'faultline_proxy_enabled', { proxy: 'db' })).toBe(1);
    expect(bare.samples.some((s) => s.name.startsWith('toxiproxy_'))).toBe(false);
  });

  it('is valid with no proxies at all', () => {
    const empty = parsePrometheusText(renderMetrics([], '1.2.3'));
    expect(empty.samples.map((s) => s.name)).toEqual(['faultline_build_info']);
  });
});
