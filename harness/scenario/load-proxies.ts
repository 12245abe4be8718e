/**
 * `proxies:` — fault-injecting proxies in front of targets (docs/scenarios.md, "Proxies"), and
 * wire paths (`layer: wire`): no listener in between, but two network namespaces the traffic's
 * ends live in. A wire path's target runs inside it, so only that path can reach it: it must be a
 * builtin or a command, and no other proxy or workload may name it.
 */
import { formatHostPort, HOST_PORT_FORMAT, parseHostPort } from '../core/address.js';
import { DEFAULT_SESSION_IDLE_TIMEOUT_MS, PROTOCOLS, type Protocol } from '../core/spec.js';
import type { Field } from './load-context.js';
import { proxyPlaceholders } from '../target/spec.js';
import type { LoadedTargets } from './load-targets.js';
import { loadNamed, type LoadedNamed } from './load-named.js';
import { PROXY_KEYS, PROXY_LAYER_KEYS, PROXY_LAYERS, type ProxyLayer } from './scenario-keys.js';
import type { ProxySpec, StreamProxySpec, WirePathSpec } from './spec.js';

/** What references to a proxy are checked against. */
export type ProxyInfo =
  | {
      layer: 'proxy';
      protocol: Protocol;
      /** The target it forwards to. Neither this nor `upstream`: unknown (an error already reported). */
      target?: string;
      /** It forwards to an explicit `host:port`, whose server faultline knows nothing about. */
      upstream?: boolean;
    }
  /** A wire path carries TCP and UDP alike. */
  | { layer: 'wire'; target?: string };

export type LoadedProxies = LoadedNamed<ProxySpec, ProxyInfo>;

const DEFAULT_LISTEN = '127.0.0.1:0';
const DEFAULT_MTU = 1500;

export function loadProxies(field: Field, targets: LoadedTargets): LoadedProxies {
  const listening = new Map<string, string>();
  /** Target name → the wire path it lives in. */
  const behindWire = new Map<string, string>();
  /** Target name → the first proxy (of either layer) that names it. */
  const named = new Map<string, string>();
  return loadNamed<ProxySpec, ProxyInfo>(field, { what: 'proxy', example: 'udp_path: { protocol: udp, target: echo }', required: false }, (name, proxy) => {
    const before = proxy.ctx.problems.length;
    const layer = loadLayer(proxy);
    if (layer === undefined) return {};
    if (layer === 'wire') return loadWirePath(name, proxy, targets, { behindWire, named });
    const { spec, info, listenField, targetField } = loadProxy(name, proxy, targets);
    if (spec && 'target' in spec) {
      const path = behindWire.get(spec.target);
      if (path) targetField?.problem(wireOnly(spec.target, path, `proxy "${name}"`));
      else if (!named.has(spec.target)) named.set(spec.target, name);
    }
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

/** `target "x" lives inside wire path "p": …` — the message for a second user of a wire path's target. */
export function wireOnly(target: string, path: string, who: string): string {
  return `target "${target}" runs inside wire path "${path}", so only that path reaches it, not ${who}`;
}

/** `layer:` (default proxy); undefined after a problem (or for a proxy that is not a map, reported later). */
function loadLayer(field: Field): ProxyLayer | undefined {
  const entries = field.present && field.isMap ? field.map() : undefined;
  if (!entries?.has('layer')) return 'proxy';
  return entries.get('layer').oneOf(PROXY_LAYERS);
}

function loadWirePath(
  name: string,
  field: Field,
  targets: LoadedTargets,
  seen: { behindWire: Map<string, string>; named: Map<string, string> },
): { spec?: WirePathSpec; info?: ProxyInfo } {
  const entries = field.map()!;
  entries.allowOnly(PROXY_LAYER_KEYS.wire, 'a wire path', (key) =>
    key === 'protocol'
      ? 'a wire path carries TCP and UDP alike: protocol does not apply (a fault can match a protocol: toxic: { protocol: udp, … })'
      : key === 'listen' || key === 'upstream' || key === 'session_idle_timeout'
        ? `${key} does not apply to a wire path: nothing listens in between; workloads send to the target's own address on the path`
        : undefined,
  );
  const targetField = entries.get('target');
  if (!targetField.present) {
    field.problem(`wire path "${name}" needs a target (a builtin or command target, which then runs inside the path)`);
    return {};
  }
  let target = targetField.reference(targets.byName, 'target');
  const info = target === undefined ? undefined : targets.byName.get(target);
  if (target !== undefined && info?.kind === 'address') {
    target = targetField.problem(
      `wire path "${name}" cannot reach target "${target}": an address target runs outside faultline's namespaces`,
      'put a builtin or command target behind a wire path; it is started inside the path',
    );
  } else if (target !== undefined) {
    const path = seen.behindWire.get(target);
    const proxy = seen.named.get(target);
    if (path) target = targetField.problem(wireOnly(target, path, `wire path "${name}"`));
    else if (proxy) target = targetField.problem(wireOnly(target, name, `proxy "${proxy}"`), 'give each a target of its own');
    else seen.behindWire.set(target, name);
  }
  const mtuField = entries.get('mtu');
  const mtu = mtuField.present ? mtuField.integer({ min: 576, max: 65_535, unit: 'bytes' }) : DEFAULT_MTU;
  if (target === undefined || mtu === undefined) return { info: { layer: 'wire', ...(target !== undefined ? { target } : {}) } };
  return { spec: { layer: 'wire', name, target, mtu, where: field.where }, info: { layer: 'wire', target } };
}

function loadProxy(name: string, field: Field, targets: LoadedTargets): { spec?: StreamProxySpec; info?: ProxyInfo; listenField?: Field; targetField?: Field } {
  if (!field.require('a proxy, e.g. { protocol: udp, target: echo }')) return {};
  const entries = field.map('a proxy, e.g. { protocol: udp, target: echo }');
  if (!entries) return {};
  entries.allowOnly(PROXY_LAYER_KEYS.proxy, 'a proxy', (key) =>
    (PROXY_KEYS as readonly string[]).includes(key) ? `${key} applies to wire paths only (layer: wire)` : undefined,
  );
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
  const info: ProxyInfo = { layer: 'proxy', protocol };
  if (target !== undefined) info.target = target;
  if (upstream !== undefined) info.upstream = true;
  const behind = target !== undefined ? { target } : upstream !== undefined ? { upstream } : undefined;
  if (!behind) return { info };
  const spec: StreamProxySpec = { layer: 'proxy', name, protocol, listen, where: field.where, ...behind };
  if (sessionIdleTimeoutMs !== undefined) spec.sessionIdleTimeoutMs = sessionIdleTimeoutMs;
  return { spec, info, listenField, targetField };
}

/**
 * `{proxy:NAME}` in a command (a service whose dependency is reached through a faultline proxy):
 * NAME must be a proxy of the scenario, and the proxy's own target must come earlier in
 * `targets:`, since the runner starts targets in order and creates a proxy just before the first
 * target that names it. A wire path has no address to put there, and a command that runs inside
 * a wire path's namespaces cannot reach a proxy on this machine's loopback.
 */
export function checkProxyPlaceholders(field: Field, targets: LoadedTargets, proxies: LoadedProxies): void {
  const order = targets.specs.map((t) => t.name);
  /** Target name → the wire path it runs inside. */
  const inside = new Map<string, string>();
  for (const [name, info] of proxies.byName) if (info?.layer === 'wire' && info.target !== undefined) inside.set(info.target, name);
  for (const target of targets.specs) {
    if (target.kind !== 'command') continue;
    const commandField = field.map()?.get(target.name).map()?.get('command');
    if (!commandField) continue;
    for (const name of proxyPlaceholders(target.argv)) {
      const info = proxies.byName.get(name);
      if (!info) {
        const known = [...proxies.byName.keys()];
        commandField.problem(`{proxy:${name}} names no proxy`, known.length > 0 ? `proxies in this scenario: ${known.join(', ')}` : 'this scenario has no proxies');
        continue;
      }
      if (info.layer === 'wire') {
        commandField.problem(`{proxy:${name}}: "${name}" is a wire path, which has no listen address to put in a command`, 'a wire path is the route to its target; name a proxy (protocol: tcp or udp) here');
        continue;
      }
      const path = inside.get(target.name);
      if (path !== undefined) {
        commandField.problem(
          `{proxy:${name}}: target "${target.name}" runs inside wire path "${path}", where proxy "${name}" (on this machine's loopback) cannot be reached`,
          `put what "${target.name}" calls on the same side, or give "${target.name}" a proxy instead of a wire path`,
        );
        continue;
      }
      const behind = info.target;
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
