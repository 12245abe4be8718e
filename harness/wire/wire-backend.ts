/**
 * The wire layer as a ProxyBackend (core/backend.ts): the runner drives wire paths through the
 * same seam as proxies. A wire path is a "proxy" without a listener: `paths.create` makes its two
 * namespaces and the engine between them before its target starts (the target then runs on the
 * target side), and from there on its faults, ledger and removal go through the ordinary methods,
 * by the path's name.
 *
 *   paths.create(name) ──▶ createWirePath: client side · engine · target side
 *                          + capture: every packet to pcap (`all`), or the recent ones in memory
 *                          + kernel and device counters, as they were
 *   addToxic / updateToxic / removeToxic ──▶ engine faults (toxics/wire: validation, effects)
 *   updateProxy({ enabled: false })      ──▶ a partition: a blackhole on each direction
 *   ledger(name)   ──▶ the engine's ledger in ProxyLedger's shape (protocol `ip`; summed over
 *                      TCP, UDP and other; the partition's drops as `dropped_down`)
 *   paths.report() ──▶ PathResult: kernel counters per side, device drops, the ledger per
 *                      protocol, pcap files, time–sequence data of the TCP flows
 *
 * Its capabilities: TCP and UDP, a ledger, segment-level TCP faults, and the wire fault types
 * (TCP has them all, UDP all but `reset`). A path's ProxyState has protocol `ip` and its sides'
 * addresses with port 0 for listen and upstream: it carries every port of both protocols.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendCapabilities, PathControl, PathOptions, ProxyBackend } from '../core/backend.js';
import { FaultlineError } from '../core/errors.js';
import { bump, LedgerCounter, type Counters, type LedgerEvent, type ProxyLedger, type ToxicLedger } from '../core/ledger.js';
import type { PathEnds } from '../core/network-place.js';
import type { KernelCounters } from '../core/proc-net-counters.js';
import type { PathResult } from '../core/result.js';
import { createRng, type Rng } from '../core/rng.js';
import { DIRECTIONS, type Direction, type ProxyInput, type ProxyPatch, type ProxyState, type ToxicPatch, type ToxicSpec } from '../core/spec.js';
import { wireFaultTypes } from '../toxics/wire/fault-types.js';
import type { WireFaultInput } from '../toxics/wire/resolve-fault.js';
import { WIRE_PACKET_PROTOCOLS, type WireLedger, type WirePacketProtocol } from './engine.js';
import { diffKernelCounters, summarizeKernelCounters } from './kernel-counters.js';
import type { WireLayout } from './native.js';
import { readPcap } from './pcap-reader.js';
import { buildTcpTraces } from './tcp-trace.js';
import { createWirePath, type WirePath } from './topology.js';

/** Bytes of each of the two captures kept in memory for a scenario that fails. */
export const RECENT_CAPTURE_BYTES = 16 << 20;

/** Names of the two blackhole faults that take a path down; fault names users write cannot start with `(`. */
const DOWN_PREFIX = '(down)';

export interface WireBackendOptions {
  /** Each path's engine draws from `seed` forked by `path:<name>`. */
  seed: number;
}

interface OpenPath {
  wire: WirePath;
  kernelBefore: { client: KernelCounters; target: KernelCounters };
  devicesBefore: { client: number; target: number };
  capture: { mode: 'all' | 'on-failure'; dir: string; entered: string; left: string } | undefined;
}

export function createWireBackend(options: WireBackendOptions): WireBackend {
  return new WireBackend(createRng(options.seed));
}

export class WireBackend implements ProxyBackend {
  readonly kind = 'wire';
  readonly capabilities: BackendCapabilities = {
    protocols: ['tcp', 'udp'],
    ledger: true,
    tcpFaultLevel: 'segment',
    // The reset fault forges an RST into a live connection, whenever it began.
    resetsOpenConnections: true,
    toxics: { tcp: wireFaultTypes.map((t) => t.type), udp: wireFaultTypes.filter((t) => !t.tcpOnly).map((t) => t.type) },
  };
  readonly paths: PathControl = {
    create: async (name, options) => this.createPath(name, options),
    report: async (name, options) => this.report(name, options),
    saveCapture: async (name) => this.saveCapture(name),
  };
  private readonly open = new Map<string, OpenPath>();

  constructor(private readonly rng: Rng) {}

  private createPath(name: string, options: PathOptions): PathEnds {
    if (this.open.has(name)) throw new FaultlineError('ALREADY_EXISTS', `wire path "${name}" already exists`);
    const wire = createWirePath({ rng: this.rng.fork(`path:${name}`), ...(options.mtu !== undefined ? { mtu: options.mtu } : {}) });
    try {
      let capture: OpenPath['capture'];
      if (options.capture) {
        const { mode, dir } = options.capture;
        capture = { mode, dir, entered: join(dir, `${name}.entered.pcap`), left: join(dir, `${name}.left.pcap`) };
        if (mode === 'all') {
          mkdirSync(dir, { recursive: true });
          wire.engine.startCapture(capture.entered, capture.left);
        }
      }
      if (capture?.mode !== 'all') wire.engine.keepRecent(RECENT_CAPTURE_BYTES);
      this.open.set(name, {
        wire,
        kernelBefore: { client: wire.client.kernelCounters(), target: wire.target.kernelCounters() },
        devicesBefore: { client: txDropped(wire, 'client'), target: txDropped(wire, 'target') },
        capture,
      });
    } catch (error) {
      wire.close();
      throw error;
    }
    return { client: wire.client, target: wire.target };
  }

  private report(name: string, options: { originNs: number }): PathResult {
    const path = this.path(name);
    const { wire } = path;
    const ledger = wire.engine.ledger();
    const result: PathResult = {
      proxy: name,
      namespaces: { client: wire.client.namespace, target: wire.target.namespace },
      addresses: { client: wire.client.address, target: wire.target.address },
      mtu: wire.mtu,
      kernel: {
        client: summarizeKernelCounters(diffKernelCounters(path.kernelBefore.client, wire.client.kernelCounters())),
        target: summarizeKernelCounters(diffKernelCounters(path.kernelBefore.target, wire.target.kernelCounters())),
      },
      deviceDrops: { client: txDropped(wire, 'client') - path.devicesBefore.client, target: txDropped(wire, 'target') - path.devicesBefore.target },
      protocols: countersByProtocol(ledger, actionCounters(wire.engine.layout)),
    };
    if (path.capture?.mode === 'all') {
      wire.engine.stopCapture();
      result.capture = { entered: path.capture.entered, left: path.capture.left, scope: 'all' };
    }
    // No TCP packet crossed: no trace to draw, so no capture to read nor recent packets to copy out.
    if (!DIRECTIONS.some((d) => (ledger.directions[d].tcp.seen ?? 0) > 0)) return result;
    // The packets to draw from: the whole capture, or the recent ones, read from a scratch copy.
    let entered: string;
    let discard: (() => void) | undefined;
    if (path.capture?.mode === 'all') {
      entered = path.capture.entered;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-trace-'));
      discard = () => rmSync(dir, { recursive: true, force: true });
      entered = join(dir, 'entered.pcap');
      wire.engine.saveRecent(entered, join(dir, 'left.pcap'));
    }
    try {
      const traces = buildTcpTraces(readPcap(entered), ledger.events, {
        originNs: options.originNs,
        // performance.now() + timeOrigin is wall-clock time, + clockOffsetMs monotonic time.
        captureClockOffsetNs: (performance.timeOrigin - wire.engine.clockOffsetMs) * 1e6,
        clientAddress: wire.client.address,
        eventClockOffsetMs: wire.engine.clockOffsetMs,
      });
      if (traces.length > 0) result.tcpTraces = traces;
    } finally {
      discard?.();
    }
    return result;
  }

  private saveCapture(name: string): { entered: string; left: string } | undefined {
    const { wire, capture } = this.path(name);
    if (capture?.mode !== 'on-failure') return undefined;
    mkdirSync(capture.dir, { recursive: true });
    wire.engine.saveRecent(capture.entered, capture.left);
    return { entered: capture.entered, left: capture.left };
  }

  /**
   * A wire path with default options, for API users: `{ name, protocol: 'ip' }` (the protocol may
   * be left out); a wire path has no listen address or upstream to give.
   */
  async createProxy(input: ProxyInput): Promise<ProxyState> {
    const { name, protocol, ...rest } = input;
    const problems: string[] = [];
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name)) problems.push(`name must be letters, digits, "_", "." or "-", got ${JSON.stringify(name)}`);
    if (protocol !== undefined && protocol !== 'ip') problems.push(`a wire path carries TCP and UDP alike: protocol must be "ip" or absent, got ${JSON.stringify(protocol)}`);
    const extra = Object.entries(rest).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (extra.length > 0) problems.push(`a wire path takes no ${extra.join(', ')}: it has no listener and no upstream`);
    if (problems.length > 0) throw new FaultlineError('INVALID_INPUT', `wire path: ${problems.join('; ')}`);
    this.createPath(name as string, {});
    return this.state(name as string);
  }

  async populate(inputs: ProxyInput[]): Promise<ProxyState[]> {
    const states: ProxyState[] = [];
    for (const input of inputs) {
      if (typeof input.name === 'string' && this.open.has(input.name)) await this.deleteProxy(input.name);
      states.push(await this.createProxy(input));
    }
    return states;
  }

  async getProxy(name: string): Promise<ProxyState> {
    return this.state(name);
  }

  async listProxies(): Promise<ProxyState[]> {
    return [...this.open.keys()].map((name) => this.state(name));
  }

  /** `enabled: false` partitions the path (a blackhole each way); `enabled: true` heals it. */
  async updateProxy(name: string, patch: ProxyPatch): Promise<ProxyState> {
    const { engine } = this.path(name).wire;
    const { enabled, ...rest } = patch;
    if (Object.values(rest).some((v) => v !== undefined) || typeof enabled !== 'boolean') {
      throw new FaultlineError('INVALID_INPUT', `a wire path can only be taken down and up (enabled: true | false), got ${JSON.stringify(patch)}`);
    }
    const down = isDown(engine.faults());
    if (!enabled && !down) for (const stream of DIRECTIONS) engine.addFault({ name: `${DOWN_PREFIX}${stream}`, type: 'blackhole', stream });
    if (enabled && down) for (const stream of DIRECTIONS) engine.removeFault(`${DOWN_PREFIX}${stream}`);
    return this.state(name);
  }

  private state(name: string): ProxyState {
    const { wire } = this.path(name);
    const faults = wire.engine.faults();
    return {
      name,
      protocol: 'ip',
      listen: `${wire.client.address}:0`,
      upstream: `${wire.target.address}:0`,
      enabled: !isDown(faults),
      toxics: faults.filter((f) => !f.name.startsWith(DOWN_PREFIX)),
    };
  }

  async deleteProxy(name: string): Promise<void> {
    this.path(name).wire.close();
    this.open.delete(name);
  }

  /** A toxic's shape plus the packet match (`protocol`, `port`): toxics/wire/resolve-fault.ts. */
  async addToxic(name: string, input: WireFaultInput): Promise<ToxicSpec> {
    if (typeof input.name === 'string' && input.name.startsWith('(')) {
      throw new FaultlineError('INVALID_TOXIC_ATTRIBUTE', `wire fault names cannot start with "(" (got "${input.name}"): such names are faultline's own`);
    }
    return this.path(name).wire.engine.addFault(input);
  }

  async getToxic(name: string, toxic: string): Promise<ToxicSpec> {
    const found = this.path(name).wire.engine.faults().find((f) => f.name === toxic);
    if (!found) throw new FaultlineError('NOT_FOUND', `wire fault "${toxic}" does not exist on path "${name}"`);
    return found;
  }

  async updateToxic(name: string, toxic: string, patch: ToxicPatch): Promise<ToxicSpec> {
    return this.path(name).wire.engine.updateFault(toxic, patch);
  }

  async removeToxic(name: string, toxic: string): Promise<void> {
    this.path(name).wire.engine.removeFault(toxic);
  }

  async reset(): Promise<void> {
    // Every fault goes, the partition's blackholes too: every path is up again.
    for (const { wire } of this.open.values()) for (const fault of wire.engine.faults()) wire.engine.removeFault(fault.name);
  }

  async ledger(name: string): Promise<ProxyLedger> {
    return proxyLedger(name, this.path(name).wire.engine.ledger());
  }

  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const { wire } of this.open.values()) {
      try {
        wire.close();
      } catch (error) {
        failures.push(error);
      }
    }
    this.open.clear();
    if (failures.length > 0) throw new AggregateError(failures, 'faultline: closing wire paths failed');
  }

  private path(name: string): OpenPath {
    const path = this.open.get(name);
    if (!path) throw new FaultlineError('NOT_FOUND', `wire path "${name}" does not exist`, { hint: `paths: ${[...this.open.keys()].join(', ') || 'none'}` });
    return path;
  }
}

function isDown(faults: ReadonlyArray<{ name: string }>): boolean {
  return faults.some((f) => f.name.startsWith(DOWN_PREFIX));
}

function txDropped(wire: WirePath, side: 'client' | 'target'): number {
  return wire[side].deviceCounters()?.txDropped ?? 0;
}

/** Fault-level counters that say what a fault did to packets: all the engine's but how many it saw and how often it was active. */
function actionCounters(layout: WireLayout): string[] {
  return layout.faultCounters.filter((name) => name !== LedgerCounter.seen && name !== LedgerCounter.activations);
}

/** The engine's ledger as a ProxyLedger: summed over protocols, the partition as `dropped_down`. */
export function proxyLedger(name: string, ledger: WireLedger): ProxyLedger {
  const directions = {} as Record<Direction, Counters>;
  for (const direction of DIRECTIONS) directions[direction] = sumProtocols(ledger.directions[direction]);
  const toxics: ToxicLedger[] = [];
  for (const fault of ledger.faults) {
    const counters = sumProtocols(fault.counters);
    if (fault.name.startsWith(DOWN_PREFIX)) {
      add(directions[fault.stream], LedgerCounter.droppedDown, counters.dropped_blackhole ?? 0);
      continue;
    }
    toxics.push({ name: fault.name, type: fault.type, stream: fault.stream, counters });
  }
  const events: LedgerEvent[] = ledger.events.map((e) => {
    const down = e.fault.startsWith(DOWN_PREFIX);
    return {
      atMs: e.atMs,
      direction: e.direction,
      ...(down ? {} : { toxic: e.fault }),
      action: down ? LedgerCounter.droppedDown : e.action,
      datagram: e.packet,
      bytes: e.bytes,
    };
  });
  return { proxy: name, protocol: 'ip', counters: {}, directions, toxics, events, eventsDropped: ledger.eventsDropped };
}

/**
 * Direction counters per transport, with what the faults did to that transport's packets added
 * in: `udp.upstream.dropped_loss` is every upstream UDP packet a loss fault dropped.
 */
function countersByProtocol(ledger: WireLedger, actions: readonly string[]): PathResult['protocols'] {
  const out: PathResult['protocols'] = {};
  for (const protocol of WIRE_PACKET_PROTOCOLS) {
    const byDirection = {} as Record<Direction, Counters>;
    for (const direction of DIRECTIONS) byDirection[direction] = { ...ledger.directions[direction][protocol] };
    for (const fault of ledger.faults) {
      const counters = fault.counters[protocol];
      for (const name of actions) {
        const target = fault.name.startsWith(DOWN_PREFIX) && name === 'dropped_blackhole' ? LedgerCounter.droppedDown : name;
        add(byDirection[fault.stream], target, counters[name] ?? 0);
      }
    }
    out[protocol] = byDirection;
  }
  return out;
}

function sumProtocols(byProtocol: Record<WirePacketProtocol, Counters>): Counters {
  const sum: Counters = {};
  for (const protocol of WIRE_PACKET_PROTOCOLS) for (const [name, value] of Object.entries(byProtocol[protocol])) add(sum, name, value);
  return sum;
}

/** bump(), leaving a counter that did not move absent (as ledgers do). */
function add(counters: Counters, name: string, value: number): void {
  if (value !== 0) bump(counters, name, value);
}
