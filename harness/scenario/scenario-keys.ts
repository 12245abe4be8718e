/**
 * The keys each part of a scenario file accepts, and the name patterns. One table shared by the
 * loader (unknown-key errors with did-you-mean) and the JSON Schema generator; a test checks
 * that the schema's properties are exactly these, so the two cannot drift apart.
 */
import { MAX_NAME_LENGTH } from '../core/spec.js';
import { WORKLOAD_DEFINITIONS } from '../workload/registry.js';

export const SCENARIO_KEYS = [
  'name',
  'description',
  'tags',
  'seed',
  'timeout',
  'expect',
  'targets',
  'proxies',
  'workloads',
  'faults',
  'assert',
  'compare',
  'explore',
  'if_unavailable',
] as const;

export const TARGET_KINDS = ['builtin', 'command', 'address'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const TARGET_KEYS: Record<TargetKind, readonly string[]> = {
  builtin: ['builtin'],
  command: ['command', 'cwd', 'env', 'tcp', 'udp', 'ready', 'ready_timeout'],
  address: ['address', 'tcp', 'udp'],
};

export const BUILTIN_SERVERS = ['echo', 'sink'] as const;

export const READY_KEYS = ['tcp', 'stdout'] as const;

/** Where a proxy's faults act: the backend's proxy (stream-level for TCP), or a wire path (packets). */
export const PROXY_LAYERS = ['proxy', 'wire'] as const;
export type ProxyLayer = (typeof PROXY_LAYERS)[number];

export const PROXY_KEYS = ['layer', 'protocol', 'target', 'upstream', 'listen', 'session_idle_timeout', 'mtu'] as const;
/** The keys each layer takes. */
export const PROXY_LAYER_KEYS: Record<ProxyLayer, readonly (typeof PROXY_KEYS)[number][]> = {
  proxy: ['layer', 'protocol', 'target', 'upstream', 'listen', 'session_idle_timeout'],
  wire: ['layer', 'target', 'mtu'],
};

/** Keys every workload takes whatever its type: the type and the route (a proxy, or a target). */
export const WORKLOAD_ROUTE_KEYS = ['type', 'via', 'target'] as const;

/** Keys each workload type accepts: the route, then its definition's options. */
export const WORKLOAD_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  WORKLOAD_DEFINITIONS.map((d) => [d.type, [...WORKLOAD_ROUTE_KEYS, ...d.options]]),
);

/** Every key some workload type accepts (for the did-you-mean of an unknown key). */
export const ALL_WORKLOAD_KEYS: readonly string[] = [...new Set(Object.values(WORKLOAD_KEYS).flat())];

export const REQUEST_SEND_KEYS = ['send', 'send_hex', 'send_file'] as const;
export const REQUEST_EXPECT_KEYS = ['expect', 'expect_hex', 'expect_prefix', 'expect_regex'] as const;
export const REQUEST_KEYS = [...REQUEST_SEND_KEYS, ...REQUEST_EXPECT_KEYS] as const;

export const FRAMING_WORDS = ['newline'] as const;
export const FRAMING_KEYS = ['length_prefix', 'length', 'idle'] as const;

export const FAULT_KEYS = ['proxy', 'toxic', 'down', 'at', 'for'] as const;
export const TOXIC_KEYS = ['name', 'type', 'stream', 'toxicity', 'protocol', 'port', 'attributes'] as const;
/** Toxic keys only a wire path's faults take: which packets they act on. */
export const PACKET_MATCH_KEYS = ['protocol', 'port'] as const;

export const EXPLORE_KEYS = ['proxies', 'faults', 'max_faults', 'streams', 'start', 'duration', 'runs', 'time'] as const;
/** The fault kind `explore.faults` names besides the toxic types. */
export const EXPLORE_DOWN = 'down';
/** Bounds of `explore.max_faults` and `explore.runs` (and `faultline explore --runs`). */
export const MAX_EXPLORE_FAULTS = 10;
export const MAX_EXPLORE_RUNS = 100_000;
/** What `faultline explore` does when neither the file nor the command line says. */
export const DEFAULT_MAX_FAULTS = 3;
export const DEFAULT_EXPLORE_RUNS = 100;

/** Names of targets, proxies and workloads. */
export const IDENTIFIER = {
  regex: new RegExp(`^[A-Za-z_][A-Za-z0-9_-]{0,${MAX_NAME_LENGTH - 1}}$`),
  text: `a name of letters, digits, _ and - (starting with a letter or _, at most ${MAX_NAME_LENGTH} characters)`,
};
/** Scenario names: they become file and test names. */
export const SCENARIO_NAME = { regex: /^[A-Za-z0-9_.-]+$/, text: 'a scenario name of letters, digits, -, _ and .' };
/** Tags: `--tag a,b` splits on commas, so no commas or spaces. */
export const TAG = { regex: /^[^\s,]+$/, text: 'a tag without spaces or commas' };
/** Environment variable names for command targets. */
export const ENV_NAME = { regex: /^[A-Za-z_][A-Za-z0-9_]*$/, text: 'an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' };
