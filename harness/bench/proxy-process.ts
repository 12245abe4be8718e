/** A typed handle on proxy-host.ts running in its own process (see there for why). */
import type { ProxyLedger } from '../core/ledger.js';
import type { ProxyInput, ProxyState, ToxicInput, ToxicSpec } from '../core/spec.js';
import { startChild } from './ipc-child.js';
import type { HostUsage } from './proxy-host.js';

export interface ProxyProcess {
  /** The host's process id (for its CPU time in /proc). */
  readonly pid: number;
  createProxy(input: ProxyInput): Promise<ProxyState>;
  addToxic(proxy: string, toxic: ToxicInput): Promise<ToxicSpec>;
  removeToxic(proxy: string, toxic: string): Promise<void>;
  ledger(proxy: string): Promise<ProxyLedger>;
  usage(): Promise<HostUsage>;
  /** Which UDP socket I/O the host's proxy uses (udp-io.ts). */
  udpIo(): Promise<'native' | 'dgram'>;
  stop(): Promise<void>;
}

/** The port of a proxy's `listen` (`host:port`, IPv6 bracketed). */
export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** `env` adds to the host's environment, e.g. FAULTLINE_UDP_IO to pick the UDP socket I/O. */
export async function startProxyProcess(seed = 1, env: Record<string, string> = {}): Promise<ProxyProcess> {
  const child = await startChild(new URL('./proxy-host.js', import.meta.url), { FAULTLINE_BENCH_SEED: String(seed), ...env });
  return {
    pid: child.pid,
    createProxy: (input) => child.call('createProxy', input),
    addToxic: (proxy, toxic) => child.call('addToxic', proxy, toxic),
    removeToxic: (proxy, toxic) => child.call('removeToxic', proxy, toxic),
    ledger: (proxy) => child.call('ledger', proxy),
    usage: () => child.call('usage'),
    udpIo: () => child.call('udpIo'),
    stop: () => child.stop(),
  };
}
