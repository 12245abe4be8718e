/**
 * `faultline serve echo|sink`: runs a built-in server until Ctrl-C or SIGTERM (then exit 0), for
 * trying faultline's workloads and proxies by hand or pointing another tool at them.
 *
 *   echo: TCP echoes every byte, UDP sends every datagram back.
 *   sink: reads and verifies faultline frames, replies nothing; one summary line per TCP
 *         connection (when it closes) and per UDP flow (when it goes quiet) on stderr.
 *
 * With neither --tcp nor --udp both listen on free ports; with one, only that one. The addresses
 * go to stdout, one line each (`echo server listening on tcp 127.0.0.1:40123`).
 */
import { formatHostPort, type HostPort } from '../../core/address.js';
import { ExitCode, FaultlineError } from '../../core/errors.js';
import { createEchoServer } from '../../workload/servers/echo-server.js';
import { createSinkServer, type FlowSummary, type SinkServer } from '../../workload/servers/sink-server.js';
import type { CliIo, Register } from '../command.js';

export interface ServeOptions {
  tcp?: string;
  udp?: string;
  host: string;
}

const KINDS = ['echo', 'sink'] as const;

export const register: Register = (program, io, wrap) => {
  program
    .command('serve')
    .description('run a built-in echo or sink server (TCP and UDP) until Ctrl-C')
    .argument('<kind>', `${KINDS.join(' or ')}`)
    .option('--tcp <port>', 'TCP port; 0 picks a free one (default: 0 unless only --udp is given)')
    .option('--udp <port>', 'UDP port; 0 picks a free one (default: 0 unless only --tcp is given)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addHelpText(
      'after',
      `
Examples:
  faultline serve echo                      both protocols on free ports (printed)
  faultline serve sink --tcp 9000           a TCP sink on port 9000; summaries on stderr`,
    )
    .action(wrap((kind: string, options: ServeOptions) => runServeCommand(kind, options, io)));
};

export async function runServeCommand(kind: string, options: ServeOptions, io: CliIo): Promise<ExitCode> {
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new FaultlineError('INVALID_ARGUMENT', `serve: unknown server "${kind}", expected ${KINDS.join(' or ')}`, { where: { path: 'kind' } });
  }
  const neither = options.tcp === undefined && options.udp === undefined;
  const tcp = options.tcp === undefined ? (neither ? 0 : false) : parsePort('--tcp', options.tcp);
  const udp = options.udp === undefined ? (neither ? 0 : false) : parsePort('--udp', options.udp);
  const server =
    kind === 'echo'
      ? await createEchoServer({ host: options.host, tcp, udp })
      : await createSinkServer({
          host: options.host,
          tcp,
          udp,
          retainFlows: false,
          onFlowSummary: (summary) => io.stderr.write(`${renderFlowSummary(summary)}\n`),
        });
  try {
    const listening = (protocol: string, address: HostPort | undefined) => {
      if (address) io.stdout.write(`${kind} server listening on ${protocol} ${formatHostPort(address)}\n`);
    };
    listening('tcp', server.tcp);
    listening('udp', server.udp);
    io.stderr.write('press Ctrl-C to stop\n');
    // A sink whose worker thread died would otherwise wait for Ctrl-C while verifying nothing.
    const failed = kind === 'sink' ? (server as SinkServer).failure.then((error) => Promise.reject(error)) : new Promise<never>(() => {});
    await Promise.race([interrupted(io.interrupt), failed]);
  } finally {
    await server.close();
  }
  io.stderr.write(`${kind} server stopped\n`);
  // Ending on a signal is how a server stops: exit 0, not 130.
  io.interruptHandled?.();
  return ExitCode.ok;
}

/** One line per flow: who, how much, and what went wrong. */
export function renderFlowSummary(s: FlowSummary): string {
  const ms = (v: number | null) => (v === null ? '-' : `${v.toFixed(3)} ms`);
  const parts = [
    `${s.frames} frames`,
    `${s.bytes} bytes`,
    `gaps ${s.gaps}`,
    `duplicates ${s.duplicates}`,
    `reordered ${s.reordered}`,
    `corrupted ${s.corrupted}`,
  ];
  if (s.partialBytes > 0) parts.push(`cut off ${s.partialBytes} bytes into a frame`);
  parts.push(`one-way p50 ${ms(s.oneWayDelayP50Ms)} p99 ${ms(s.oneWayDelayP99Ms)}`);
  if (s.protocol === 'udp') parts.push(`jitter ${ms(s.jitterMs)}`);
  return `${s.protocol} ${s.remote} workload ${s.workloadId} flow ${s.flowId}: ${parts.join(', ')}`;
}

function parsePort(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65_535) {
    throw new FaultlineError('INVALID_ARGUMENT', `${flag} must be a port from 0 to 65535, got "${text}"`, { where: { path: flag } });
  }
  return Number(text);
}

function interrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
