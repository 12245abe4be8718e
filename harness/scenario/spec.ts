/**
 * A resolved scenario: what the loader produces from a YAML file (docs/scenarios.md) and what the
 * runner executes. Every default is applied, every unit converted (durations in ms, sizes in
 * bytes, rates per second), every reference checked (a workload's `via` names a proxy that
 * exists and speaks its protocol, a fault's toxic is valid on each proxy it names). The runner
 * trusts these values; it never re-validates.
 */
import type { Check } from '../assert/parse.js';
import type { Location } from '../core/errors.js';
import type { PacketMatch, Protocol, ToxicSpec } from '../core/spec.js';
import type { TargetSpec } from '../target/spec.js';
import type { WorkloadSpecBase } from '../workload/definition.js';

export interface ScenarioSpec {
  /** Unique within a file (and, checked by `checkUniqueNames`, within a run). `[A-Za-z0-9_.-]+`. */
  name: string;
  description?: string;
  tags: string[];
  /** Fixes this scenario's randomness whatever the run seed; 0..MAX_SEED. */
  seed?: number;
  /** Hard deadline for the whole scenario, setup and teardown included, ms. Default 60 000. */
  timeoutMs: number;
  /** `fail`: the scenario demonstrates a bug and passes when its assertions fail. */
  expect: 'pass' | 'fail';
  /** Absolute path of the file the scenario came from. */
  file: string;
  /** Where the scenario starts in its file. */
  where: Location;
  /** In the order the file lists them. */
  targets: TargetSpec[];
  proxies: ProxySpec[];
  workloads: ScenarioWorkload[];
  /** In the order the file lists them (ids `faults[0]`, `faults[1]`, …). */
  faults: FaultSpec[];
  assertions: ScenarioAssertion[];
  /** Workload names to report side by side; at least two. */
  compare?: string[];
  /** Where a layer it needs (the wire layer) is unavailable: stop the run with ENVIRONMENT, or skip it. */
  ifUnavailable: 'error' | 'skip';
}

/** A fault-injecting proxy (the backend's, stream-level for TCP), or a wire path. */
export type ProxySpec = StreamProxySpec | WirePathSpec;

/**
 * A proxy and what is behind it: a target of the scenario (its port for the proxy's protocol), or
 * an explicit `host:port`.
 */
export type StreamProxySpec = {
  layer: 'proxy';
  name: string;
  protocol: Protocol;
  /** `host:port` to listen on; port 0 picks a free port. Default `127.0.0.1:0`. */
  listen: string;
  /** UDP only (always set for UDP): forget a client's session after this idle time, ms. */
  sessionIdleTimeoutMs?: number;
  where: Location;
} & ({ target: string } | { upstream: string });

/**
 * A wire path (docs/wire.md): the target runs in the path's target namespace, the workloads that
 * go `via` it in its client namespace, TCP and UDP alike, and its faults act on packets.
 */
export interface WirePathSpec {
  layer: 'wire';
  name: string;
  /** The target behind it, which only this path reaches. */
  target: string;
  /** MTU of the path, bytes. Default 1500. */
  mtu: number;
  where: Location;
}

/** A workload and its route: through a proxy (`via`), or straight to a target (a baseline without faults). */
export type ScenarioWorkload = { spec: WorkloadSpecBase; where: Location } & ({ via: string } | { target: string });

interface FaultTiming {
  /** `faults[<index>]`: how reports and errors refer to the fault. */
  id: string;
  /** Proxy names, at least one, no duplicates. */
  proxies: string[];
  /** When the fault starts, ms from the scenario start. Default 0. */
  atMs: number;
  /** How long it lasts, ms; absent: to the end of the scenario. */
  forMs?: number;
  where: Location;
}

export type FaultSpec = FaultTiming &
  (
    | {
        kind: 'toxic';
        /**
         * The toxic resolved for each proxy in `proxies` (same order): defaults are filled per
         * protocol, so a toxic on a TCP and a UDP proxy may differ in its default attributes.
         * `name`, `type` and `stream` are the same in every entry. On a wire path, `match` says
         * which packets it acts on.
         */
        toxics: Array<{ proxy: string; toxic: ToxicSpec; match?: PacketMatch }>;
      }
    | {
        /** The proxies are disabled (refuse connections, close live ones) for the fault's span. */
        kind: 'down';
      }
  );

export interface ScenarioAssertion {
  /** The workload the check judges. */
  workload: string;
  check: Check;
  /** Where the check is written (the list item, or the map key of a k6-style check). */
  where: Location;
}
