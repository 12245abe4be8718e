/**
 * `host:port` addresses as Toxiproxy writes them, including bracketed IPv6 (`[::1]:8474`).
 *
 * The host is checked here, before anything resolves it: an IP literal, or a host name as
 * RFC 1123 allows it (letters, digits and hyphens in dot-separated labels of at most 63, 253 in
 * all). Text that is neither — `[]`, `256.1.1.1`, a name with spaces or a megabyte long — is not
 * an address, so it is the user's mistake (400, exit 2), not a failed DNS lookup (500, exit 3).
 */
import { isIP, isIPv6 } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

const BRACKETED = /^\[([^\]]+)\]:(\d+)$/;
const PLAIN = /^([^:\s]*):(\d+)$/;

/**
 * Parses `host:port`, `[v6]:port` or `:port` (host defaults to 127.0.0.1, not all interfaces:
 * a fault proxy should not be reachable from the network unless asked). `localhost` becomes
 * 127.0.0.1, as Go resolves it for Toxiproxy; Node would otherwise pick ::1 or 127.0.0.1
 * depending on resolver order, and a proxy on one would not meet a server on the other.
 * Returns undefined when the text is not an address, so callers report it with their own location.
 */
export function parseHostPort(text: string): HostPort | undefined {
  const bracketed = BRACKETED.exec(text);
  const match = bracketed ?? PLAIN.exec(text);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return undefined;
  const host = match[1] === '' ? '127.0.0.1' : match[1]!;
  if (bracketed ? !isIPv6(host) : !isHostName(host)) return undefined;
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Whether `host` is an IP address or a well-formed host name. Dotted digits must be an IPv4
 * address (`256.1.1.1` is not a name that happens to be numeric).
 */
export function isHostName(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (/^[\d.]+$/.test(host)) return false;
  return HOSTNAME.test(host);
}

/** Formats an address, bracketing IPv6 hosts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Expected-format text for error messages. */
export const HOST_PORT_FORMAT = 'host:port, e.g. 127.0.0.1:8474, [::1]:8474 or :0 for a free port on 127.0.0.1';
