/**
 * The vocabulary shared by every layer: proxies and toxics in Toxiproxy's JSON shape (snake_case
 * keys, Toxiproxy's units), plus `protocol`, which Toxiproxy does not have.
 */

export type Protocol = 'tcp' | 'udp';
export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];

/** What a proxy carries: one protocol, or — `ip`, a wire path (docs/wire.md) — every IP packet, TCP and UDP alike. */
export type ProxyProtocol = Protocol | 'ip';

/** `upstream` = client → server, `downstream` = server → client (Toxiproxy's meaning). */
export type Direction = 'upstream' | 'downstream';
export const DIRECTIONS: readonly Direction[] = ['upstream', 'downstream'];

/**
 * Longest proxy or toxic name, in characters. Toxiproxy has no limit; a name is repeated in every
 * `/metrics` series, log line and ledger, so one 1 MB name made every scrape 17 MB and stalled the
 * event loop for a quarter of a second. Scenario names of targets, proxies and workloads share it.
 */
export const MAX_NAME_LENGTH = 256;

/** Why `name` is too long to be a proxy or toxic name, or undefined. */
export function nameLengthProblem(name: string): string | undefined {
  return name.length > MAX_NAME_LENGTH ? `name is too long: ${name.length} characters, at most ${MAX_NAME_LENGTH}` : undefined;
}

/** A toxic as stored and reported: every field resolved, attributes validated with defaults filled. */
export interface ToxicSpec {
  /** Unique across both directions of one proxy. Default `<type>_<stream>`. */
  name: string;
  /** Registered toxic type, e.g. `latency`, `loss`. */
  type: string;
  stream: Direction;
  /**
   * Probability in 0..1 that the toxic is active. TCP: decided once per connection and toxic.
   * UDP: decided per datagram.
   */
  toxicity: number;
  /** Toxic-specific attributes in Toxiproxy's keys and units (see docs/toxics.md). */
  attributes: Record<string, number>;
}

/**
 * Which packets a wire fault acts on (docs/wire.md): a transport, and a port (source or
 * destination). A proxy's toxics act on everything that crosses it and have no match.
 */
export interface PacketMatch {
  protocol?: Protocol;
  port?: number;
}

/** A toxic as a user sends it: everything but `type` optional, nothing validated yet. */
export interface ToxicInput {
  name?: unknown;
  type?: unknown;
  stream?: unknown;
  toxicity?: unknown;
  attributes?: unknown;
}

/** A partial toxic update (POST/PATCH `/proxies/{p}/toxics/{t}`): attributes merge into the old ones. */
export interface ToxicPatch {
  toxicity?: unknown;
  attributes?: unknown;
}

/** Default idle time after which a UDP session (one client address) is forgotten, in ms. */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 60_000;

/** A proxy as stored and reported. */
export interface ProxyState {
  name: string;
  protocol: ProxyProtocol;
  /**
   * `host:port` the proxy listens on. When created with port 0 and enabled, this is the real
   * port the system picked (as Toxiproxy does); a disabled proxy reports what was asked for.
   * A wire path listens nowhere: its client side's address, port 0 (it carries every port).
   */
  listen: string;
  /** `host:port` of the server behind the proxy; a wire path: its target side's address, port 0. */
  upstream: string;
  enabled: boolean;
  /** UDP only: idle ms after which a client's session and its upstream socket are dropped. */
  session_idle_timeout?: number;
  toxics: ToxicSpec[];
}

/** A proxy as a user sends it (POST `/proxies`, `/populate`, `--config`): unvalidated. */
export interface ProxyInput {
  name?: unknown;
  listen?: unknown;
  upstream?: unknown;
  enabled?: unknown;
  protocol?: unknown;
  session_idle_timeout?: unknown;
}

/** A partial proxy update (POST/PATCH `/proxies/{p}`). */
export interface ProxyPatch {
  listen?: unknown;
  upstream?: unknown;
  enabled?: unknown;
  session_idle_timeout?: unknown;
}
