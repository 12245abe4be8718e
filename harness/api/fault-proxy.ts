/**
 * The fault proxy for test code: Toxiproxy's model (proxies in front of upstreams, toxics on
 * their streams) as a typed, disposable object, in-process by default or over a remote server
 * speaking the Toxiproxy API, chosen by one option:
 *
 *   createFaultProxy({ backend })  ──▶ FaultProxy ──createProxy──▶ Proxy<P> ──addToxic──▶ Toxic<P, T>
 *     'embedded' (default): in-process    getProxy, listProxies,     enable, disable, update,   update, remove
 *     'http://…': faultline or Toxiproxy  reset, close, await using  ledger, delete
 *
 * Every call goes to a ProxyBackend (core/backend.ts), so errors are the backend's
 * FaultlineErrors with their codes whichever backend raised them; this layer adds only types
 * (toxics typed per protocol and type, api/toxic-types.ts) and handles.
 */
import { DEFAULT_LISTEN } from '../admin/api-input.js';
import { resolveBackend } from '../admin/backend-choice.js';
import { parseHostPort } from '../core/address.js';
import type { BackendCapabilities, ProxyBackend } from '../core/backend.js';
import { FaultlineError } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import type { Direction, Protocol, ProxyPatch, ProxyState, ToxicInput, ToxicPatch, ToxicSpec } from '../core/spec.js';
import { seedOption } from './options.js';
import type { ToxicAttributes, ToxicOptions, ToxicType, ToxicUpdate } from './toxic-types.js';

export interface FaultProxyOptions {
  /**
   * Where the proxies live: `embedded` (the default), an in-process proxy; or the URL of a server
   * speaking the Toxiproxy API: `faultline proxy`, or a real Toxiproxy (TCP only, no ledger).
   */
  backend?: string;
  /**
   * Embedded: the root seed (0..4294967295) of every random decision — jitter, toxicity, loss —
   * so a failing test replays. Default: a random one, readable as `seed`. A server has its own
   * (`faultline proxy --seed`).
   */
  seed?: number;
  /** A server: how long one request may take, ms. Default 30 000. */
  timeoutMs?: number;
}

/** A set of proxies on one backend. Close it (or `await using` it) to release every socket. */
export interface FaultProxy extends AsyncDisposable {
  /** `embedded`, or what answered at the URL: `faultline` or `toxiproxy`. */
  readonly backend: 'embedded' | 'faultline' | 'toxiproxy';
  /** The server's URL; undefined for the embedded proxy. */
  readonly url: string | undefined;
  /** Embedded: the root seed in use; undefined for a server. */
  readonly seed: number | undefined;
  /** What the backend can do: protocols, ledger, toxic types, resetting open connections. */
  readonly capabilities: BackendCapabilities;
  /** Creates a proxy; it listens at once (on a free port unless `listen` says otherwise). */
  createProxy<P extends Protocol = 'tcp'>(options: ProxyOptions<P>): Promise<Proxy<P>>;
  /** A proxy by name (NOT_FOUND when there is none). */
  getProxy(name: string): Promise<Proxy>;
  listProxies(): Promise<Proxy[]>;
  /** Removes every toxic and re-enables every proxy; proxies stay. */
  reset(): Promise<void>;
  /**
   * Embedded: closes every proxy and connection. A server: deletes the proxies created through
   * this object. Idempotent (and a proxy created after it is closed by the next call); `await
   * using` calls it.
   */
  close(): Promise<void>;
}

export interface ProxyOptions<P extends Protocol = 'tcp'> {
  /** Unique on the backend. */
  name: string;
  /** `host:port` of the server behind the proxy. */
  upstream: string;
  /** Default `tcp`. */
  protocol?: P;
  /** `host:port` to listen on; default `127.0.0.1:0`, a free port (read it back from `listen`). */
  listen?: string;
  /** Default true. A disabled proxy refuses connections. */
  enabled?: boolean;
  /** UDP: forget a client's session after this idle time, ms. Default 60 000. */
  sessionIdleTimeoutMs?: number;
}

/** A partial update of a proxy; a new `listen` or `upstream` restarts it and drops its connections. */
export interface ProxyUpdate {
  listen?: string;
  upstream?: string;
  enabled?: boolean;
  sessionIdleTimeoutMs?: number;
}

/**
 * One proxy. Its fields are its state as this handle last saw it (its own calls update them;
 * `refresh()` reads it again).
 */
export interface Proxy<P extends Protocol = Protocol> {
  readonly name: string;
  readonly protocol: P;
  /** `host:port` it listens on, the port resolved: where clients connect. */
  readonly listen: string;
  readonly host: string;
  readonly port: number;
  readonly upstream: string;
  readonly enabled: boolean;
  /** Adds a toxic; it applies to live connections at once (TCP) or to the next datagram (UDP). */
  addToxic<T extends ToxicType<P>>(toxic: ToxicOptions<P, T>): Promise<Toxic<P, T>>;
  /** A toxic by name; narrow on `type` to read its attributes. */
  getToxic(name: string): Promise<AnyToxic<P>>;
  listToxics(): Promise<Array<AnyToxic<P>>>;
  update(patch: ProxyUpdate): Promise<void>;
  /** Listens again, on the port it had. */
  enable(): Promise<void>;
  /** Stops listening and closes its connections (TCP) or drops its datagrams (UDP): a server that went away. */
  disable(): Promise<void>;
  /**
   * What it did, exactly: counters for the proxy, each direction and each toxic (removed ones
   * too), and a bounded log of events (core/ledger.ts). A backend without a ledger (Toxiproxy;
   * see `capabilities.ledger`) throws ENVIRONMENT.
   */
  ledger(): Promise<ProxyLedger>;
  refresh(): Promise<void>;
  /** Deletes it: it stops listening and its port is free. */
  delete(): Promise<void>;
}

/** One toxic as it was when returned: an immutable snapshot, with the calls that change it. */
export interface Toxic<P extends Protocol, T extends ToxicType<P>> {
  readonly proxy: string;
  readonly name: string;
  readonly type: T;
  readonly stream: Direction;
  readonly toxicity: number;
  /** Every attribute, defaults filled in. */
  readonly attributes: Readonly<ToxicAttributes<P, T>>;
  /** A partial update (attributes merge); resolves to the toxic as it is now. */
  update(patch: ToxicUpdate<P, T>): Promise<Toxic<P, T>>;
  /** Removes it; what it held in flight is passed on. */
  remove(): Promise<void>;
}

/** A toxic of any type of the protocol: a union discriminated on `type`. */
export type AnyToxic<P extends Protocol = Protocol> = P extends Protocol ? { [T in ToxicType<P>]: Toxic<P, T> }[ToxicType<P>] : never;

/** Creates a fault proxy on the chosen backend; a URL is asked what it is first (UNREACHABLE when nobody answers). */
export async function createFaultProxy(options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const seed = seedOption(options.seed);
  const choice = await resolveBackend(options.backend ?? 'embedded', {
    what: 'backend',
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const embedded = choice.flavor === 'embedded';
  return new FaultProxyClient(choice.create(seed), choice.flavor, embedded ? undefined : choice.url, embedded ? seed : undefined);
}

class FaultProxyClient implements FaultProxy {
  constructor(
    private readonly target: ProxyBackend,
    readonly backend: 'embedded' | 'faultline' | 'toxiproxy',
    readonly url: string | undefined,
    readonly seed: number | undefined,
  ) {}

  get capabilities(): BackendCapabilities {
    return this.target.capabilities;
  }

  async createProxy<P extends Protocol = 'tcp'>(options: ProxyOptions<P>): Promise<Proxy<P>> {
    const state = await this.target.createProxy({
      name: options.name,
      upstream: options.upstream,
      protocol: options.protocol ?? 'tcp',
      listen: options.listen ?? DEFAULT_LISTEN,
      ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
      ...(options.sessionIdleTimeoutMs === undefined ? {} : { session_idle_timeout: options.sessionIdleTimeoutMs }),
    });
    return new ProxyHandle(this.target, state) as unknown as Proxy<P>;
  }

  async getProxy(name: string): Promise<Proxy> {
    return new ProxyHandle(this.target, await this.target.getProxy(name)) as unknown as Proxy;
  }

  async listProxies(): Promise<Proxy[]> {
    return (await this.target.listProxies()).map((state) => new ProxyHandle(this.target, state) as unknown as Proxy);
  }

  reset(): Promise<void> {
    return this.target.reset();
  }

  /** Every call closes what exists then: a proxy created after a close is not left open by the next. */
  close(): Promise<void> {
    return this.target.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The handles are untyped inside (the backend speaks JSON shapes); the public interfaces above
 * give them their types, which is why they are cast once where they are made.
 */
class ProxyHandle {
  constructor(
    private readonly target: ProxyBackend,
    private state: ProxyState,
  ) {}

  get name() {
    return this.state.name;
  }
  get protocol() {
    return this.state.protocol;
  }
  get listen() {
    return this.state.listen;
  }
  get host() {
    return parseHostPort(this.state.listen)?.host ?? '';
  }
  get port() {
    return parseHostPort(this.state.listen)?.port ?? 0;
  }
  get upstream() {
    return this.state.upstream;
  }
  get enabled() {
    return this.state.enabled;
  }

  async addToxic(toxic: ToxicInput): Promise<ToxicHandle> {
    return new ToxicHandle(this.target, this.name, await this.target.addToxic(this.name, toxic));
  }
  async getToxic(name: string): Promise<ToxicHandle> {
    return new ToxicHandle(this.target, this.name, await this.target.getToxic(this.name, name));
  }
  async listToxics(): Promise<ToxicHandle[]> {
    await this.refresh();
    return this.state.toxics.map((spec) => new ToxicHandle(this.target, this.name, spec));
  }
  async update(patch: ProxyUpdate): Promise<void> {
    const body: ProxyPatch = {};
    if (patch.listen !== undefined) body.listen = patch.listen;
    if (patch.upstream !== undefined) body.upstream = patch.upstream;
    if (patch.enabled !== undefined) body.enabled = patch.enabled;
    if (patch.sessionIdleTimeoutMs !== undefined) body.session_idle_timeout = patch.sessionIdleTimeoutMs;
    this.state = await this.target.updateProxy(this.name, body);
  }
  enable(): Promise<void> {
    return this.update({ enabled: true });
  }
  disable(): Promise<void> {
    return this.update({ enabled: false });
  }
  async ledger(): Promise<ProxyLedger> {
    const ledger = await this.target.ledger(this.name);
    if (ledger) return ledger;
    throw new FaultlineError('ENVIRONMENT', `the ${this.target.kind} backend keeps no ledger, so proxy "${this.name}" has none to read`, {
      hint: 'the embedded proxy and `faultline proxy` keep one; `capabilities.ledger` says whether a backend does',
    });
  }
  async refresh(): Promise<void> {
    this.state = await this.target.getProxy(this.name);
  }
  delete(): Promise<void> {
    return this.target.deleteProxy(this.name);
  }
}

class ToxicHandle {
  readonly name: string;
  readonly type: string;
  readonly stream: Direction;
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;

  constructor(
    private readonly target: ProxyBackend,
    readonly proxy: string,
    spec: ToxicSpec,
  ) {
    this.name = spec.name;
    this.type = spec.type;
    this.stream = spec.stream;
    this.toxicity = spec.toxicity;
    this.attributes = Object.freeze({ ...spec.attributes });
  }

  async update(patch: ToxicPatch): Promise<ToxicHandle> {
    return new ToxicHandle(this.target, this.proxy, await this.target.updateToxic(this.proxy, this.name, patch));
  }
  remove(): Promise<void> {
    return this.target.removeToxic(this.proxy, this.name);
  }
}
