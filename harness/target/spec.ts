/**
 * Resolved target options (docs/scenarios.md, "Targets"): what the scenario loader produces and
 * what target/ starts. Durations in ms, paths absolute.
 */
import type { TargetOutput } from '../core/result.js';

export type PortSpec = number | 'auto';

export type ReadySpec = { kind: 'tcp' } | { kind: 'stdout'; pattern: RegExp };

export interface BuiltinTargetSpec {
  name: string;
  kind: 'builtin';
  server: 'echo' | 'sink';
}

export interface CommandTargetSpec {
  name: string;
  kind: 'command';
  /**
   * argv[0] is the program. Placeholders are substituted at start: `{tcp_port}` / `{udp_port}`
   * (its own ports) and `{proxy:NAME}` (where proxy NAME listens, `host:port`).
   */
  argv: string[];
  /** Absolute working directory. */
  cwd: string;
  env: Record<string, string>;
  tcp?: PortSpec;
  udp?: PortSpec;
  ready: ReadySpec;
  readyTimeoutMs: number;
}

/** `{proxy:NAME}` in a command: where the scenario's proxy NAME listens (`host:port`). */
export const PROXY_PLACEHOLDER = /\{proxy:([^{}]*)\}/g;

/** The proxy names a command's `{proxy:NAME}` placeholders refer to, in order, without repeats. */
export function proxyPlaceholders(argv: readonly string[]): string[] {
  const names = new Set<string>();
  for (const arg of argv) for (const match of arg.matchAll(PROXY_PLACEHOLDER)) names.add(match[1]!);
  return [...names];
}

export interface AddressTargetSpec {
  name: string;
  kind: 'address';
  host: string;
  tcp?: number;
  udp?: number;
}

export type TargetSpec = BuiltinTargetSpec | CommandTargetSpec | AddressTargetSpec;

/** Where a started target serves. */
export interface TargetEndpoints {
  host: string;
  tcp?: number;
  udp?: number;
}

export interface RunningTarget {
  readonly name: string;
  readonly endpoints: TargetEndpoints;
  /** Stops it (a command's whole process group) and returns its captured output. Idempotent. */
  stop(): Promise<TargetOutput>;
}
