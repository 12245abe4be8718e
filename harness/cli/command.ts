/**
 * What the program and its subcommands share: the I/O a command is given, the shape of its
 * action, and how a subcommand registers itself (each commands/<name>.ts exports `register`).
 */
import type { Command } from 'commander';
import type { ExitCode } from '../core/errors.js';

/** Where the CLI writes and how it learns about Ctrl-C; injected so tests can capture it. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborts on the first SIGINT/SIGTERM; commands stop work and clean up when it fires. */
  interrupt: AbortSignal;
  /** The arguments as typed (after `faultline`), for report headers. */
  argv?: readonly string[];
  /**
   * Called by a command whose normal end *is* the interrupt (`faultline proxy`, like
   * toxiproxy-server) once it has shut down cleanly, so the process exits with the command's
   * code (0) instead of 130. Optional: in-process callers need not provide it.
   */
  interruptHandled?(): void;
}

/** A command's action resolves to the process exit code. */
export type CommandAction = (...args: any[]) => Promise<ExitCode>;

/** Turns a CommandAction into a commander action that records the exit code. */
export type Wrap = (action: CommandAction) => (...args: unknown[]) => Promise<void>;
/** A subcommand module's `register`: adds the command to `program`. */
export type Register = (program: Command, io: CliIo, wrap: Wrap) => void;

