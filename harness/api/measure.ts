/**
 * `measure()`: one workload, without the scenario format — its traffic sent to an address (a
 * proxy's `listen`, a server of yours), measured as a scenario would measure it, resolving to the
 * WorkloadResult a scenario's results hold. Options are the scenario format's workload options
 * (`rate: '100/s'`, `timeout: '1s'`), read and checked by the same loader; problems name the
 * option (`rate: …`).
 *
 *   { type, to, …options } ──loader (a one-workload scenario, never run)──▶ WorkloadSpec
 *        ──▶ runWorkload to `to`  (stream types: the receiving side collected from `sink`)
 */
import { HOST_PORT_FORMAT, parseHostPort } from '../core/address.js';
import { systemClock } from '../core/clock.js';
import { FaultlineError, invalidInput } from '../core/errors.js';
import type { WorkloadResult } from '../core/result.js';
import { createRng } from '../core/rng.js';
import { loadScenarioValue } from '../scenario/load.js';
import type { WorkloadTypeName } from '../workload/registry.js';
import { findWorkloadType } from '../workload/registry.js';
import { runWorkload } from '../workload/run-workload.js';
import { seedOption } from './options.js';
import type { WorkloadOptions } from './scenario-types.js';
import { metricValue } from '../report/scenario-facts.js';
import { sinkOf, type BuiltinServer } from './servers.js';

export interface Measurement extends WorkloadOptions {
  /** The workload type: `tcp-echo`, `udp-stream`, `tcp-connect`, … (docs/workloads.md). */
  type: WorkloadTypeName;
  /** `host:port` to send to: a proxy's `listen`, or the server itself. */
  to: string;
  /**
   * Stream types (`tcp-stream`, `udp-stream`): the server from startSinkServer() at the end of
   * the path, which measures the receiving side. `to` must lead to it.
   */
  sink?: BuiltinServer;
  /** Names the result. Default: the type. */
  name?: string;
  /** The proxy the traffic goes through, copied into the result. */
  proxy?: string;
}

export interface MeasureOptions {
  /** Seed for the workload's randomness (payload sizes drawn from a range). Default random. */
  seed?: number;
  /** Aborting it stops the workload early: it returns what it measured so far, with a note. */
  signal?: AbortSignal;
}

/** Unique in the process: frames carry it, so a sink can tell apart workloads sharing it. */
let nextWorkloadId = 1_000_000;

export async function measure(measurement: Measurement, options: MeasureOptions = {}): Promise<WorkloadResult> {
  const { type, to, sink, name = type, proxy, ...workloadOptions } = measurement;
  const endpoint = parseHostPort(to);
  if (!endpoint || endpoint.port === 0) {
    throw new FaultlineError('INVALID_ARGUMENT', `to: expected ${HOST_PORT_FORMAT.replace(' or :0 for a free port on 127.0.0.1', '')}, got ${JSON.stringify(to)}`, { where: { path: 'to' } });
  }
  const seed = seedOption(options.seed);
  const definition = findWorkloadType(type);
  const receiver = sink === undefined ? undefined : sinkOf(sink);
  if (definition?.shape === 'stream' && !receiver) {
    throw new FaultlineError('INVALID_ARGUMENT', `sink: a ${type} workload is measured where it is received: pass sink, a server from startSinkServer(), with \`to\` leading to it`, {
      where: { path: 'sink' },
    });
  }

  // The loader checks the options as it would in a file; the target only stands for what is at
  // `to` (a stream workload must end at a builtin sink, anything else at something that replies).
  const target = definition?.shape === 'stream' ? { builtin: 'sink' } : { address: endpoint.host, [definition?.protocol ?? 'tcp']: endpoint.port };
  const prefix = `workloads.${name}.`;
  let spec;
  try {
    [spec] = loadScenarioValue({ name: 'measure', timeout: '24h', targets: { to: target }, workloads: { [name]: { type, target: 'to', ...workloadOptions } } }, process.cwd());
  } catch (error) {
    if (!(error instanceof FaultlineError) || error.problems.length === 0) throw error;
    throw invalidInput(
      // Paths as the caller wrote them: `rate`, not `workloads.<name>.rate` of the scenario they never saw.
      error.problems.map((p) => ({ ...p, path: p.path?.startsWith(prefix) ? p.path.slice(prefix.length) : p.path === `workloads.${name}` ? 'name' : p.path })),
      `workload ${JSON.stringify(name)}`,
    );
  }
  const workload = spec!.workloads[0]!.spec;
  const signal = options.signal ?? new AbortController().signal;
  const t0 = systemClock.now();
  await systemClock.sleepUntil(t0 + workload.startMs, signal);
  return runWorkload(workload, {
    clock: systemClock,
    rng: createRng(seed).fork(`workload:${name}`),
    signal,
    endpoint: { host: endpoint.host, port: endpoint.port },
    scenarioStartMs: t0,
    workloadId: nextWorkloadId++,
    ...(receiver ? { sink: receiver } : {}),
    ...(proxy === undefined ? {} : { proxy }),
  });
}

/**
 * A counter or gauge of a workload's result (`lost_ratio`, `errors_total`, …; docs/assertions.md
 * lists them), or undefined when the workload does not record it. A labelled counter without
 * `labels` is the sum over its labels: `metric(r, 'errors_total', { code: 'ECONNRESET' })`.
 * Latency distributions are in `result.histograms` (`rtt_ms.p99`).
 */
export function metric(result: WorkloadResult, name: string, labels?: Record<string, string>): number | undefined {
  return metricValue(result, name, labels);
}
