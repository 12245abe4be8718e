/**
 * `host:port` addresses as Toxiproxy writes them, including bracketed IPv6 (`[::1]:8474`).
 */

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
  const match = BRACKETED.exec(text) ?? PLAIN.exec(text);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return undefined;
  const host = match[1] === '' ? '127.0.0.1' : match[1]!;
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

/** Formats an address, bracketing IPv6 hosts. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Expected-format text for error messages. */
export const HOST_PORT_FORMAT = 'host:port, e.g. 127.0.0.1:8474, [::1]:8474 or :0 for a free port on 127.0.0.1';
