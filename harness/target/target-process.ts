/**
 * A target's process, run in its own process group so that the whole tree it starts (a shell
 * script's children, a server's workers) can be stopped together, under a supervisor that stops
 * that group when faultline dies, however it dies (supervisor.cjs):
 *
 *   spawn(node supervisor.cjs -- argv, detached) ──▶ pgid = supervisor's pid ──▶ target in the group
 *     fd 3: lifeline + reports (spawned, spawn error, exit)   fds 4, 5: the target's stdout/stderr tails
 *   stop(): SIGTERM to -pgid ──▶ wait ≤ grace for the group to empty ──▶ SIGKILL to -pgid ──▶ wait
 *
 * No shell is involved: argv[0] is executed directly. A grandchild that leaves the group on
 * purpose (setsid, double fork into a new session) escapes, as it would escape a terminal's Ctrl-C.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.js';
import { OutputTail } from './output-tail.js';

/**
 * The supervisor's source. The same path from dist/target/ and from harness/target/ (the tests):
 * it is plain JavaScript, shipped as is (package.json "files").
 */
const SUPERVISOR = fileURLToPath(new URL('../../harness/target/supervisor.cjs', import.meta.url));

/** How long stop() waits after SIGTERM before SIGKILL, ms. */
export const STOP_GRACE_MS = 2000;

/** Longest stdout line handed to line listeners; longer ones are passed on in pieces. */
const MAX_LINE_CHARS = 64 * 1024;

/** child_process.spawn's shape, for starting the program elsewhere (NetworkPlace.spawn). */
export type Spawner = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (ENOENT, EACCES…). */
  spawnError?: NodeJS.ErrnoException;
}

export class TargetProcess {
  readonly stdout = new OutputTail();
  readonly stderr = new OutputTail();
  /** Resolves once the program has exited (or failed to start) and its output pipes are drained, or soon after exit if something else holds them open. */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private readonly child: ChildProcess;
  private readonly lineListeners: Array<(line: string) => void> = [];
  private partialLine = '';
  private stopping: Promise<void> | undefined;
  private targetPid: number | undefined;

  /** `spawn`: how to start the program, by default child_process.spawn (a wire path's side starts it inside). */
  constructor(
    argv: readonly string[],
    options: { cwd: string; env: NodeJS.ProcessEnv; graceMs?: number; spawn?: Spawner },
    private readonly clock: Clock,
  ) {
    // NODE_OPTIONS is the target's (a user's --require must not slow the supervisor down): the
    // supervisor gets it as an argument and hands it on. On a wire path the supervisor itself is
    // started inside the target side (`spawn`), so the program and its children run there too.
    const { NODE_OPTIONS: nodeOptions = '', ...env } = options.env;
    this.child = (options.spawn ?? spawn)(process.execPath, [SUPERVISOR, String(options.graceMs ?? STOP_GRACE_MS), nodeOptions, '--', ...argv], {
      cwd: options.cwd,
      env,
      detached: true, // its own session and process group (setsid): -pid signals the whole tree
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const [control, out, err] = (this.child.stdio as unknown as Array<Readable | null>).slice(3);
    const decoder = new StringDecoder('utf8');
    out?.on('data', (chunk: Buffer) => {
      this.stdout.push(chunk);
      this.feedLines(decoder.write(chunk));
    });
    err?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    for (const stream of [control, out, err]) stream?.on('error', () => {});

    this.exited = new Promise((resolve) => {
      let exit: ProcessExit | undefined;
      let drainTimer: NodeJS.Timeout | undefined;
      let open = (out ? 1 : 0) + (err ? 1 : 0);
      const settle = () => {
        clearTimeout(drainTimer);
        this.exit = exit!;
        resolve(exit!);
      };
      const ended = (found: ProcessExit) => {
        if (exit) return;
        exit = found;
        if (found.spawnError || open === 0) return settle();
        // Wait for the pipes to drain so the last lines are captured, but not for a grandchild
        // that keeps them open: that one is dealt with by stop().
        drainTimer = setTimeout(settle, 250);
      };
      for (const stream of [out, err]) {
        stream?.once('close', () => {
          if (--open === 0 && exit) settle();
        });
      }
      readReports(control, (report) => {
        if (report.spawned !== undefined) this.targetPid = report.spawned;
        else if (report.spawnError) ended({ exitCode: null, signal: null, spawnError: Object.assign(new Error(report.spawnError.message), { code: report.spawnError.code }) });
        else if (report.exit) ended({ exitCode: report.exit.code, signal: report.exit.signal });
      });
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        // The supervisor itself could not start (no such cwd): as if the program could not.
        if (this.child.pid === undefined) ended({ exitCode: null, signal: null, spawnError: error });
      });
      // Without a report the supervisor died with the target (SIGKILL to the group): its end is the target's.
      this.child.once('exit', (exitCode, signal) => setImmediate(() => ended({ exitCode, signal })));
    });
  }

  /** The process group's id (the supervisor's pid). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The target program's own pid, once it started. */
  get programPid(): number | undefined {
    return this.targetPid;
  }

  /** The exit, once it happened. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** Calls `listener` with every complete stdout line from now on (and the pending partial one). */
  onLine(listener: (line: string) => void): void {
    this.lineListeners.push(listener);
    if (this.partialLine !== '') listener(this.partialLine);
  }

  /**
   * Stops the whole process group: SIGTERM, then SIGKILL after `graceMs` if anything in the group
   * is still alive. Resolves when the group is gone. Idempotent.
   */
  stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping ??= this.stopGroup(graceMs);
    return this.stopping;
  }

  private async stopGroup(graceMs: number): Promise<void> {
    const pgid = this.child.pid;
    if (pgid === undefined) return;
    signalGroup(pgid, 'SIGTERM');
    if (!(await this.waitForGroup(pgid, graceMs))) {
      signalGroup(pgid, 'SIGKILL');
      await this.waitForGroup(pgid, 5000);
    }
    await this.until(this.exited, 1000);
    for (const stream of this.child.stdio) stream?.destroy();
  }

  /** Polls until the leader has exited and no live process is left in the group; false on timeout. */
  private async waitForGroup(pgid: number, timeoutMs: number): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      if (this.exit !== undefined || this.child.exitCode !== null || this.child.signalCode !== null) {
        if (!groupAlive(pgid)) return true;
      }
      if (this.clock.now() >= deadline) return false;
      if (this.exit === undefined) await this.until(this.exited, 20);
      else await this.clock.sleep(20);
    }
  }

  /** Waits for `promise`, at most `ms`; the timer is cancelled either way. */
  private async until(promise: Promise<unknown>, ms: number): Promise<void> {
    const cancel = new AbortController();
    await Promise.race([promise, this.clock.sleep(ms, cancel.signal)]);
    cancel.abort();
  }

  private feedLines(text: string): void {
    let data = this.partialLine + text;
    let newline = data.indexOf('\n');
    while (newline >= 0) {
      this.emitLine(data.slice(0, newline).replace(/\r$/, ''));
      data = data.slice(newline + 1);
      newline = data.indexOf('\n');
    }
    while (data.length > MAX_LINE_CHARS) {
      this.emitLine(data.slice(0, MAX_LINE_CHARS));
      data = data.slice(MAX_LINE_CHARS);
    }
    this.partialLine = data;
    // A prompt-like line without a newline ("listening on 4000") may be all a server prints.
    if (data !== '') for (const listener of this.lineListeners) listener(data);
  }

  private emitLine(line: string): void {
    for (const listener of this.lineListeners) listener(line);
  }
}

interface SupervisorReport {
  spawned?: number;
  spawnError?: { code?: string; message: string };
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/** Calls `onReport` with each JSON line the supervisor writes on its control pipe. */
function readReports(stream: Readable | null | undefined, onReport: (report: SupervisorReport) => void): void {
  let pending = '';
  stream?.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        onReport(JSON.parse(line) as SupervisorReport);
      } catch {
        // not a report: nothing else writes there
      }
    }
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

/**
 * Whether any live (non-zombie) process is in group `pgid`. On Linux, /proc tells zombies apart:
 * a killed grandchild re-parented to an init that does not reap stays a zombie forever and must
 * not count. Elsewhere, signal 0 to the group.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return signalZero(-pgid);
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited while we looked
      }
      // "pid (comm) state ppid pgrp …"; comm may contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    }
    return false;
  }
  return signalZero(-pgid);
}

/** Whether a process (or, negative, a group) exists; zombies count as existing. */
function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether one process is alive (exists and is not a zombie). For tests and diagnostics. */
export function processAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  return signalZero(pid);
}
