/**
 * `faultline wire probe [--json]`: what this machine supports of the wire layer (namespaces, TUN
 * devices, privileges, rootless), and what is missing, each with its remedy. Exit 0 when a wire
 * path can be created here, 3 (environment) when not.
 *
 * `faultline wire cleanup [--run ID] [--json]`: removes what killed runs left (processes inside
 * their namespaces, names under /run/netns), as their run records list it; never a live run's,
 * never anything no record names. Exit 0, or 3 when something could not be removed.
 */
import { ExitCode } from '../../core/errors.js';
import { PRIVILEGE_WORDS, probeWire } from '../../wire/probe.js';
import { cleanupWire, registryDir } from '../../wire/run-registry.js';
import type { CliIo, Register } from '../command.js';

export const register: Register = (program, io, wrap) => {
  const wire = program.command('wire').description('the wire layer: packet-level faults in network namespaces (docs/wire.md)');
  wire
    .command('probe')
    .description('say what this machine supports of the wire layer and what is missing (exit 3 if unavailable)')
    .option('--json', 'print the findings as JSON')
    .action(wrap((options: { json?: boolean }) => runWireProbe(options, io)));
  wire
    .command('cleanup')
    .description("remove the namespaces and processes that killed faultline runs left behind")
    .option('--run <id>', 'only this run')
    .option('--json', 'print what was removed as JSON')
    .action(wrap((options: { run?: string; json?: boolean }) => runWireCleanup(options, io)));
};

export async function runWireProbe(options: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const support = probeWire();
  if (options.json) {
    io.stdout.write(`${JSON.stringify(support, null, 2)}\n`);
  } else {
    io.stdout.write(`wire layer: ${support.available ? 'available' : 'unavailable'}\n`);
    io.stdout.write(`privileges: ${PRIVILEGE_WORDS[support.mode]}\n`);
    for (const line of support.missing) io.stdout.write(`missing: ${line}\n`);
    io.stdout.write(`rootless: ${support.rootless.possible ? 'possible' : 'not possible'}: ${support.rootless.reason}\n`);
  }
  return support.available ? ExitCode.ok : ExitCode.environment;
}

export async function runWireCleanup(options: { run?: string; json?: boolean }, io: CliIo): Promise<ExitCode> {
  const report = cleanupWire(options.run === undefined ? {} : { runId: options.run });
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ registry: registryDir(), ...report }, null, 2)}\n`);
  } else {
    io.stdout.write(
      report.runs.length === 0
        ? `nothing to clean up (${registryDir()})\n`
        : `removed ${report.runs.length} run(s): ${report.namespaces.length} namespace(s), ${report.processesKilled} process(es)\n`,
    );
    for (const run of report.skipped) io.stdout.write(`left alone: run ${run} (its faultline is still running)\n`);
    for (const problem of report.problems) io.stderr.write(`problem: ${problem}\n`);
  }
  return report.problems.length > 0 ? ExitCode.environment : ExitCode.ok;
}
