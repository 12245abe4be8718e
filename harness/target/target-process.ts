/**
 * A target's process, run in its own process group so that the whole tree it starts (a shell
 * script's children, a server's workers) can be stopped together:
 *
 *   spawn(argv, detached) ──▶ pgid = pid ──▶ stdout/stderr tails (+ a line listener)
 *   stop(): SIGTERM to -pgid ──▶ wait ≤ grace for the group to empty ──▶ SIGKILL to -pgid ──▶ wait
 *
 * No shell is involved: argv[0] is executed directly. A grandchild that leaves the group on
 * purpose (setsid, double fork into a new session) escapes, as it would escape a terminal's Ctrl-C.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Clock } from '../core/clock.js';
import { OutputTail } from './output-tail.js';

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

  /** `spawn`: how to start the program, by default child_process.spawn (a wire path's side starts it inside). */
  constructor(
    argv: readonly string[],
    options: { cwd: string; env: NodeJS.ProcessEnv; spawn?: Spawner },
    private readonly clock: Clock,
  ) {
    this.child = (options.spawn ?? spawn)(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      detached: true, // its own process group (setsid), so -pid signals the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const decoder = new StringDecoder('utf8');
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout.push(chunk);
      this.feedLines(decoder.write(chunk));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => {
      let exit: ProcessExit | undefined;
      let drainTimer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(drainTimer);
        this.exit = exit!;
        resolve(exit!);
      };
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        // Spawn failures have no pid and no 'exit'; errors of a running child (kill failing) are ignored.
        if (this.child.pid === undefined && !exit) {
          exit = { exitCode: null, signal: null, spawnError: error };
          settle();
        }
      });
      this.child.once('exit', (exitCode, signal) => {
        exit = { exitCode, signal };
        // Wait for the pipes to drain so the last lines are captured, but not for a grandchild
        // that keeps them open: that one is dealt with by stop().
        drainTimer = setTimeout(settle, 250);
      });
      this.child.once('close', () => {
        if (exit) settle();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
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
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
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
