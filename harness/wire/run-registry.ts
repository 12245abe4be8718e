/**
 * What a faultline process created on this machine for its wire paths, written down as it goes,
 * so that whatever ends the process, someone can remove exactly that and nothing else.
 *
 *   <registry dir>/<runId>.json   { runId, pid, startTime, namespaces: [{ name, inode, published? }] }
 *
 * The registry is /run/faultline when faultline may write there (root), else
 * $XDG_RUNTIME_DIR/faultline, else <tmpdir>/faultline-<uid>. A run's owner is alive while a
 * process with its pid *and* its start time exists (a reused pid has another start time).
 *
 * Who cleans up what (docs/wire.md, "Cleaning up"):
 *   - the process itself, on close() and synchronously on exit (also after SIGINT or an uncaught
 *     error, which exit through the same hook);
 *   - a supervisor (supervisor.ts) when the process is killed outright;
 *   - the next wire path any faultline creates, for runs whose owner is gone;
 *   - `cleanupWire()` (the `faultline wire cleanup` command) on request.
 * TUN devices need nothing: they end with their namespace. The kernel removes a namespace once
 * nothing refers to it: no descriptor (they close with the process), no bind mount (a published
 * name: unmounted here) and no process inside (a target: killed here).
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadWireAddon } from './native.js';

/** Every name faultline gives a namespace or device starts with this. */
export const WIRE_PREFIX = 'fl';
/** The environment variable marking processes faultline started inside a wire namespace. */
export const WIRE_RUN_ENV = 'FAULTLINE_WIRE_RUN';

export interface NamespaceRecord {
  name: string;
  /** The namespace's inode (what /proc/PID/ns/net links to as net:[inode]). */
  inode: number;
  /** The bind mount under /run/netns, when the namespace was published (root only). */
  published?: string;
}

export interface RunRecord {
  runId: string;
  pid: number;
  /** Field 22 of /proc/PID/stat: with the pid, names the process even if the pid is reused. */
  startTime: number;
  namespaces: NamespaceRecord[];
}

export interface CleanupReport {
  /** Runs whose leftovers were removed. */
  runs: string[];
  namespaces: string[];
  processesKilled: number;
  /** Runs left alone because their owner is still running. */
  skipped: string[];
  problems: string[];
}

let chosenDir: string | undefined;

/** The registry folder, created on first use (0700 when faultline creates it). */
export function registryDir(): string {
  if (chosenDir) return chosenDir;
  const candidates = [
    '/run/faultline',
    ...(process.env.XDG_RUNTIME_DIR ? [join(process.env.XDG_RUNTIME_DIR, 'faultline')] : []),
    join(tmpdir(), `faultline-${hostUid()}`),
  ];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const probe = join(dir, `.probe-${process.pid}`);
      writeFileSync(probe, '');
      rmSync(probe);
      chosenDir = dir;
      return dir;
    } catch {
      // not writable here (rootless: /run belongs to the real root); try the next
    }
  }
  throw new Error(`faultline: no writable folder for the wire run registry among ${candidates.join(', ')}`);
}

/** The user's id on the machine, also from inside a user namespace (where it may read 0). */
function hostUid(): number {
  try {
    const [inside, outside] = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).map(Number);
    if (inside === userInfo().uid && outside !== undefined) return outside;
  } catch {
    // no /proc: the id as it reads
  }
  return userInfo().uid;
}

/** The start time of a running process; undefined when there is none (a zombie has finished). */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

export function ownerAlive(record: Pick<RunRecord, 'pid' | 'startTime'>): boolean {
  return processStartTime(record.pid) === record.startTime;
}

/** This process's record, kept on disk in step with what it creates. */
export class RunRegistry {
  private readonly record: RunRecord;
  readonly file: string;

  constructor(readonly runId: string) {
    this.record = { runId, pid: process.pid, startTime: processStartTime(process.pid) ?? 0, namespaces: [] };
    this.file = join(registryDir(), `${runId}.json`);
  }

  /** Call *before* creating the namespace's bind mount, so that a crash in between leaves a trace. */
  add(namespace: NamespaceRecord): void {
    this.record.namespaces.push(namespace);
    this.save();
  }

  remove(name: string): void {
    this.record.namespaces = this.record.namespaces.filter((n) => n.name !== name);
    if (this.record.namespaces.length === 0) rmSync(this.file, { force: true });
    else this.save();
  }

  private save(): void {
    const partial = `${this.file}.${process.pid}.tmp`;
    writeFileSync(partial, `${JSON.stringify(this.record)}\n`, { mode: 0o600 });
    renameSync(partial, this.file);
  }
}

export function readRunRecords(dir = registryDir()): Array<{ file: string; record?: RunRecord; problem?: string }> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = join(dir, name);
    try {
      return { file, record: JSON.parse(readFileSync(file, 'utf8')) as RunRecord };
    } catch (error) {
      return { file, problem: `${file}: ${(error as Error).message}` };
    }
  });
}

export interface CleanupOptions {
  /** Only this run; default: every run whose owner is gone. */
  runId?: string;
  /** Unmounts a published namespace; default: the addon's unmount, or `umount -l` without it. */
  unmount?: (path: string) => void;
  dir?: string;
}

/**
 * Removes the leftovers of runs whose owner is gone: kills the processes inside their namespaces,
 * detaches their published names, forgets the run. Never touches a run whose owner still runs,
 * nor any namespace that a run record does not name with its inode.
 */
export function cleanupWire(options: CleanupOptions = {}): CleanupReport {
  const report: CleanupReport = { runs: [], namespaces: [], processesKilled: 0, skipped: [], problems: [] };
  const { addon } = loadWireAddon();
  const unmount = options.unmount ?? (addon ? (path: string) => addon.unmount(path) : lazyUnmount);
  for (const { file, record, problem } of readRunRecords(options.dir)) {
    if (problem || !record) {
      report.problems.push(problem ?? `${file}: unreadable`);
      continue;
    }
    if (options.runId !== undefined && record.runId !== options.runId) continue;
    if (ownerAlive(record)) {
      report.skipped.push(record.runId);
      continue;
    }
    for (const ns of record.namespaces) {
      try {
        report.processesKilled += removeNamespace(record.runId, ns, unmount);
        report.namespaces.push(ns.name);
      } catch (error) {
        report.problems.push(`${ns.name}: ${(error as Error).message}`);
      }
    }
    rmSync(file, { force: true });
    report.runs.push(record.runId);
  }
  return report;
}

/** Kills what runs inside, then detaches the published name; returns how many processes it killed. */
export function removeNamespace(runId: string, ns: NamespaceRecord, unmount: (path: string) => void): number {
  // A published name pins its namespace, so its inode cannot have been reused: everything inside
  // is faultline's. An unpublished one may be gone and its inode reused by someone else's
  // namespace: then only processes marked with this run's id are ours.
  const pinned = ns.published !== undefined && existsSync(ns.published) && statSync(ns.published).ino === ns.inode;
  const killed = killProcessesIn(ns.inode, pinned ? undefined : runId);
  if (ns.published !== undefined && existsSync(ns.published)) {
    if (pinned) unmount(ns.published);
    rmSync(ns.published, { force: true });
  }
  return killed;
}

/** SIGKILLs the processes in the namespace (only those marked with `markedRunId`, if given). */
export function killProcessesIn(inode: number, markedRunId?: string): number {
  const victims: number[] = [];
  for (const pid of processesIn(inode)) {
    if (pid === process.pid) continue;
    try {
      if (markedRunId !== undefined && !readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${WIRE_RUN_ENV}=${markedRunId}`)) continue;
      process.kill(pid, 'SIGKILL');
      victims.push(pid);
    } catch {
      // gone meanwhile, or not ours to see
    }
  }
  return victims.length;
}

/** The processes whose network namespace is `inode`, as /proc shows them now. */
export function processesIn(inode: number): number[] {
  const link = `net:[${inode}]`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === link) found.push(pid);
    } catch {
      // gone meanwhile, or not ours to see
    }
  }
  return found;
}

function lazyUnmount(path: string): void {
  const result = spawnSync('umount', ['-l', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`umount -l ${path}: ${(result.stderr || result.error?.message || '').trim()}`);
}
