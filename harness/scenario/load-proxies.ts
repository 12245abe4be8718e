/**
 * `proxies:` — fault-injecting proxies in front of targets (docs/scenarios.md, "Proxies").
 */
import { formatHostPort, HOST_PORT_FORMAT, parseHostPort } from '../core/address.js';
import { DEFAULT_SESSION_IDLE_TIMEOUT_MS, PROTOCOLS, type Protocol } from '../core/spec.js';
import type { Field } from './load-context.js';
import { proxyPlaceholders } from '../target/spec.js';
import type { LoadedTargets } from './load-targets.js';
import { loadNamed, type LoadedNamed } from './load-named.js';
import { PROXY_KEYS } from './scenario-keys.js';
import type { ProxySpec } from './spec.js';

/** What references to a proxy are checked against. */
export interface ProxyInfo {
  protocol: Protocol;
  /** The target it forwards to. Neither this nor `upstream`: unknown (an error already reported). */
  target?: string;
  /** It forwards to an explicit `host:port`, whose server faultline knows nothing about. */
  upstream?: boolean;
}

export type LoadedProxies = LoadedNamed<ProxySpec, ProxyInfo>;

const DEFAULT_LISTEN = '127.0.0.1:0';

export function loadProxies(field: Field, targets: LoadedTargets): LoadedProxies {
  const listening = new Map<string, string>();
  return loadNamed(field, { what: 'proxy', example: 'udp_path: { protocol: udp, target: echo }', required: false }, (name, proxy) => {
    const before = proxy.ctx.problems.length;
    const { spec, info, listenField } = loadProxy(name, proxy, targets);
    if (spec && proxy.ctx.problems.length === before && !spec.listen.endsWith(':0')) {
      // Two proxies cannot listen on the same fixed address (port 0 always picks a fresh one).
      const key = `${spec.protocol} ${spec.listen}`;
      const other = listening.get(key);
      if (other) listenField?.problem(`proxy "${name}" listens on ${spec.protocol} ${spec.listen}, as proxy "${other}" does`);
      else listening.set(key, name);
    }
    return { spec, info };
  });
}

function loadProxy(name: string, field: Field, targets: LoadedTargets): { spec?: ProxySpec; info?: ProxyInfo; listenField?: Field } {
  if (!field.require('a proxy, e.g. { protocol: udp, target: echo }')) return {};
  const entries = field.map('a proxy, e.g. { protocol: udp, target: echo }');
  if (!entries) return {};
  entries.allowOnly(PROXY_KEYS, 'a proxy');
  const protocolField = entries.get('protocol');
  const protocol = protocolField.present ? protocolField.oneOf(PROTOCOLS) : 'tcp';

  const targetField = entries.get('target');
  const upstreamField = entries.get('upstream');
  let target: string | undefined;
  let upstream: string | undefined;
  if (targetField.present && upstreamField.present) {
    upstreamField.keyProblem(`proxy "${name}" has both target and upstream: expected exactly one`);
  } else if (targetField.present) {
    target = targetField.reference(targets.byName, 'target');
    const info = target === undefined ? undefined : targets.byName.get(target);
    if (info && protocol && !info[protocol]) {
      target = targetField.problem(
        `proxy "${name}" is ${protocol.toUpperCase()} but target "${target}" serves no ${protocol.toUpperCase()} port`,
        `give the target a ${protocol} port, or make the proxy protocol: ${protocol === 'tcp' ? 'udp' : 'tcp'}`,
      );
    }
  } else if (upstreamField.present) {
    const text = upstreamField.string('host:port, e.g. 127.0.0.1:6379');
    const address = text === undefined ? undefined : parseHostPort(text);
    if (text !== undefined && (!address || address.port === 0)) {
      upstreamField.problem(`expected host:port with a port 1..65535, e.g. 127.0.0.1:6379 or [::1]:6379, got ${upstreamField.describe()}`);
    } else if (address) upstream = formatHostPort(address);
  } else {
    field.problem(`proxy "${name}" needs a target (a target name) or an upstream (host:port)`);
  }

  let listen = DEFAULT_LISTEN;
  const listenField = entries.get('listen');
  if (listenField.present) {
    const text = listenField.string(HOST_PORT_FORMAT);
    const address = text === undefined ? undefined : parseHostPort(text);
    if (text !== undefined && !address) listenField.problem(`expected ${HOST_PORT_FORMAT}, got ${listenField.describe()}`);
    if (address) listen = formatHostPort(address);
  }

  const idleField = entries.get('session_idle_timeout');
  let sessionIdleTimeoutMs: number | undefined;
  if (idleField.present && protocol === 'tcp') idleField.keyProblem('session_idle_timeout applies to UDP proxies only');
  else if (protocol === 'udp') sessionIdleTimeoutMs = idleField.duration({ above: 0 }) ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS;

  if (!protocol) return {};
  const info: ProxyInfo = { protocol };
  if (target !== undefined) info.target = target;
  if (upstream !== undefined) info.upstream = true;
  const behind = target !== undefined ? { target } : upstream !== undefined ? { upstream } : undefined;
  if (!behind) return { info };
  const spec: ProxySpec = { name, protocol, listen, where: field.where, ...behind };
  if (sessionIdleTimeoutMs !== undefined) spec.sessionIdleTimeoutMs = sessionIdleTimeoutMs;
  return { spec, info, listenField };
}

/**
 * `{proxy:NAME}` in a command (a service whose dependency is reached through a faultline proxy):
 * NAME must be a proxy of the scenario, and the proxy's own target must come earlier in
 * `targets:`, since the runner starts targets in order and creates a proxy just before the first
 * target that names it.
 */
export function checkProxyPlaceholders(field: Field, targets: LoadedTargets, proxies: LoadedProxies): void {
  const order = targets.specs.map((t) => t.name);
  for (const target of targets.specs) {
    if (target.kind !== 'command') continue;
    const commandField = field.map()?.get(target.name).map()?.get('command');
    if (!commandField) continue;
    for (const name of proxyPlaceholders(target.argv)) {
      if (!proxies.byName.has(name)) {
        const known = [...proxies.byName.keys()];
        commandField.problem(`{proxy:${name}} names no proxy`, known.length > 0 ? `proxies in this scenario: ${known.join(', ')}` : 'this scenario has no proxies');
        continue;
      }
      const behind = proxies.byName.get(name)?.target;
      if (behind === undefined) continue;
      if (behind === target.name) {
        commandField.problem(`{proxy:${name}}: proxy "${name}" forwards to target "${target.name}" itself, which cannot know the proxy's address before it starts`);
      } else if (order.indexOf(behind) > order.indexOf(target.name)) {
        commandField.problem(
          `{proxy:${name}}: proxy "${name}" forwards to target "${behind}", which is listed after "${target.name}"`,
          `list "${behind}" before "${target.name}" in targets: they start in order, and the proxy is created in between`,
        );
      }
    }
  }
}
