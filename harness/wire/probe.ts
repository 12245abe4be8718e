/**
 * What this machine supports of the wire layer, and precisely what is missing: for `faultline
 * wire probe` (a doctor), and so that a wire scenario can stop with ENVIRONMENT (exit 3) before
 * anything starts. The probe does the real thing once — a namespace with a TUN device, removed at
 * once (~2 ms) — because the question "may this process create them?" has too many answers
 * (capabilities, user namespaces, seccomp, device permissions) to predict reliably.
 *
 * Two ways to have the privileges:
 *   root           CAP_NET_ADMIN and CAP_SYS_ADMIN in the machine's own user namespace (CI);
 *                  namespaces are also published under /run/netns
 *   user namespace an unprivileged user's process started as `unshare --user --map-root-user`:
 *                  root in a user namespace of its own, which owns every network namespace it
 *                  creates. Needs /dev/net/tun to be readable and writable by that user.
 */
import { accessSync, constants, readFileSync, statSync, closeSync } from 'node:fs';
import { loadWireAddon } from './native.js';

export type WirePrivilege = 'root' | 'user-namespace' | 'none';

export interface WireSupport {
  available: boolean;
  /** Where this process's privileges come from. */
  mode: WirePrivilege;
  /** What prevents the wire layer here, each a sentence naming the remedy; empty when available. */
  missing: string[];
  /** Whether an unprivileged user could use it on this machine (rootless), and why (not). */
  rootless: { possible: boolean; reason: string };
}

/** Capability bits (linux/capability.h). */
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

export function probeWire(): WireSupport {
  const missing: string[] = [];
  const mode = privilege();
  const rootless = rootlessSupport();
  const { addon, problem } = loadWireAddon();
  if (!addon) missing.push(problem!);
  else if (!exists('/dev/net/tun')) missing.push('there is no /dev/net/tun: the kernel needs CONFIG_TUN (modprobe tun)');
  else if (mode === 'none') {
    missing.push(
      `creating network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN: run as root${
        rootless.possible ? ', or start faultline inside a user namespace of its own (unshare --user --map-root-user)' : ` (rootless is not possible here: ${rootless.reason})`
      }`,
    );
  } else {
    try {
      const probe = addon.createSide({ name: `flprobe${(process.pid % 1e6).toString(36)}`, address: '198.19.255.253', peer: '198.19.255.254', mtu: 1500 });
      closeSync(probe.tunFd);
      closeSync(probe.nsFd);
    } catch (error) {
      missing.push(describeFailure(error as NodeJS.ErrnoException, mode));
    }
  }
  return { available: missing.length === 0, mode, missing, rootless };
}

function privilege(): WirePrivilege {
  const effective = capabilities();
  if ((effective >> CAP_NET_ADMIN) & 1n && (effective >> CAP_SYS_ADMIN) & 1n) return inInitialUserNamespace() ? 'root' : 'user-namespace';
  return 'none';
}

function capabilities(): bigint {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)/m);
    return line ? BigInt(`0x${line[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

/** The machine's own user namespace maps every id onto itself. */
function inInitialUserNamespace(): boolean {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') === '0 0 4294967295';
  } catch {
    return true;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function rootlessSupport(): WireSupport['rootless'] {
  let maxUserNamespaces = 0;
  try {
    maxUserNamespaces = Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8'));
  } catch {
    return { possible: false, reason: 'this kernel has no user namespaces (CONFIG_USER_NS)' };
  }
  if (maxUserNamespaces === 0) return { possible: false, reason: 'user namespaces are disabled (sysctl user.max_user_namespaces = 0)' };
  let mode: number;
  try {
    mode = statSync('/dev/net/tun').mode & 0o777;
  } catch {
    return { possible: false, reason: 'there is no /dev/net/tun' };
  }
  if ((mode & 0o006) !== 0o006) {
    return {
      possible: false,
      reason: `user namespaces are enabled, but /dev/net/tun is mode 0${mode.toString(8)}: only its owner and group may open it, and a user namespace's root is not the machine's (most distributions ship it 0666)`,
    };
  }
  return { possible: true, reason: 'user namespaces are enabled and /dev/net/tun is open to every user: `faultline run` and `explore` start themselves in a user namespace of their own when a scenario needs the wire layer (or start faultline under `unshare --user --map-root-user`)' };
}

function describeFailure(error: NodeJS.ErrnoException, mode: WirePrivilege): string {
  const step = error.syscall ?? 'creating a namespace';
  if (step.toLowerCase().includes('tun')) {
    let writable = true;
    try {
      accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    } catch {
      writable = false;
    }
    if (!writable || error.errno === -13 || error.errno === -1) {
      return mode === 'user-namespace'
        ? '/dev/net/tun cannot be opened from this user namespace: it must be readable and writable by the user who started faultline (mode 0666, as most distributions ship it)'
        : `/dev/net/tun cannot be opened (${error.message})`;
    }
  }
  return `${step} failed: ${error.message}`;
}

/** Where a wire path's privileges come from, as `doctor` and `wire probe` say it. */
export const PRIVILEGE_WORDS: Record<WirePrivilege, string> = {
  root: 'root (CAP_NET_ADMIN, CAP_SYS_ADMIN)',
  'user-namespace': 'root of a user namespace of its own (rootless)',
  none: 'none',
};
