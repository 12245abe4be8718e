/**
 * One definition per workload type: everything the rest of faultline needs to know about it, in
 * the file that implements it, registered by name in registry.ts the way toxics are.
 *
 *   definition ──▶ scenario loader   which keys it takes (scenario file, JSON Schema, did-you-mean),
 *              │                     how its own options load (`load`), what the end of its path must be (`shape`)
 *              ├─▶ runner            how it runs (`run`), which protocol's endpoint it sends to
 *              ├─▶ assertions        which metrics it records (checks on others are errors), its shape
 *              │                     (which directions of a proxy its traffic crosses)
 *              └─▶ docs and tests    `summary`, `example` (a tiny run every test suite can do)
 *
 * Protocol and shape are declared, never read off the type's name.
 */
import type { Protocol } from '../core/spec.js';
import type { WorkloadResult, WorkloadShape } from '../core/result.js';
import type { WorkloadContext } from './context.js';
import type { Framing, RawRequest, WorkloadCommon } from './spec.js';

/**
 * Every option key a workload type may take, besides `type` and its route (`via` or `target`).
 * The scenario loader reads the common ones itself (resolved into WorkloadCommon); a type reads
 * its own in `load`. A new key also needs its JSON Schema in scenario/schema.ts (a test says so).
 */
export const WORKLOAD_OPTIONS = [
  'rate',
  'connections',
  'start',
  'timeout',
  'duration',
  'messages',
  'size',
  'bytes',
  'connect_timeout',
  'requests',
  'repeat',
  'framing',
  'attempts',
] as const;

export type WorkloadOption = (typeof WORKLOAD_OPTIONS)[number];

/** Options every type takes. */
export const COMMON_OPTIONS = ['rate', 'connections', 'start', 'timeout', 'duration'] as const satisfies readonly WorkloadOption[];
/** Framed workloads: how many messages, how big. */
export const FRAMED_OPTIONS = ['messages', 'size'] as const satisfies readonly WorkloadOption[];
/** Raw workloads: the requests list and how often to send it. */
export const RAW_OPTIONS = ['requests', 'repeat'] as const satisfies readonly WorkloadOption[];

/**
 * What a type's `load` reads its own options with. The scenario loader implements it over the
 * YAML document; every reader returns the value, or undefined after recording a problem that
 * points at the key (absent keys are undefined without a problem).
 */
export interface WorkloadOptionReader {
  has(key: WorkloadOption): boolean;
  /** An integer ≥ 1. */
  count(key: WorkloadOption): number | undefined;
  /** A size (`64KiB`, `1MB`) in bytes. */
  byteSize(key: WorkloadOption): number | undefined;
  /** A raw workload's `requests` list, checked against the type's protocol. */
  requests(): RawRequest[] | undefined;
  /** `framing`, defaulting to newline. */
  framing(): Framing | undefined;
  /** Records a problem at `key` (or at the workload when it is absent); returns undefined. */
  problem(key: WorkloadOption, message: string, hint?: string): undefined;
}

/** A resolved workload: the common options, the type's name and its own options. */
export type WorkloadSpecBase = WorkloadCommon & { type: string };

export interface WorkloadDefinition<S extends WorkloadSpecBase = WorkloadSpecBase> {
  type: S['type'];
  protocol: Protocol;
  shape: WorkloadShape;
  /** One line for the JSON Schema, `faultline schema` and docs. */
  summary: string;
  /** The keys it takes (COMMON_OPTIONS are not implied: list them). */
  options: readonly WorkloadOption[];
  /**
   * Keys of which a scenario may give at most one, saying how much to send; with none given,
   * `messages` defaults when the type takes it. Default: `messages` and `duration`.
   */
  amount?: readonly WorkloadOption[];
  /** Payload bytes per message when `size` is absent. Default 64; types without `size` send none. */
  defaultSizeBytes?: number;
  /** Whether `rate` may be a byte rate (`10MB/s`), handed to `load` as `common.rateBytesPerSec`. */
  byteRate?: boolean;
  /** Why a key it does not take is wrong here, when "applies to X only" would not say enough. */
  rejects?: Partial<Record<WorkloadOption, string>>;
  /** Reads the type's own options on top of the common ones; undefined after reporting a problem. */
  load(options: WorkloadOptionReader, common: WorkloadCommon & { rateBytesPerSec?: number }): Omit<S, keyof WorkloadCommon | 'type'> | undefined;
  run(spec: S, ctx: WorkloadContext): Promise<WorkloadResult>;
  /** Every metric and histogram it records (assert/metric-catalog.ts names them); checks on others are errors. */
  metrics: readonly string[];
  /** The options of a small, quick run (a few messages), for docs and the registry's end-to-end test. */
  example: Readonly<Record<string, unknown>>;
}

/**
 * Declares a workload type; the registry erases `S` so that definitions of every type fit one
 * list, keeping only its name as a type (the public API's union of workload types comes from it).
 */
export function defineWorkload<S extends WorkloadSpecBase>(definition: WorkloadDefinition<S>): WorkloadDefinition & { readonly type: S['type'] } {
  return definition as unknown as WorkloadDefinition & { readonly type: S['type'] };
}

/** Metrics every workload records. */
export const BASE_METRICS = ['messages_sent_total', 'messages_received_total', 'bytes_sent_total', 'bytes_received_total', 'errors_total', 'send_lateness_ms'] as const;
/** Framed workloads: sequence accounting. */
export const SEQUENCE_METRICS = [
  'messages_lost_total',
  'lost_ratio',
  'messages_duplicated_total',
  'duplicated_ratio',
  'messages_reordered_total',
  'reordered_ratio',
  'reorder_distance_max',
  'messages_corrupted_total',
  'corrupted_ratio',
  'delivered_ratio',
  'in_order',
  'intact',
] as const;
/** TCP workloads' connections. */
export const CONNECTION_METRICS = ['connections_total', 'connections_failed_total', 'connect_ms'] as const;
/** TCP workloads on a wire path: their connections' TCP_INFO (metrics/tcp-connection-info.ts). */
export const TCP_KERNEL_METRICS = ['tcp_segments_sent_total', 'tcp_retransmits_total', 'tcp_rto_total', 'tcp_retransmit_ratio'] as const;
/** UDP workloads' arrival timing. */
export const UDP_TIMING_METRICS = ['jitter_ms', 'interarrival_ms'] as const;
/** Raw workloads: responses checked against expectations. */
export const RAW_METRICS = ['responses_matched_total', 'responses_mismatched_total', 'delivered_ratio', 'rtt_ms'] as const;

/** Raw workloads send their requests list, as written. */
export const RAW_REJECTS: Partial<Record<WorkloadOption, string>> = {
  messages: 'raw workloads send their requests list: use repeat instead of messages',
  size: 'raw workloads send their requests as written: size does not apply',
};

/** Times a raw workload sends its requests list when neither `repeat` nor `duration` is given. */
export const DEFAULT_REPEAT = 1;
