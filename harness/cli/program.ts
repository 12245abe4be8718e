/**
 * The commander program: the composition root and the only place that decides exit codes.
 * Each subcommand lives in commands/<name>.ts and exports `register(program, io)`; its action
 * returns an exit code (or throws), and `runCli` maps errors to codes in one place:
 *
 *   FaultlineError ─▶ its catalog exit code (2 input, 3 environment), message + problems + hint
 *   anything else  ─▶ 70 "internal error" with the stack
 *
 * `runCli` never calls process.exit, so tests can drive it in-process; main.ts does the exit.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, FaultlineError, formatProblem } from '../core/errors.js';
import { FAULTLINE_VERSION } from '../core/version.js';
import { registerCommands } from './commands/index.js';
import type { CliIo } from './command.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0    all passed
  1    an assertion failed (or a scenario did not fail as its \`expect: fail\` said);
       explore: a failure was found, confirmed and shrunk
  2    invalid input: scenario files, flags, config
  3    environment: port in use, target would not start, address unreachable
  70   internal error (a bug in faultline: please report it with the stack)
  130  interrupted (Ctrl-C); partial results are still written`;

export function buildProgram(io: CliIo, setExit: (code: ExitCode) => void): Command {
  const program = new Command('faultline')
    .description('Network protocol testing harness and fault injector for TCP and UDP.')
    .version(FAULTLINE_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  registerCommands(program, io, (action) => async (...args: unknown[]) => setExit(await action(...args)));
  return program;
}

/** Parses `argv` (without node and script), runs the command, returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // --help and --version exit 0; usage errors were already printed by commander.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
  }
  if (error instanceof FaultlineError) {
    io.stderr.write(`${renderFaultlineError(error)}\n`);
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  io.stderr.write(`faultline: internal error: ${err.message}\n${err.stack ?? ''}\n`);
  return ExitCode.internal;
}

/** How a user-facing error reads on a terminal: every problem on its own line, then the hint. */
export function renderFaultlineError(error: FaultlineError): string {
  if (error.problems.length === 0) {
    const hint = error.hint ? `\n  hint: ${error.hint}` : '';
    return `faultline: error [${error.code}]: ${error.message}${hint}`;
  }
  const lines = error.problems.map((p) => `  ${formatProblem(p)}`);
  const count = error.problems.length === 1 ? '1 problem' : `${error.problems.length} problems`;
  return `faultline: error [${error.code}]: ${count}\n${lines.join('\n')}`;
}
