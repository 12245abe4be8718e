/**
 * A wire path: two network namespaces of faultline's own, a TUN device in each, and the packet
 * fault engine between the two devices. The workloads talk to the target over a real IP path,
 * so TCP's retransmissions, congestion control and timers are Linux's own.
 *
 *   host namespace: nothing is added to it, no address, route, device or rule
 *
 *   ┌─ fl-<run>-<n>-c (client side) ─────────┐         ┌─ fl-<run>-<n>-t (target side) ─────────┐
 *   │ workload sockets (a worker thread that │         │ the target: a command, the built-in    │
 *   │ entered this namespace)                │         │ echo/sink servers                      │
 *   │ lo · TUN fl<run><n>c 198.18.a.b+1 ─────┼──┐   ┌──┼── TUN fl<run><n>t 198.18.a.b+2 · lo    │
 *   └────────────────────────────────────────┘  │   │  └────────────────────────────────────────┘
 *                                          fd   ▼   ▼  fd
 *                          packet fault engine (native thread): upstream ─▶, ◀─ downstream
 *
 * Each TUN device is point-to-point with the other side's address as its peer, so the one route
 * each side needs is the kernel's own. Addresses come from 198.18.0.0/15 (RFC 2544's benchmark
 * range), four per path; IPv6 is off in both namespaces. Namespaces are created by a thread that
 * unshares (wire_netns.c), not by `ip netns add`: both sides are ready in ~2 ms instead of ~40 ms
 * of `ip` processes, and a namespace nothing refers to any more is gone with its devices. When
 * faultline may (root), it also publishes them under /run/netns so that `ip netns exec
 * fl-…-t ss -tin` shows a live run; run-registry.ts records them first.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { FaultlineError } from '../core/errors.js';
import type { NetworkPlace } from '../core/network-place.js';
import type { KernelCounters } from '../core/proc-net-counters.js';
import type { Rng } from '../core/rng.js';
import { startWorker } from '../workload/servers/start-worker.js';
import { WireFaultEngine } from './engine.js';
import { parseProcNetDev, readKernelCounters, type DeviceCounters } from './kernel-counters.js';
import { wireAddon, type WireAddon } from './native.js';
import { cleanupWire, killProcessesIn, RunRegistry, WIRE_PREFIX, WIRE_RUN_ENV } from './run-registry.js';
import { startSupervisor } from './supervisor.js';

export type WireRole = 'client' | 'target';

/** One side of a path: a network namespace with its TUN device, and a place to run things in. */
export interface WireSide extends NetworkPlace {
  readonly role: WireRole;
  /** The namespace's name, `fl-<run>-<n>-c|t` (published under /run/netns when `published`). */
  readonly namespace: string;
  readonly published: boolean;
  /** A path that names the namespace for nsenter/setns while the path is open. */
  readonly nsPath: string;
  readonly nsFd: number;
  readonly inode: number;
  /** The TUN device's name. */
  readonly device: string;
  /** This side's address; the other side's is `peer`. */
  readonly address: string;
  readonly peer: string;
  /**
   * Starts a command inside this side's namespace (through `nsenter`), marked with the run's id
   * so that a cleanup can tell it from anyone else's. Killed when the path closes.
   */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /**
   * Starts a worker thread that enters this namespace before it loads `moduleUrl` and calls the
   * module's default export with `data`. Sockets it opens live here; connect to IP addresses
   * (name lookups run on libuv's shared thread pool, outside the namespace).
   */
  startWorker(moduleUrl: URL, data?: unknown, options?: WorkerOptions): Worker;
  /** snmp and netstat counters of this namespace, now. */
  kernelCounters(): KernelCounters;
  /** The TUN device's own counters (`txDropped`: packets lost before the engine read them). */
  deviceCounters(): DeviceCounters | undefined;
}

export interface WirePath {
  /** `fl-<run>-<n>` */
  readonly name: string;
  readonly client: WireSide;
  readonly target: WireSide;
  readonly engine: WireFaultEngine;
  readonly mtu: number;
  /** How long creating the path took, ms. */
  readonly setupMs: number;
  /** Removes everything the path created: engine, processes, devices, namespaces. Synchronous, idempotent. */
  close(): void;
}

export interface WirePathOptions {
  /** The engine's random streams fork from it (`fault:NAME`). */
  rng: Rng;
  /** Both TUN devices' MTU, bytes; default 1500. */
  mtu?: number;
  /** Publish the namespaces under /run/netns; default: when permitted (root). */
  publish?: boolean;
}

/** Addresses: path n gets 198.18.0.0 + 4n + 1 (client) and + 2 (target), n < 32768. */
const MAX_PATHS = 32768;

export function pathAddresses(index: number): { client: string; target: string } {
  const base = (198 << 24) + (18 << 16) + 4 * index;
  const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return { client: ip(base + 1), target: ip(base + 2) };
}

/** This process's wire run: its id, its record, and its open paths. */
class WireRun {
  readonly runId = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6);
  readonly registry = new RunRegistry(this.runId);
  readonly open = new Set<WirePath>();
  nextIndex = 0;
  private supervised = false;

  superviseOnce(): void {
    if (this.supervised) return;
    this.supervised = true;
    startSupervisor(this.registry.file);
  }
}

let run: WireRun | undefined;

function currentRun(): WireRun {
  if (run) return run;
  // Leftovers of runs that were killed before anyone cleaned up: theirs, never a live run's.
  cleanupWire();
  run = new WireRun();
  // close() is synchronous so that this hook can do it all: a normal exit, process.exit() after
  // SIGINT, and an uncaught error all pass here. Only a kill leaves it to the supervisor.
  process.on('exit', () => {
    for (const path of run?.open ?? []) path.close();
  });
  return run;
}

/** Creates a wire path. Needs what probeWire() checks; throws ENVIRONMENT naming what is missing. */
export function createWirePath(options: WirePathOptions): WirePath {
  const started = performance.now();
  const addon = wireAddon();
  const wire = currentRun();
  const index = wire.nextIndex++;
  if (index >= MAX_PATHS) throw new FaultlineError('ENVIRONMENT', `a run can have at most ${MAX_PATHS} wire paths`);
  const mtu = options.mtu ?? 1500;
  const name = `${WIRE_PREFIX}-${wire.runId}-${index}`;
  const addresses = pathAddresses(index);
  const sides: CreatedSide[] = [];
  const cleanups = new Teardown();
  try {
    for (const role of ['client', 'target'] as const) {
      const address = role === 'client' ? addresses.client : addresses.target;
      const peer = role === 'client' ? addresses.target : addresses.client;
      sides.push(createSide(addon, wire, `${name}-${role[0]}`, `${WIRE_PREFIX}${wire.runId}${index}${role[0]}`, role, address, peer, mtu, options.publish, cleanups));
    }
    const [client, target] = sides as [CreatedSide, CreatedSide];
    const engine = new WireFaultEngine(addon, client.tunFd, target.tunFd, options.rng);
    cleanups.engine.push(() => engine.close());
    let closed = false;
    const path: WirePath = {
      name,
      client: client.side,
      target: target.side,
      engine,
      mtu,
      setupMs: performance.now() - started,
      close() {
        if (closed) return;
        closed = true;
        wire.open.delete(path);
        cleanups.run(addon);
      },
    };
    wire.open.add(path);
    wire.superviseOnce();
    return path;
  } catch (error) {
    cleanups.run(addon);
    throw environmentError(error, name);
  }
}

/** One side of a path, and its TUN device's descriptor (for the engine; the cleanups close it). */
interface CreatedSide {
  side: WireSide;
  tunFd: number;
}

function createSide(
  addon: WireAddon,
  wire: WireRun,
  namespace: string,
  device: string,
  role: WireRole,
  address: string,
  peer: string,
  mtu: number,
  publish: boolean | undefined,
  cleanups: Teardown,
): CreatedSide {
  const created = addon.createSide({ name: device, address, peer, mtu });
  const { nsFd, tunFd, inode } = created;
  const children = new Set<ChildProcess>();
  const workers = new Set<Worker>();
  let published: string | undefined;
  // Undone in reverse: whatever runs inside first, then the name, then the descriptors.
  cleanups.tuns.push(tunFd);
  cleanups.descriptors.push(() => closeSync(nsFd));
  if (publish !== false) published = publishNamespace(addon, wire, namespace, nsFd, inode, publish === true);
  else wire.registry.add({ name: namespace, inode });
  cleanups.names.push(() => {
    if (published) {
      addon.unmount(published);
      rmSync(published, { force: true });
    }
    wire.registry.remove(namespace);
  });
  cleanups.processes.push(() => {
    for (const worker of workers) void worker.terminate();
    for (const child of children) child.kill('SIGKILL');
    killProcessesIn(inode);
  });
  const nsPath = published ?? `/proc/${process.pid}/fd/${nsFd}`;
  const side: WireSide = {
    description: `the ${role} side of wire path ${namespace.slice(0, -2)} (${namespace})`,
    role,
    namespace,
    published: published !== undefined,
    nsPath,
    nsFd,
    inode,
    device,
    address,
    peer,
    spawn(command, args, options = {}) {
      const child = spawn('nsenter', [`--net=${nsPath}`, '--', command, ...args], {
        ...options,
        env: { ...(options.env ?? process.env), [WIRE_RUN_ENV]: wire.runId },
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    startWorker(moduleUrl, data, options = {}) {
      const worker = startWorker(new URL('./side-worker.js', import.meta.url), { ...options, workerData: { nsFd, moduleUrl: moduleUrl.href, data } });
      workers.add(worker);
      worker.on('exit', () => workers.delete(worker));
      return worker;
    },
    openSocket(protocol, bind) {
      return addon.openSocket(nsFd, protocol, bind?.host ?? null, bind?.port ?? 0);
    },
    readProcNet: (name) => addon.readNetFile(nsFd, name),
    tcpInfo: (fd) => addon.tcpInfo(fd),
    kernelCounters: () => readKernelCounters(addon, nsFd),
    deviceCounters: () => parseProcNetDev(addon.readNetFile(nsFd, 'dev'), device),
  };
  return { side, tunFd };
}

/**
 * Publishes the namespace as /run/netns/<name>, recording it first. Returns the path, or
 * undefined when this process may not (rootless), unless `required`.
 */
function publishNamespace(addon: WireAddon, wire: WireRun, name: string, nsFd: number, inode: number, required: boolean): string | undefined {
  const path = `/run/netns/${name}`;
  try {
    mkdirSync('/run/netns', { recursive: true, mode: 0o755 });
    writeFileSync(path, '', { flag: 'wx', mode: 0 });
  } catch (error) {
    if (required) throw error;
    wire.registry.add({ name, inode });
    return undefined;
  }
  wire.registry.add({ name, inode, published: path });
  try {
    addon.bindMount(`/proc/self/fd/${nsFd}`, path);
    return path;
  } catch (error) {
    rmSync(path, { force: true });
    wire.registry.remove(name);
    wire.registry.add({ name, inode });
    if (required) throw error;
    return undefined;
  }
}

/**
 * What a path undoes, in this order: the engine stops reading the devices; whatever runs inside
 * the namespaces goes; the TUN devices close (both at once: each waits for RCU on its own); the
 * published names go; the namespaces' descriptors close, and the kernel frees them. Every step
 * runs even if one before it failed.
 */
class Teardown {
  readonly engine: Array<() => void> = [];
  readonly processes: Array<() => void> = [];
  readonly tuns: number[] = [];
  readonly names: Array<() => void> = [];
  readonly descriptors: Array<() => void> = [];

  run(addon: WireAddon): void {
    const tuns = this.tuns.splice(0);
    const steps = [...this.engine, ...this.processes, () => addon.closeTogether(tuns), ...this.names, ...this.descriptors];
    for (const list of [this.engine, this.processes, this.names, this.descriptors]) list.length = 0;
    const failures: unknown[] = [];
    for (const step of steps) {
      try {
        step();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'faultline: removing a wire path failed');
  }
}

/** Turns a kernel refusal into the ENVIRONMENT error a user can act on. */
function environmentError(error: unknown, name: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.errno !== 'number') return error;
  const errno = -e.errno;
  const syscall = (e.syscall ?? '').toLowerCase();
  const what =
    errno === 1 || errno === 13
      ? syscall.includes('tun')
        ? '/dev/net/tun cannot be opened: run as root, or rootless where /dev/net/tun is readable and writable by everyone (mode 0666)'
        : 'creating network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN: run as root, or in a user namespace of your own (unshare --user --map-root-user)'
      : errno === 2 && syscall.includes('tun')
        ? 'there is no /dev/net/tun (the kernel needs CONFIG_TUN)'
        : `${e.message}`;
  return new FaultlineError('ENVIRONMENT', `cannot create wire path ${name}: ${what}`, { cause: error, hint: 'faultline wire probe says what this machine supports' });
}
