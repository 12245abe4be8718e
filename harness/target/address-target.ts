/**
 * A target that is already running somewhere (`{ address: 127.0.0.1, tcp: 6379 }`): nothing to
 * start or stop, only an address to check. With a TCP port, one connect probe tells a typo or a
 * server that is down (UNREACHABLE, exit 3) from a scenario failure later on. UDP cannot be
 * probed (no answer is not proof of absence), so a UDP-only address is taken on trust.
 */
import { FaultlineError } from '../core/errors.js';
import { formatHostPort, isHostName } from '../core/address.js';
import type { TargetOutput } from '../core/result.js';
import { probeTcp } from './probe-tcp.js';
import type { AddressTargetSpec, RunningTarget, TargetEndpoints } from './spec.js';

/** How long the reachability probe waits for a connect, ms. */
export const ADDRESS_PROBE_TIMEOUT_MS = 2000;

export interface AddressTargetOptions {
  signal: AbortSignal;
  /** Probe the TCP port before returning (default true). */
  probe?: boolean;
}

export async function startAddressTarget(spec: AddressTargetSpec, options: AddressTargetOptions): Promise<RunningTarget> {
  const host = normalizeHost(spec);
  const endpoints: TargetEndpoints = { host };
  if (spec.tcp !== undefined) endpoints.tcp = spec.tcp;
  if (spec.udp !== undefined) endpoints.udp = spec.udp;
  if (spec.tcp !== undefined && options.probe !== false) {
    const address = formatHostPort({ host, port: spec.tcp });
    const result = await probeTcp(host, spec.tcp, ADDRESS_PROBE_TIMEOUT_MS, options.signal);
    if (options.signal.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
    if (!result.ok) {
      throw new FaultlineError('UNREACHABLE', `target "${spec.name}" at ${address} is not reachable: ${result.code} (${result.message})`, {
        where: { path: `targets.${spec.name}` },
        hint: result.code === 'ECONNREFUSED' ? 'nothing listens there: start the server first, or let faultline start it with command:' : 'check the address and that the server is running',
      });
    }
  }
  const output: TargetOutput = { name: spec.name, kind: 'address', stdout: '', stderr: '', truncated: false };
  return { name: spec.name, endpoints, stop: async () => output };
}

/** Validates the host; `localhost` becomes 127.0.0.1 (docs/decisions.md #5). */
function normalizeHost(spec: AddressTargetSpec): string {
  const raw = spec.host.trim();
  const host = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (host === 'localhost') return '127.0.0.1';
  if (isHostName(host)) return host;
  throw new FaultlineError('INVALID_INPUT', `target "${spec.name}": ${JSON.stringify(spec.host)} is not a host name or IP address`, {
    where: { path: `targets.${spec.name}.address` },
    hint: 'give the host alone (e.g. 127.0.0.1, ::1 or db.internal) and the port with tcp: / udp:',
  });
}
