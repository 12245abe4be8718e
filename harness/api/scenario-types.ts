/**
 * A scenario written in code, typed: the keys and values of the file format (docs/scenarios.md),
 * so `run({ name, targets, workloads, … })` reads like the YAML it stands for and is validated by
 * the same loader, with the same words. Workload types, workload options and toxics come from
 * their definitions (a new one is typed here as it is registered); durations, sizes and rates are
 * the file format's strings (`'250ms'`, `'64KiB'`, `'100/s'`).
 */
import type { Protocol } from '../core/spec.js';
import type { WorkloadOption } from '../workload/definition.js';
import type { WorkloadTypeName } from '../workload/registry.js';
import type { AnyToxicOptions } from './toxic-types.js';

/** `500us`, `250ms`, `2s`, `1.5s`, `1m`, `1h`: a unit is required. */
export type Duration = `${number}${'us' | 'µs' | 'ms' | 's' | 'm' | 'h'}`;
type SizeUnit = 'B' | 'KB' | 'MB' | 'GB' | 'KiB' | 'MiB' | 'GiB';
/** Bytes, or a size with a unit: `512B`, `64KB` (1000), `64KiB` (1024), `10MB`. */
export type ByteSize = number | `${number}${SizeUnit}`;
/** Messages per second (`'100/s'`), `'max'`, or (tcp-stream) a byte rate (`'10MB/s'`). */
export type Rate = 'max' | `${number}/s` | `${number}${SizeUnit}/s`;

/** The systems under test: a built-in server, a command faultline starts, or an address already listening. */
export type ScenarioTarget =
  | { builtin: 'echo' | 'sink' }
  | {
      /** A string (split as a POSIX shell would, but no shell runs it) or the arguments. `{tcp_port}`, `{udp_port}` are substituted. */
      command: string | string[];
      cwd?: string;
      env?: Record<string, string | number | boolean>;
      tcp?: number | 'auto';
      udp?: number | 'auto';
      ready?: { tcp: true } | { stdout: string };
      ready_timeout?: Duration;
    }
  | { address: string; tcp?: number; udp?: number };

export type ScenarioProxy = {
  /** Default `tcp`. */
  protocol?: Protocol;
  /** Default `127.0.0.1:0`. */
  listen?: string;
  /** UDP only. Default `60s`. */
  session_idle_timeout?: Duration;
} & ({ target: string } | { upstream: string });

/** One request of a raw workload: exactly one `send*`, at most one `expect*`. */
export interface RawRequestOptions {
  send?: string;
  send_hex?: string;
  send_file?: string;
  expect?: string;
  expect_hex?: string;
  expect_prefix?: string;
  expect_regex?: string;
}

/** Every workload option (docs/scenarios.md, "Workloads"); which ones a type takes is checked when it loads. */
export interface WorkloadOptions {
  rate?: Rate;
  connections?: number;
  start?: Duration;
  timeout?: Duration;
  duration?: Duration;
  messages?: number;
  size?: ByteSize | { min: ByteSize; max: ByteSize };
  bytes?: ByteSize;
  connect_timeout?: Duration;
  requests?: RawRequestOptions[];
  repeat?: number;
  framing?: 'newline' | { length_prefix: 1 | 2 | 4 } | { length: ByteSize } | { idle: Duration };
  attempts?: number;
}

// Every option the workload definitions take is typed above, and nothing else: a new option
// stops the compiler here until it is.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
type WorkloadOptionsCoverEveryOption = Holds<Same<keyof WorkloadOptions, WorkloadOption>>;

export type ScenarioWorkload = WorkloadOptions & { type: WorkloadTypeName } & ({ via: string } | { target: string });

/** A fault: a toxic, or the proxy taken down, on one or more proxies, from `at` for `for`. */
export type ScenarioFault = { proxy: string | string[]; at?: Duration; for?: Duration } & ({ toxic: AnyToxicOptions } | { down: true });

/** A check: `'delivered'`, `'rtt_ms p(99) < 50'`, or the k6 style `{ rtt_ms: 'p(99) < 50' }` (docs/assertions.md). */
export type ScenarioCheck = string | Record<string, string | string[]>;

export interface Scenario {
  /** Unique within a run: letters, digits, `-`, `_`, `.`. */
  name: string;
  description?: string;
  tags?: string[];
  /** Fixes this scenario's randomness whatever the run's seed. */
  seed?: number;
  /** Default `60s`. */
  timeout?: Duration;
  /** `fail`: it demonstrates a bug, and passes when its assertions fail. */
  expect?: 'pass' | 'fail';
  targets: Record<string, ScenarioTarget>;
  proxies?: Record<string, ScenarioProxy>;
  workloads: Record<string, ScenarioWorkload>;
  faults?: ScenarioFault[];
  assert?: Record<string, ScenarioCheck[]>;
  compare?: string[];
}
