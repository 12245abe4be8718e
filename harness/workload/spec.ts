/**
 * Resolved workload options shared by the workload types: what the scenario loader produces from
 * YAML (docs/scenarios.md, "Workloads") and what the workloads run. Every default is already
 * applied and every unit is converted: durations in ms, sizes in bytes, rates per second. The
 * loader owns parsing and validation; the workloads trust these values. Each type's own spec
 * (`TcpEchoSpec`, …) lives in its file, beside its definition.
 */

/** Payload bytes per message: fixed, or uniform in [min, max] drawn from the workload's rng. */
export type SizeSpec = number | { min: number; max: number };

export interface WorkloadCommon {
  name: string;
  /** Delay from the scenario start, ms. */
  startMs: number;
  /** Messages per connection/flow. Exactly one of `messages`, `durationMs` (or `bytes` for tcp-stream). */
  messages?: number;
  /** Send for this long instead of a count, ms. */
  durationMs?: number;
  size: SizeSpec;
  /** Messages per second per connection/flow, or 'max' (echo: next request when the reply arrives). */
  rate: number | 'max';
  /** Concurrent TCP connections, or UDP flows (each its own socket). */
  connections: number;
  /** Echo: reply timeout. Stream: how long the sink waits for the tail after the sender finishes. ms. */
  timeoutMs: number;
  /** TCP connect timeout, ms. */
  connectTimeoutMs: number;
}

/** How a raw workload cuts responses out of the byte stream (TCP) — UDP: one datagram each. */
export type Framing =
  | { kind: 'newline' }
  | { kind: 'length_prefix'; bytes: 1 | 2 | 4 }
  | { kind: 'length'; bytes: number }
  | { kind: 'idle'; ms: number };

export type Expectation =
  | { kind: 'exact'; bytes: Buffer }
  | { kind: 'prefix'; bytes: Buffer }
  | { kind: 'regex'; pattern: RegExp };

export interface RawRequest {
  send: Buffer;
  /** Absent: the response is read but not checked. */
  expect?: Expectation;
  /** As the user wrote it, for reports (e.g. `send: "PING\n"`). */
  source: string;
}
