/**
 * Starting a scenario's targets, whatever their kind, into the one shape the runner needs: where
 * they listen, the sink to collect from (builtin sink), and how to stop them.
 *
 *   builtin echo / sink ──▶ in-process server (workload/servers)
 *   command            ──▶ a process group with readiness and output capture (target/)
 *   address            ──▶ checked, never started or stopped
 *
 * Behind a wire path, `place` is the path's target side: the builtin servers' sockets are opened
 * there (listening on its address), and a command is started there.
 */
import { formatHostPort, type HostPort } from '../core/address.js';
import type { Clock } from '../core/clock.js';
import type { NetworkPlace } from '../core/network-place.js';
import { FaultlineError } from '../core/errors.js';
import type { TargetOutput } from '../core/result.js';
import type { Protocol } from '../core/spec.js';
import { startTarget } from '../target/start-target.js';
import type { TargetEndpoints } from '../target/spec.js';
import { createEchoServer } from '../workload/servers/echo-server.js';
import { createSinkServer, type SinkServer } from '../workload/servers/sink-server.js';
import type { ScenarioSpec } from './spec.js';

/** A started target, whatever its kind. */
export interface LiveTarget {
  name: string;
  endpoints: TargetEndpoints;
  /** The builtin sink, for stream workloads to collect the receiver's side from. */
  sink?: SinkServer;
  /** Stops it (never throws for a target that already died) and returns what it printed. */
  stop(): Promise<TargetOutput>;
}

export interface LiveTargetDeps {
  clock: Clock;
  signal: AbortSignal;
  /** Where each proxy created so far listens (`host:port`), for a command's `{proxy:NAME}`. */
  proxies?: ReadonlyMap<string, string>;
  /** Where it runs and listens: a wire path's target side. Default: where faultline runs. */
  place?: NetworkPlace;
}

export async function startLiveTarget(target: ScenarioSpec['targets'][number], deps: LiveTargetDeps): Promise<LiveTarget> {
  const { place } = deps;
  if (target.kind === 'builtin') {
    const output: TargetOutput = { name: target.name, kind: 'builtin', stdout: '', stderr: '', truncated: false };
    const where = place ? { place } : {};
    const server = target.server === 'sink' ? await createSinkServer({ clock: deps.clock, ...where }) : await createEchoServer(where);
    const host = place?.address ?? '127.0.0.1';
    const endpoints: TargetEndpoints = { host, ...(server.tcp ? { tcp: server.tcp.port } : {}), ...(server.udp ? { udp: server.udp.port } : {}) };
    const stop = async () => {
      await server.close();
      return output;
    };
    return target.server === 'sink' ? { name: target.name, endpoints, sink: server as SinkServer, stop } : { name: target.name, endpoints, stop };
  }
  const running = await startTarget(target, deps);
  return { name: target.name, endpoints: running.endpoints, stop: () => running.stop() };
}

/**
 * Where a target serves `protocol`; TARGET_FAILED when it reported no such port. `needs` says who
 * needs it, for the message (a proxy, or a workload sending straight to the target).
 */
export function targetEndpoint(target: LiveTarget, protocol: Protocol, needs?: string): HostPort {
  const port = target.endpoints[protocol];
  if (port === undefined) {
    const P = protocol.toUpperCase();
    throw new FaultlineError(
      'TARGET_FAILED',
      needs ? `${needs} needs target "${target.name}" to serve ${P}, but it reported no ${protocol} port` : `target "${target.name}" reported no ${P} port`,
      { hint: `give the target a \`${protocol}:\` port, or a \`ready: { stdout: ... }\` pattern with a (?<port>…) group` },
    );
  }
  return { host: target.endpoints.host, port };
}

/** `host:port` of a target's `protocol` port, as a proxy's upstream. */
export function targetUpstream(target: LiveTarget, protocol: Protocol, proxyName: string): string {
  return formatHostPort(targetEndpoint(target, protocol, `proxy "${proxyName}"`));
}
