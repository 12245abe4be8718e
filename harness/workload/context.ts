/**
 * What a workload is given to run: time, randomness, where to send, how to stop, and (for the
 * stream workloads) the built-in sink to collect the receiver's side from.
 */
import type { HostPort } from '../core/address.js';
import type { Clock } from '../core/clock.js';
import type { PathEnds } from '../core/network-place.js';
import type { Rng } from '../core/rng.js';
import type { SinkServer } from './servers/sink-server.js';

/** Running totals, for live progress displays. */
export interface WorkloadProgress {
  sent: number;
  received: number;
  errors: number;
}

export interface WorkloadContext {
  clock: Clock;
  /** This workload's own stream (the scenario forks it per workload). */
  rng: Rng;
  /**
   * Stops the workload early (scenario deadline, Ctrl-C): it stops sending, closes its sockets and
   * returns what it measured so far, with a note saying so.
   */
  signal: AbortSignal;
  /** Where to send: a proxy's listen address, or the target itself. */
  endpoint: HostPort;
  /** Clock ms of the scenario's t=0: series buckets and every `*AtMs` are relative to it. */
  scenarioStartMs: number;
  /** Unique within the run; carried in every frame so the sink can tell workloads apart. */
  workloadId: number;
  /** Stream workloads: the built-in sink behind `endpoint`, to collect receiver statistics from. */
  sink?: SinkServer;
  /** The proxy's name, copied into the result. */
  proxy?: string;
  /**
   * A wire path's two ends: the workload opens its sockets on the client side (the endpoint is
   * the target side's address), reads the kernel's counters on both, and each TCP connection's
   * TCP_INFO as it closes. Absent: sockets where faultline runs.
   */
  path?: PathEnds;
  /** Called a few times a second while the workload runs, and once at the end. */
  onProgress?(progress: WorkloadProgress): void;
  /** Series bucket width, ms. Default 100. */
  seriesBucketMs?: number;
}
