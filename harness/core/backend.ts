/**
 * The seam between the scenario runner and whatever injects faults. Three implementations are
 * planned: the embedded proxy (in-process, the default), an HTTP client for any server speaking
 * the Toxiproxy API (our own `faultline proxy`, or a real Toxiproxy), and later the Linux wire
 * layer. The runner never imports one of them directly: the CLI composes a backend and passes it
 * in. Errors are FaultlineErrors with the same codes whichever backend raised them.
 */
import type { ProxyLedger } from './ledger.js';
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
}
