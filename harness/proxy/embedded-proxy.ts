/**
 * The embedded proxy: an in-process registry of proxies with Toxiproxy's semantics (names,
 * validation, enable/disable, /populate, /reset), each backed by a protocol engine.
 *
 *   createEmbeddedProxy() ── ProxyBackend ──▶ proxies by name ──▶ engine per enabled proxy
 *                                                tcp → createTcpEngine   udp → createUdpEngine
 *
 * Semantics, and where they differ from Toxiproxy:
 *  - `name`, `listen` and `upstream` are required; addresses are `host:port` (core/address.ts),
 *    `localhost` means 127.0.0.1. `enabled` defaults to true, `protocol` to `tcp`.
 *    `session_idle_timeout` (ms) applies to UDP proxies only and is rejected on TCP ones.
 *  - A disabled proxy has no engine: nothing listens and no connection survives. Its toxics are
 *    kept and re-applied when it is enabled again.
 *  - `listen` with port 0 is resolved when the proxy starts, and the resolved address is kept from
 *    then on (as Toxiproxy stores it): a disabled proxy reports, and a re-enabled proxy binds, the
 *    port it had, so clients can reconnect after a "down" fault. A proxy never started reports the
 *    address it was asked for (e.g. `127.0.0.1:0`).
 *  - Changing `listen`, `upstream` (or a UDP proxy's `session_idle_timeout`) restarts the engine
 *    and drops live connections. A new `listen` is bound before the old one closes, so a failure
 *    leaves the proxy as it was.
 *  - `populate` creates or replaces: an existing proxy is kept (with its toxics, untouched) when
 *    its protocol, listen and upstream are the same, and replaced otherwise. Every entry is
 *    validated first; after that it is not atomic, like Toxiproxy: a failure leaves the proxies
 *    before it in place, and the error (a PopulateError) lists them.
 *  - `reset` removes every toxic and re-enables every proxy.
 *  - Mutations are serialized, so concurrent API calls cannot interleave half-applied changes.
 *
 * Randomness: the root stream comes from `seed` (random when not given, and reported as `seed`),
 * each proxy forks `proxy:<name>`, and each start of its engine forks `start:<k>` (k = 0, 1, …),
 * so connections accepted after a re-enable do not replay the first connections' decisions.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { formatHostPort, HOST_PORT_FORMAT, parseHostPort } from '../core/address.js';
import type { BackendCapabilities, ProxyBackend } from '../core/backend.js';
import { FaultlineError, type Problem } from '../core/errors.js';
import type { ProxyLedger } from '../core/ledger.js';
import { createRng, randomSeed, type Rng } from '../core/rng.js';
import {
  DEFAULT_SESSION_IDLE_TIMEOUT_MS,
  nameLengthProblem,
  PROTOCOLS,
  type Protocol,
  type ProxyInput,
  type ProxyPatch,
  type ProxyState,
  type ToxicInput,
  type ToxicPatch,
  type ToxicSpec,
} from '../core/spec.js';
import { describe } from '../core/describe.js';
import { patchToxic, resolveToxic } from '../toxics/registry.js';
import type { EngineDeps, ProxyEngine, ProxyLog } from './engine.js';
import type { BusyPoll } from './busy-poll.js';
import { LedgerRecorder } from './ledger-recorder.js';
import { defaultListenBacklog } from './listen-backlog.js';
import type { TcpIo } from './tcp-io.js';
import { createTcpEngine } from './tcp-engine.js';
import { createUdpEngine } from './udp-engine.js';

export interface EmbeddedProxyOptions {
  /** Time for toxics and the ledger. Default: the system clock. */
  clock?: Clock;
  /** Root seed (unsigned 32-bit) for every random decision. Default: a random seed, see `seed`. */
  seed?: number;
  /** Receives one line per notable event. Default: discarded. */
  log?: ProxyLog;
  /** Busy polling after small reads (see busy-poll.ts), shared by every engine. Default: none. */
  busyPoll?: BusyPoll;
  /** TCP listen backlog of every proxy. Default: the kernel's somaxconn, as Toxiproxy (listen-backlog.ts). */
  listenBacklog?: number;
  /** How TCP proxies reach the kernel (tcp-io.ts). Default: native where built, else Node's sockets. */
  tcpIo?: TcpIo;
}

export interface EmbeddedProxy extends ProxyBackend {
  /** The root seed in use (the one given, or the random one picked): replays this run. */
  readonly seed: number;
  /** The embedded proxy always keeps a ledger. */
  ledger(proxy: string): Promise<ProxyLedger>;
  /** Ledger snapshots of every proxy, in creation order. */
  ledgers(): ProxyLedger[];
}

/** Thrown by `populate` when an entry fails after earlier ones were applied. */
export class PopulateError extends FaultlineError {
  /** Proxies created or kept before the failure (null when validation failed and nothing was applied). */
  readonly proxies: ProxyState[] | null;

  constructor(error: FaultlineError, proxies: ProxyState[] | null) {
    super(error.code, error.message, {
      ...(error.where ? { where: error.where } : {}),
      ...(error.hint ? { hint: error.hint } : {}),
      problems: error.problems,
      cause: error,
    });
    this.proxies = proxies;
  }
}

const ENGINES: Record<Protocol, (deps: EngineDeps) => ProxyEngine> = {
  tcp: createTcpEngine,
  udp: createUdpEngine,
};

const CAPABILITIES: BackendCapabilities = { protocols: PROTOCOLS, ledger: true, tcpFaultLevel: 'stream', resetsOpenConnections: true };

/** Creates an empty registry. Nothing listens until a proxy is created. */
export function createEmbeddedProxy(options: EmbeddedProxyOptions = {}): EmbeddedProxy {
  return new Registry(options);
}

/** A proxy's validated configuration. */
interface ProxyConfig {
  name: string;
  protocol: Protocol;
  /** Normalized `host:port`; the resolved address once the proxy has started. */
  listen: string;
  upstream: string;
  enabled: boolean;
  /** UDP only. */
  sessionIdleTimeoutMs?: number;
}

interface Entry extends ProxyConfig {
  toxics: ToxicSpec[];
  engine: ProxyEngine | undefined;
  ledger: LedgerRecorder;
  rng: Rng;
  starts: number;
}

class Registry implements EmbeddedProxy {
  readonly kind = 'embedded';
  readonly capabilities = CAPABILITIES;
  readonly seed: number;
  private readonly clock: Clock;
  private readonly busyPoll: BusyPoll | undefined;
  private readonly listenBacklog: number;
  private readonly tcpIo: TcpIo | undefined;
  private readonly rng: Rng;
  private readonly log: ProxyLog;
  private readonly proxies = new Map<string, Entry>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: EmbeddedProxyOptions) {
    this.clock = options.clock ?? systemClock;
    this.busyPoll = options.busyPoll;
    this.listenBacklog = options.listenBacklog ?? defaultListenBacklog();
    this.tcpIo = options.tcpIo;
    this.seed = options.seed ?? randomSeed();
    this.rng = createRng(this.seed);
    this.log = options.log ?? (() => {});
  }

  // ── proxies ──────────────────────────────────────────────────────────────

  createProxy(input: ProxyInput): Promise<ProxyState> {
    return this.exclusive(async () => {
      const config = resolveProxy(input);
      if (this.proxies.has(config.name)) throw alreadyExists(config.name);
      return stateOf(await this.create(config));
    });
  }

  populate(inputs: ProxyInput[]): Promise<ProxyState[]> {
    return this.exclusive(async () => {
      if (!Array.isArray(inputs)) {
        throw new PopulateError(
          new FaultlineError('INVALID_INPUT', `expected an array of proxies, got ${describe(inputs)}`, { where: { path: '' } }),
          null,
        );
      }
      const configs = inputs.map((input, i) => {
        try {
          return resolveProxy(input, i);
        } catch (error) {
          throw error instanceof FaultlineError ? new PopulateError(error, null) : error;
        }
      });
      const done: ProxyState[] = [];
      for (const config of configs) {
        try {
          const existing = this.proxies.get(config.name);
          if (existing && existing.protocol === config.protocol && existing.listen === config.listen && existing.upstream === config.upstream) {
            done.push(stateOf(existing));
            continue;
          }
          if (existing) await this.delete(existing);
          done.push(stateOf(await this.create(config)));
        } catch (error) {
          throw error instanceof FaultlineError ? new PopulateError(error, done) : error;
        }
      }
      return done;
    });
  }

  async getProxy(name: string): Promise<ProxyState> {
    return stateOf(this.find(name));
  }

  async listProxies(): Promise<ProxyState[]> {
    return [...this.proxies.values()].map(stateOf);
  }

  updateProxy(name: string, patch: ProxyPatch): Promise<ProxyState> {
    return this.exclusive(async () => {
      const entry = this.find(name);
      const next = resolvePatch(entry, patch);
      const restart =
        next.listen !== entry.listen || next.upstream !== entry.upstream || next.sessionIdleTimeoutMs !== entry.sessionIdleTimeoutMs;
      if (!next.enabled) {
        await this.stop(entry);
        Object.assign(entry, next);
      } else if (!entry.engine) {
        const started = await this.start(entry, next);
        Object.assign(entry, next, started);
      } else if (restart) {
        const old = entry.engine;
        // Same address: it must be released before it can be bound again.
        if (next.listen === entry.listen) await this.stop(entry);
        let started: { engine: ProxyEngine; listen: string };
        try {
          started = await this.start(entry, next);
        } catch (error) {
          // The old engine is gone only if it had to release the address: say so truthfully.
          if (!entry.engine) entry.enabled = false;
          throw error;
        }
        if (entry.engine === old) await old.close();
        Object.assign(entry, next, started);
      } else {
        Object.assign(entry, next);
      }
      return stateOf(entry);
    });
  }

  deleteProxy(name: string): Promise<void> {
    return this.exclusive(async () => {
      await this.delete(this.find(name));
    });
  }

  // ── toxics ───────────────────────────────────────────────────────────────

  addToxic(proxy: string, input: ToxicInput): Promise<ToxicSpec> {
    return this.exclusive(async () => {
      const entry = this.find(proxy);
      const spec = resolveToxic(entry.protocol, input, entry.toxics.map((t) => t.name));
      entry.toxics.push(spec);
      await entry.engine?.addToxic(spec);
      return copyToxic(spec);
    });
  }

  async getToxic(proxy: string, toxic: string): Promise<ToxicSpec> {
    return copyToxic(findToxic(this.find(proxy), toxic));
  }

  updateToxic(proxy: string, toxic: string, patch: ToxicPatch): Promise<ToxicSpec> {
    return this.exclusive(async () => {
      const entry = this.find(proxy);
      const current = findToxic(entry, toxic);
      const spec = patchToxic(entry.protocol, current, patch);
      entry.toxics[entry.toxics.indexOf(current)] = spec;
      await entry.engine?.updateToxic(spec);
      return copyToxic(spec);
    });
  }

  removeToxic(proxy: string, toxic: string): Promise<void> {
    return this.exclusive(async () => {
      const entry = this.find(proxy);
      const current = findToxic(entry, toxic);
      entry.toxics.splice(entry.toxics.indexOf(current), 1);
      await this.dropToxic(entry, current.name);
    });
  }

  /** Takes a toxic out of the running engine and retires it in the ledger (its counts stay). */
  private async dropToxic(entry: Entry, name: string): Promise<void> {
    await entry.engine?.removeToxic(name);
    entry.ledger.retireToxic(name);
  }

  // ── whole registry ───────────────────────────────────────────────────────

  reset(): Promise<void> {
    return this.exclusive(async () => {
      const failures: unknown[] = [];
      for (const entry of this.proxies.values()) {
        try {
          for (const toxic of entry.toxics.splice(0)) await this.dropToxic(entry, toxic.name);
          if (!entry.engine) Object.assign(entry, await this.start(entry, entry), { enabled: true });
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw failures[0];
    });
  }

  async ledger(proxy: string): Promise<ProxyLedger> {
    return this.find(proxy).ledger.snapshot();
  }

  ledgers(): ProxyLedger[] {
    return [...this.proxies.values()].map((entry) => entry.ledger.snapshot());
  }

  close(): Promise<void> {
    return this.exclusive(async () => {
      await Promise.all([...this.proxies.values()].map((entry) => this.stop(entry)));
      this.proxies.clear();
    });
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** Runs mutations one at a time, in call order; a failure does not block the next one. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private find(name: string): Entry {
    const entry = this.proxies.get(name);
    if (!entry) throw new FaultlineError('NOT_FOUND', 'proxy not found', { where: { path: 'name' }, hint: `no proxy named "${name}"` });
    return entry;
  }

  private async create(config: ProxyConfig): Promise<Entry> {
    const entry: Entry = {
      ...config,
      toxics: [],
      engine: undefined,
      ledger: new LedgerRecorder(config.name, config.protocol, this.clock),
      rng: this.rng.fork(`proxy:${config.name}`),
      starts: 0,
    };
    if (config.enabled) Object.assign(entry, await this.start(entry, config));
    this.proxies.set(config.name, entry);
    return entry;
  }

  private async delete(entry: Entry): Promise<void> {
    await this.stop(entry);
    this.proxies.delete(entry.name);
  }

  /**
   * Starts an engine for `config` with the entry's toxics; returns what to merge into the entry.
   * On failure nothing stays open and the entry is unchanged.
   */
  private async start(entry: Entry, config: ProxyConfig): Promise<{ engine: ProxyEngine; listen: string }> {
    const engine = ENGINES[config.protocol]({
      name: config.name,
      protocol: config.protocol,
      upstream: config.upstream,
      clock: this.clock,
      rng: entry.rng.fork(`start:${entry.starts++}`),
      ledger: entry.ledger,
      log: this.log,
      listenBacklog: this.listenBacklog,
      ...(this.busyPoll ? { busyPoll: this.busyPoll } : {}),
      ...(this.tcpIo ? { tcpIo: this.tcpIo } : {}),
      ...(config.sessionIdleTimeoutMs !== undefined ? { sessionIdleTimeoutMs: config.sessionIdleTimeoutMs } : {}),
    });
    try {
      // Toxics first, so no connection is ever accepted without them.
      for (const toxic of entry.toxics) await engine.addToxic(toxic);
      const listen = await engine.listen(config.listen);
      return { engine, listen };
    } catch (error) {
      await engine.close();
      throw error;
    }
  }

  private async stop(entry: Entry): Promise<void> {
    const engine = entry.engine;
    entry.engine = undefined;
    await engine?.close();
  }
}

// ── validation ─────────────────────────────────────────────────────────────

/** Validates a proxy as a user sent it; `index` (0-based) locates it inside a populate array. */
function resolveProxy(input: ProxyInput, index?: number): ProxyConfig {
  const at = (field: string) => (index === undefined ? field : `[${index}].${field}`);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid([{ path: index === undefined ? '' : `[${index}]`, message: `expected a proxy object, got ${describe(input)}` }], index);
  }
  const problems: Problem[] = [];
  const name = requiredString(input.name, 'name', at, problems);
  const tooLong = name === undefined ? undefined : nameLengthProblem(name);
  if (tooLong) problems.push({ path: at('name'), message: tooLong });
  const listen = address(input.listen, 'listen', at, problems, { required: true, allowPortZero: true });
  const upstream = address(input.upstream, 'upstream', at, problems, { required: true, allowPortZero: false });
  const enabled = boolean(input.enabled, true, at('enabled'), problems);
  let protocol: Protocol = 'tcp';
  if (input.protocol !== undefined && input.protocol !== null) {
    if (input.protocol === 'tcp' || input.protocol === 'udp') protocol = input.protocol;
    else problems.push({ path: at('protocol'), message: `protocol must be "tcp" or "udp", got ${describe(input.protocol)}` });
  }
  const sessionIdleTimeoutMs = sessionIdleTimeout(input.session_idle_timeout, protocol, at('session_idle_timeout'), problems);
  if (problems.length > 0) throw invalid(problems, index);
  return {
    name: name!,
    protocol,
    listen: listen!,
    upstream: upstream!,
    enabled,
    ...(protocol === 'udp' ? { sessionIdleTimeoutMs: sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS } : {}),
  };
}

/** Validates a partial update on top of `current`. */
function resolvePatch(current: ProxyConfig, patch: ProxyPatch): ProxyConfig {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw invalid([{ path: '', message: `expected a proxy update object, got ${describe(patch)}` }]);
  }
  const problems: Problem[] = [];
  const at = (field: string) => field;
  const listen = address(patch.listen, 'listen', at, problems, { required: false, allowPortZero: true });
  const upstream = address(patch.upstream, 'upstream', at, problems, { required: false, allowPortZero: false });
  const enabled = boolean(patch.enabled, current.enabled, 'enabled', problems);
  const sessionIdleTimeoutMs = sessionIdleTimeout(patch.session_idle_timeout, current.protocol, 'session_idle_timeout', problems);
  if (problems.length > 0) throw invalid(problems);
  return {
    name: current.name,
    protocol: current.protocol,
    listen: listen ?? current.listen,
    upstream: upstream ?? current.upstream,
    enabled,
    ...(current.protocol === 'udp' ? { sessionIdleTimeoutMs: sessionIdleTimeoutMs ?? current.sessionIdleTimeoutMs } : {}),
  };
}

function requiredString(value: unknown, field: string, at: (f: string) => string, problems: Problem[]): string | undefined {
  if (value === undefined || value === null || value === '') {
    problems.push({ path: at(field), message: `missing required field: ${field}` });
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push({ path: at(field), message: `${field} must be a string, got ${describe(value)}` });
    return undefined;
  }
  return value;
}

/** Parses and normalizes a `host:port` field (undefined when absent and not required). */
function address(
  value: unknown,
  field: string,
  at: (f: string) => string,
  problems: Problem[],
  rules: { required: boolean; allowPortZero: boolean },
): string | undefined {
  if (!rules.required && (value === undefined || value === null)) return undefined;
  const text = requiredString(value, field, at, problems);
  if (text === undefined) return undefined;
  const parsed = parseHostPort(text);
  if (!parsed) {
    problems.push({ path: at(field), message: `${field} must be ${HOST_PORT_FORMAT}; got ${describe(text)}` });
    return undefined;
  }
  if (parsed.port === 0 && !rules.allowPortZero) {
    problems.push({ path: at(field), message: `${field} needs a real port, got ${describe(text)}`, hint: 'port 0 only makes sense for listen' });
    return undefined;
  }
  return formatHostPort(parsed);
}

function boolean(value: unknown, fallback: boolean, path: string, problems: Problem[]): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  problems.push({ path, message: `enabled must be true or false, got ${describe(value)}` });
  return fallback;
}

function sessionIdleTimeout(value: unknown, protocol: Protocol, path: string, problems: Problem[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (protocol !== 'udp') {
    problems.push({ path, message: 'session_idle_timeout applies to udp proxies only', hint: 'remove it, or set protocol: udp' });
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    problems.push({ path, message: `session_idle_timeout must be a whole number of milliseconds ≥ 1, got ${describe(value)}` });
    return undefined;
  }
  return value;
}

/** One error for every problem; the message is the first problem's (Toxiproxy's words). */
function invalid(problems: Problem[], index?: number): FaultlineError {
  const first = problems[0]!;
  const where = index === undefined ? '' : ` at proxy ${index + 1}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new FaultlineError('INVALID_INPUT', `${first.message}${where}${more}`, {
    problems,
    where: { path: first.path },
    ...(first.hint ? { hint: first.hint } : {}),
  });
}

function alreadyExists(name: string): FaultlineError {
  return new FaultlineError('ALREADY_EXISTS', 'proxy already exists', { where: { path: 'name' }, hint: `a proxy named "${name}" exists` });
}

function findToxic(entry: Entry, name: string): ToxicSpec {
  const toxic = entry.toxics.find((t) => t.name === name);
  if (!toxic) {
    throw new FaultlineError('NOT_FOUND', 'toxic not found', { where: { path: 'name' }, hint: `proxy "${entry.name}" has no toxic named "${name}"` });
  }
  return toxic;
}

function copyToxic(toxic: ToxicSpec): ToxicSpec {
  return { ...toxic, attributes: { ...toxic.attributes } };
}

function stateOf(entry: Entry): ProxyState {
  return {
    name: entry.name,
    protocol: entry.protocol,
    listen: entry.listen,
    upstream: entry.upstream,
    enabled: entry.enabled,
    ...(entry.protocol === 'udp' ? { session_idle_timeout: entry.sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS } : {}),
    toxics: entry.toxics.map(copyToxic),
  };
}
