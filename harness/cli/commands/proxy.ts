/**
 * `faultline proxy`: the embedded fault proxy behind the Toxiproxy-compatible admin API, like
 * `toxiproxy-server`. It runs until SIGINT/SIGTERM, then closes the API, every proxy and every
 * connection, and exits 0.
 *
 *   --config FILE ──▶ populate ──▶ admin API listens ──▶ "listening on http://…" ──▶ wait ──▶ close
 *
 * Logs go to stderr, one timestamped line per event; the startup line carries the API's URL (the
 * real port with `--port 0`) and the seed, so a run can be replayed and a test can find the port.
 */
import { resolve } from 'node:path';
import { createAdminServer, DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, type AdminServer } from '../../admin/server.js';
import { loadProxyConfig } from '../../admin/proxy-config.js';
import { ExitCode, FaultlineError } from '../../core/errors.js';
import { MAX_SEED, randomSeed } from '../../core/rng.js';
import type { ProxyInput } from '../../core/spec.js';
import { FAULTLINE_VERSION } from '../../core/version.js';
import { BusyPoll, DEFAULT_BUSY_POLL_MS } from '../../proxy/busy-poll.js';
import { createEmbeddedProxy } from '../../proxy/embedded-proxy.js';
import { MAX_LISTEN_BACKLOG } from '../../proxy/listen-backlog.js';
import { defaultTcpIo } from '../../proxy/tcp-io-choice.js';
import { defaultUdpIo } from '../../proxy/udp-io-choice.js';
import type { CliIo, Register } from '../command.js';

export interface ProxyCommandOptions {
  host: string;
  port: string;
  config?: string;
  seed?: string;
  busyPoll: string;
  backlog?: string;
}

export const register: Register = (program, io, wrap) => {
  program
    .command('proxy')
    .description('run the fault proxy with its Toxiproxy-compatible admin API (like toxiproxy-server)')
    .option('--host <host>', 'address the admin API listens on', DEFAULT_ADMIN_HOST)
    .option('--port <port>', 'admin API port; 0 picks a free one (printed at start)', String(DEFAULT_ADMIN_PORT))
    .option('--config <file>', 'JSON array of proxies to create at start (as toxiproxy-server -config)')
    .option('--seed <n>', `seed for every random decision, 0..${MAX_SEED} (default: random, printed)`)
    .option('--backlog <n>', `TCP listen backlog of every proxy: connections the kernel completes before the proxy accepts them, 1..${MAX_LISTEN_BACKLOG} (default: the kernel's somaxconn, as Toxiproxy)`)
    .option('--busy-poll <ms>', 'poll instead of sleeping this long after each small read, to save the wake-up latency of request/response traffic; 0 turns it off', String(DEFAULT_BUSY_POLL_MS))
    .addHelpText(
      'after',
      `
Point Toxiproxy clients at it: TOXIPROXY_URL=http://127.0.0.1:8474 toxiproxy-cli list
The API is documented in docs/admin-api.md. Stop with Ctrl-C or SIGTERM (exit 0).
UDP proxies use batched native socket I/O where it was built at install (Linux), else Node's
dgram; FAULTLINE_UDP_IO=native|dgram chooses (docs/toxics.md, "Socket I/O"). The same addon
relays TCP directions without toxics, without JavaScript; without it every byte goes through
JavaScript; FAULTLINE_TCP_IO=native|js chooses.`,
    )
    .action(wrap((options: ProxyCommandOptions) => runProxyCommand(options, io)));
};

export async function runProxyCommand(options: ProxyCommandOptions, io: CliIo): Promise<ExitCode> {
  const port = parseIntegerOption('--port', options.port, 65_535);
  const seed = options.seed === undefined ? randomSeed() : parseIntegerOption('--seed', options.seed, MAX_SEED);
  const busyPollMs = parseBusyPoll(options.busyPoll);
  const listenBacklog = options.backlog === undefined ? undefined : parseIntegerOption('--backlog', options.backlog, MAX_LISTEN_BACKLOG, 1);
  // A bad FAULTLINE_UDP_IO or FAULTLINE_TCP_IO fails here, before anything listens, not at the
  // first proxy.
  const udpIo = defaultUdpIo();
  defaultTcpIo();
  const configFile = options.config === undefined ? undefined : resolve(io.cwd, options.config);
  const config = configFile === undefined ? [] : await loadProxyConfig(configFile);

  const line = (text: string, level: 'info' | 'warn' = 'info') =>
    io.stderr.write(`${new Date().toISOString()} ${level === 'warn' ? 'WARN ' : ''}${text}\n`);
  const proxy = createEmbeddedProxy({
    seed,
    ...(listenBacklog === undefined ? {} : { listenBacklog }), // else the registry's default, somaxconn
    ...(busyPollMs > 0 ? { busyPoll: new BusyPoll(busyPollMs) } : {}),
    log: (event) => line(`proxy ${event.proxy}: ${event.message}`, event.level),
  });
  let server: AdminServer | undefined;
  try {
    if (configFile !== undefined && config.length > 0) {
      await populateFromConfig(proxy.populate.bind(proxy), config, configFile);
      line(`created ${config.length} ${config.length === 1 ? 'proxy' : 'proxies'} from ${options.config}`);
    }
    server = await createAdminServer({
      backend: proxy,
      host: options.host,
      port,
      log: (event) => line(`api: ${event.message}`, event.level),
    });
    line(`faultline ${FAULTLINE_VERSION} proxy: API listening on ${server.url} (seed ${seed}, UDP ${udpIo.kind} I/O)`);
    await interrupted(io.interrupt);
    line('shutting down: closing the API, every proxy and connection');
  } finally {
    await server?.close();
    await proxy.close();
  }
  line('stopped');
  // Stopping on a signal is how a server ends: exit 0, as toxiproxy-server does, not 130.
  io.interruptHandled?.();
  return ExitCode.ok;
}

/** Populates, and names the config file in any error (a bad entry, a busy listen port). */
async function populateFromConfig(populate: (inputs: ProxyInput[]) => Promise<unknown>, config: ProxyInput[], file: string): Promise<void> {
  try {
    await populate(config);
  } catch (error) {
    if (!(error instanceof FaultlineError)) throw error;
    throw new FaultlineError(error.code, `config file ${file}: ${error.message}`, {
      where: { ...error.where, file },
      problems: error.problems.map((p) => ({ ...p, file })),
      ...(error.hint ? { hint: error.hint } : {}),
      cause: error,
    });
  }
}

function parseIntegerOption(flag: string, text: string, max: number, min = 0): number {
  if (!/^\d+$/.test(text) || Number(text) > max || Number(text) < min) {
    throw new FaultlineError('INVALID_ARGUMENT', `${flag} must be an integer from ${min} to ${max}, got "${text}"`, { where: { path: flag } });
  }
  return Number(text);
}

function interrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function parseBusyPoll(text: string): number {
  const ms = Number(text);
  if (text.trim() === '' || !Number.isFinite(ms) || ms < 0 || ms > 10) {
    throw new FaultlineError('INVALID_ARGUMENT', `--busy-poll: expected milliseconds from 0 to 10 (e.g. 0.05), got ${JSON.stringify(text)}`);
  }
  return ms;
}
