/**
 * Whether a backend can run a scenario as written, decided from the scenario and the backend's
 * capabilities alone, before any target starts. Every reason is collected, so a scenario refused
 * for a UDP proxy *and* a toxic the backend lacks says both at once:
 *
 *   proxies   ── protocol the backend does not proxy (a real Toxiproxy: TCP only; it would take a
 *                UDP proxy's JSON as a TCP proxy's)
 *   faults    ── toxic type the backend lacks (faultline's own, on Toxiproxy)
 *             └─ a toxic that resets connections, added while a workload's connections are open,
 *                on a backend that resets only connections opened after it (Toxiproxy's
 *                reset_peer: those open end with a FIN, and the scenario would fail as if the
 *                target were broken)
 *
 * The refusal is an ENVIRONMENT error (exit 3): the scenario is fine, the backend is not the one
 * for it.
 */
import type { BackendCapabilities } from '../core/backend.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError, type Problem } from '../core/errors.js';
import type { Protocol } from '../core/spec.js';
import { toxicEffects } from '../toxics/registry.js';
import { workloadType } from '../workload/registry.js';
import type { FaultSpec, ScenarioSpec } from './spec.js';

/**
 * Why `backend` cannot run `spec`, one problem per reason (empty when it can). `on` names the
 * backend in messages, e.g. `the backend (toxiproxy http://127.0.0.1:8474)`.
 */
export function backendProblems(spec: ScenarioSpec, capabilities: BackendCapabilities, on: string): Problem[] {
  const problems: Problem[] = [];
  const { protocols, toxics } = capabilities;
  // Wire paths are the wire backend's, never this one's: only stream proxies are judged here.
  const proxies = spec.proxies.filter((p) => p.layer === 'proxy');
  const protocolOf = new Map(proxies.map((p) => [p.name, p.protocol]));
  for (const proxy of proxies) {
    if (protocols.includes(proxy.protocol)) continue;
    problems.push({
      path: `proxies.${proxy.name}`,
      message: `proxy "${proxy.name}" is ${proxy.protocol.toUpperCase()}, and ${on} proxies ${protocols.map((p) => p.toUpperCase()).join(' and ')} only`,
    });
  }
  for (const fault of spec.faults) {
    if (fault.kind !== 'toxic') continue;
    for (const { proxy, toxic } of fault.toxics) {
      const protocol = protocolOf.get(proxy);
      if (protocol === undefined) continue; // a wire path's fault
      if (!protocols.includes(protocol)) continue; // already said: the proxy itself cannot exist there
      const known = toxics?.[protocol];
      if (known && !known.includes(toxic.type)) {
        problems.push({ path: fault.id, message: `${fault.id}: ${on} has no ${protocol.toUpperCase()} toxic "${toxic.type}" (it has ${known.join(', ')})` });
        continue;
      }
      const resets = toxicEffects(protocol, toxic).some((e) => e.kind === 'connection-loss' && e.reset);
      if (resets && !capabilities.resetsOpenConnections) {
        const open = workloadsOpenAt(spec, fault, proxy, protocol);
        if (open.length > 0) {
          problems.push({
            path: fault.id,
            message:
              `${fault.id}: ${on} resets only connections opened after a toxic is added (open ones end with a clean FIN, not an RST), ` +
              `and the ${toxic.type} toxic is added to proxy "${proxy}" at ${formatDuration(fault.atMs)}, ` +
              `when ${open.map((w) => `workload "${w.name}" (from ${w.startMs === 0 ? 'the start' : formatDuration(w.startMs)})`).join(' and ')} already has connections through it`,
            hint: 'add the toxic at 0ms, before any traffic, or start the workloads after it, to reset the connections they open; or run the scenario on the embedded backend',
          });
        }
      }
    }
  }
  return problems;
}

/**
 * The workloads sending through `proxy` before the fault is added: their connections may be open
 * when it arrives. A fault at 0ms is applied before any traffic starts (fault-timeline.ts), so
 * it never finds one open.
 */
function workloadsOpenAt(spec: ScenarioSpec, fault: FaultSpec, proxy: string, protocol: Protocol): Array<{ name: string; startMs: number }> {
  return spec.workloads
    .filter((w) => 'via' in w && w.via === proxy && workloadType(w.spec.type).protocol === protocol && w.spec.startMs < fault.atMs)
    .map((w) => ({ name: w.spec.name, startMs: w.spec.startMs }));
}

/**
 * The one error for every reason the backend (`kind`, as results name it) cannot run `spec`, or
 * undefined when it can. Each problem names the backend; a message with several reasons names it
 * once.
 */
export function backendUnfit(spec: ScenarioSpec, capabilities: BackendCapabilities, kind: string): FaultlineError | undefined {
  const on = `the backend (${kind})`;
  const problems = backendProblems(spec, capabilities, on);
  const [first] = problems;
  if (!first) return undefined;
  if (problems.length === 1) return new FaultlineError('ENVIRONMENT', first.message, { problems, hint: first.hint ?? ELSEWHERE });
  const reasons = backendProblems(spec, capabilities, 'the backend').map((p, i) => `(${i + 1}) ${p.message}`);
  return new FaultlineError('ENVIRONMENT', `${on} cannot run this scenario, for ${problems.length} reasons: ${reasons.join('; ')}`, { problems, hint: ELSEWHERE });
}

const ELSEWHERE = 'run this scenario on the embedded backend (the default) or against a `faultline proxy` server; --grep and --tag select the others';
