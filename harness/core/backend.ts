/**
 * The seam between the scenario runner and whatever injects faults. Three implementations: the
 * embedded proxy (in-process, the default), an HTTP client for any server speaking the Toxiproxy
 * API (our own `faultline proxy`, or a real Toxiproxy), and the Linux wire layer (wire/
 * wire-backend.ts), whose "proxies" are wire paths: no listener in between, but two network
 * namespaces the traffic's ends live in and a packet fault engine between them (`paths`). The
 * runner never imports one of them directly: the CLI composes a backend and passes it in. Errors
 * are FaultlineErrors with the same codes whichever backend raised them.
 */
import type { ProxyLedger } from './ledger.js';
import type { PathEnds } from './network-place.js';
import type { PathResult } from './result.js';
import type { Protocol, ProxyInput, ProxyPatch, ProxyState, ToxicInput, ToxicPatch, ToxicSpec } from './spec.js';

export interface BackendCapabilities {
  /** Protocols this backend can proxy. Toxiproxy: tcp only. */
  protocols: readonly Protocol[];
  /** Whether `ledger()` returns real counts. */
  ledger: boolean;
  /** Whether TCP faults are real segment-level faults (wire layer) or stream-level emulation. */
  tcpFaultLevel: 'stream' | 'segment';
  /** The toxic types it has per protocol; absent: every type faultline has. Toxiproxy lacks faultline's own (TCP `loss`). */
  toxics?: Partial<Record<Protocol, readonly string[]>>;
  /**
   * Whether a toxic that resets connections (its effects say `reset: true`) also resets the
   * connections already open when it is added. Toxiproxy's `reset_peer` does not: it arms the RST
   * (SO_LINGER 0) only on connections opened after it, so open ones end with a clean FIN.
   */
  resetsOpenConnections: boolean;
}

export interface ProxyBackend {
  /** Short name for reports: `embedded`, `http`, `toxiproxy`, `wire`. */
  readonly kind: string;
  readonly capabilities: BackendCapabilities;

  /** Creates a proxy; a listen port of 0 is resolved to the real port in the returned state. */
  createProxy(input: ProxyInput): Promise<ProxyState>;
  /** Creates or replaces many proxies (Toxiproxy's `/populate` semantics). */
  populate(inputs: ProxyInput[]): Promise<ProxyState[]>;
  getProxy(name: string): Promise<ProxyState>;
  listProxies(): Promise<ProxyState[]>;
  /** Partial update; `enabled: false` takes the proxy down (stops listening, closes connections). */
  updateProxy(name: string, patch: ProxyPatch): Promise<ProxyState>;
  deleteProxy(name: string): Promise<void>;

  addToxic(proxy: string, toxic: ToxicInput): Promise<ToxicSpec>;
  getToxic(proxy: string, toxic: string): Promise<ToxicSpec>;
  /** Partial update: attributes merge into the existing ones; type and stream cannot change. */
  updateToxic(proxy: string, toxic: string, patch: ToxicPatch): Promise<ToxicSpec>;
  removeToxic(proxy: string, toxic: string): Promise<void>;

  /** Re-enables every proxy and removes every toxic; proxies stay. */
  reset(): Promise<void>;
  /** What the proxy did so far; `undefined` when the backend keeps no ledger. */
  ledger(proxy: string): Promise<ProxyLedger | undefined>;
  /** Deletes every proxy this backend created and releases its sockets. */
  close(): Promise<void>;

  /**
   * Present when the backend's proxies are paths whose two ends are places of their own (the
   * wire layer): a path is made with `paths.create` before its target starts, since the target
   * then runs in it. Its faults, ledger and removal go through the methods above, by name.
   */
  readonly paths?: PathControl;
}

export interface PathOptions {
  /** MTU of the path, bytes (default 1500). */
  mtu?: number;
  /**
   * Packet capture: `all` writes every packet into `dir` as pcap; `on-failure` (the default)
   * keeps the most recent in memory, written there only when `report` is asked to save them.
   */
  capture?: { mode: 'all' | 'on-failure'; dir: string };
}

export interface PathControl {
  /** Creates a path; the ends are where the workloads' sockets and the target must live. */
  create(name: string, options: PathOptions): Promise<PathEnds>;
  /**
   * What the path and its kernels saw since it was created, once the traffic is over. `originNs`
   * is the scenario's t=0 on CLOCK_MONOTONIC (wire time), for the time–sequence data.
   */
  report(name: string, options: { originNs: number }): Promise<PathResult>;
  /**
   * Writes the recent packets kept in memory (capture `on-failure`) into the capture folder, for
   * a scenario that did not pass; undefined when there is nothing to write (or `all` wrote them).
   */
  saveCapture(name: string): Promise<{ entered: string; left: string } | undefined>;
}
