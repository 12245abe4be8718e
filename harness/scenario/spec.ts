/**
 * A resolved scenario: what the loader produces from a YAML file (docs/scenarios.md) and what the
 * runner executes. Every default is applied, every unit converted (durations in ms, sizes in
 * bytes, rates per second), every reference checked (a workload's `via` names a proxy that
 * exists and speaks its protocol, a fault's toxic is valid on each proxy it names). The runner
 * trusts these values; it never re-validates.
 */
import type { Check } from '../assert/parse.js';
import type { Location } from '../core/errors.js';
import type { Direction, PacketMatch, Protocol, ToxicSpec } from '../core/spec.js';
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
  /** Absolute path of the file the scenario came from; absent for one written in code (the library's `run()`). */
  file?: string;
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
  /** What `faultline explore` may generate (docs/explore.md); `faultline run` ignores it. */
  explore?: ExploreSpec;
  /** Where a layer it needs (the wire layer) is unavailable: stop the run with ENVIRONMENT, or skip it. */
  ifUnavailable: 'error' | 'skip';
}

/** A scenario loaded from a file (`faultline run`, `validate`, `list` see only these). */
export type ScenarioFileSpec = ScenarioSpec & { file: string };

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

/** A closed range of numbers; `min === max` is a fixed value. */
export interface NumberRange {
  min: number;
  max: number;
}

/**
 * `explore:` as the file writes it, checked against the scenario (its proxies, the toxic types
 * their protocols support, each attribute's schema, the timeout). Whatever the file leaves out is
 * resolved by explore/ (fault-space.ts), in one place: some defaults depend on a baseline run.
 */
export interface ExploreSpec {
  /** Proxies faults may be generated on; absent: every proxy. */
  proxies?: string[];
  /** The kinds of fault that may be generated, in file order; absent: every kind the proxies support. */
  faults?: ExploreFaultKind[];
  /** Most faults in one schedule. */
  maxFaults?: number;
  /** Directions toxics may be generated on; absent: both. */
  streams?: Direction[];
  /** When a fault may start, ms from the scenario start. */
  start?: NumberRange;
  /** How long a fault may last, ms. */
  duration?: NumberRange;
  /** Budget: schedules to try. */
  runs?: number;
  /** Budget: wall time for the whole exploration, ms. */
  timeMs?: number;
  where: Location;
}

export type ExploreFaultKind =
  /** The proxy is taken down (refuses connections, closes live ones) for the fault's span. */
  | { kind: 'down'; where: Location }
  /** A toxic of `type`; attributes the file gives a range for, the rest searched over their default ranges. */
  | { kind: 'toxic'; type: string; attributes: Record<string, NumberRange>; where: Location };
