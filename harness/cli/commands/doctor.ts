/**
 * `faultline doctor [--json]`: what this machine supports, each line saying what is missing and
 * its remedy. Everything but the wire layer works anywhere faultline installs, so the doctor is
 * informational and exits 0; `faultline wire probe` is the gate that exits 3 without the layer.
 *
 *   native UDP I/O   the addon's batched sockets (else Node's dgram, slower, same behaviour)
 *   native TCP       the addon's relay of directions without toxics (else Node's sockets, slower)
 *   wire layer       namespaces + TUN devices, and where the privileges come from (probeWire)
 *   rootless         whether an unprivileged user could have it (a user namespace of their own)
 *   nsenter          how command targets start inside a wire path
 */
import { arch, platform, release } from 'node:os';
import { ExitCode } from '../../core/errors.js';
import { commandOnPath } from '../../core/shell.js';
import { loadNativeTcpIo } from '../../proxy/tcp-io-native.js';
import { loadNativeUdpIo } from '../../proxy/udp-io-native.js';
import { PRIVILEGE_WORDS, probeWire, type WireSupport } from '../../wire/probe.js';
import type { CliIo, Register } from '../command.js';

export const register: Register = (program, io, wrap) => {
  program
    .command('doctor')
    .description('say what this machine supports: native UDP I/O and TCP forwarding, the wire layer and its privileges, rootless use')
    .option('--json', 'print the findings as JSON')
    .action(wrap((options: { json?: boolean }) => runDoctor(options, io)));
};

interface NativeFinding {
  available: boolean;
  problem?: string;
}

/** What a native loader said, as a finding. */
const finding = (loaded: { io?: unknown; problem?: string }): NativeFinding =>
  loaded.io ? { available: true } : { available: false, ...(loaded.problem ? { problem: loaded.problem } : {}) };

interface Findings {
  node: string;
  os: string;
  nativeUdpIo: NativeFinding;
  nativeTcpIo: NativeFinding;
  wire: WireSupport;
  /** Whether `nsenter` (util-linux) is on PATH: command targets on wire paths start through it. */
  nsenter: boolean;
}

export async function runDoctor(options: { json?: boolean }, io: CliIo): Promise<ExitCode> {
  const findings: Findings = {
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    nativeUdpIo: finding(loadNativeUdpIo()),
    nativeTcpIo: finding(loadNativeTcpIo()),
    wire: probeWire(),
    nsenter: commandOnPath('nsenter'),
  };
  if (options.json) {
    io.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
    return ExitCode.ok;
  }
  const { wire } = findings;
  const lines = [
    `node: ${findings.node} on ${findings.os}`,
    `native UDP I/O: ${findings.nativeUdpIo.available ? 'yes (batched sockets, timed sends)' : `no, Node's dgram instead (same results, lower rates): ${findings.nativeUdpIo.problem}`}`,
    `native TCP forwarding: ${findings.nativeTcpIo.available ? 'yes (directions without toxics are relayed in C)' : `no, Node's sockets instead (same results, lower rates): ${findings.nativeTcpIo.problem}`}`,
    `wire layer: ${wire.available ? 'available' : 'unavailable'}; privileges: ${PRIVILEGE_WORDS[wire.mode]}`,
    ...wire.missing.map((line) => `  missing: ${line}`),
    `  rootless: ${wire.rootless.possible ? 'possible' : 'not possible'}: ${wire.rootless.reason}`,
    `  nsenter: ${findings.nsenter ? 'found (command targets start inside wire paths through it)' : 'missing (util-linux): command targets cannot run behind a wire path; builtin targets can'}`,
    wire.available
      ? 'wire scenarios run here.'
      : 'wire scenarios are skipped here where they say `if_unavailable: skip` (the built-in ones do); others stop the run with exit 3.',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}
