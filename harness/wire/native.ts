/**
 * The wire layer's view of the native addon (harness/proxy/native: wire_netns.c and
 * wire_engine.c, built into the same `faultline_udp` addon as the UDP socket I/O). Loaded once per
 * thread that asks; a worker thread loads its own instance, which is how it can enter a
 * namespace (enterNetns acts on the calling thread only).
 */
import { requireAddon } from '../core/addon-path.js';

export interface NativeSide {
  nsFd: number;
  /** -1 when no TUN device was asked for. */
  tunFd: number;
  /** The namespace's inode: `/proc/PID/ns/net` of a process inside links to `net:[inode]`. */
  inode: number;
}

export interface NativeTunOptions {
  name: string;
  address: string;
  peer: string;
  mtu: number;
}

export interface NativeFaultSpec {
  type: string;
  /** 0 upstream, 1 downstream */
  direction: 0 | 1;
  /** 0 any, 6 tcp, 17 udp */
  protocol: 0 | 6 | 17;
  /** 0 any */
  port: number;
  toxicity: number;
  /** Four 32-bit words: the fault's xoshiro128** state. */
  seed: number[];
  attributes: Record<string, number>;
}

export interface NativeWireEngine {
  setFault(id: number, spec: NativeFaultSpec): number;
  removeFault(id: number): void;
  ledger(): Float64Array;
  events(): { data: Float64Array; lost: number };
  capture(inPath: string | null, outPath?: string): void;
  keepRecent(bytes: number): void;
  saveRecent(inPath: string, outPath: string): void;
  close(): void;
}

/** The names behind the engine's ledger() and events() arrays, from the addon itself. */
export interface WireLayout {
  protocols: string[];
  directionCounters: string[];
  faultCounters: string[];
  faultTypes: string[];
  eventFields: string[];
}

/** The kernel's struct tcp_info for one socket (µs where the kernel keeps µs). */
export type TcpInfo = Record<string, number>;

export interface WireAddon {
  /** Creates a namespace (or enters `joinNsFd`) and, given `tun`, a configured TUN device in it. */
  createSide(tun: NativeTunOptions | null, joinNsFd?: number): NativeSide;
  enterNetns(nsFd: number): void;
  /** An IPv4 socket created inside the namespace, bound when given an address (port 0: a free one). */
  openSocket(nsFd: number, kind: 'tcp' | 'udp', address: string | null, port: number): { fd: number; port: number };
  readNetFile(nsFd: number, name: string): string;
  bindMount(source: string, target: string): void;
  unmount(target: string): void;
  namespaceInode(fd: number): number;
  tcpInfo(socketFd: number): TcpInfo;
  /** Closes descriptors in parallel: each TUN device's unregistration waits for RCU on its own. */
  closeTogether(fds: number[]): void;
  WireEngine: new (clientTunFd: number, targetTunFd: number) => NativeWireEngine;
  wireLayout: WireLayout;
  monotonicMs(): number;
}

let loaded: { addon?: WireAddon; problem?: string } | undefined;

/** The addon's wire functions, or why they are unavailable. */
export function loadWireAddon(): { addon?: WireAddon; problem?: string } {
  loaded ??= load();
  return loaded;
}

function load(): { addon?: WireAddon; problem?: string } {
  const { addon, path, problem } = requireAddon<Partial<WireAddon>>({
    linuxOnly: 'the wire layer is Linux-only',
    notBuilt: 'the native addon was not built (see the install output of harness/proxy/native/build.mjs)',
  });
  if (!addon) return { problem: problem! };
  if (typeof addon.createSide !== 'function' || typeof addon.WireEngine !== 'function') {
    return { problem: `${path} has no wire functions: rebuild it (npm rebuild, or node harness/proxy/native/build.mjs)` };
  }
  return { addon: addon as WireAddon };
}

/** The addon, for code that already checked availability (probeWire); throws otherwise. */
export function wireAddon(): WireAddon {
  const { addon, problem } = loadWireAddon();
  if (!addon) throw new Error(`wire layer unavailable: ${problem}`);
  return addon;
}
