/**
 * A target faultline starts from a command (docs/scenarios.md, "Targets"):
 *
 *   ports (auto → free port) ──▶ substitute {tcp_port}/{udp_port}/{proxy:NAME}, set $FAULTLINE_*_PORT
 *     ──▶ spawn in its own process group ──▶ wait until ready (TCP accepts / stdout matches)
 *     ──▶ RunningTarget; stop() stops the whole group and returns the output tails
 *
 * Any way of not becoming ready — the program cannot be spawned, it exits first, the deadline
 * passes — is a TARGET_FAILED error (exit 3) carrying what happened and the last output lines,
 * and the process group is stopped before the error is thrown: nothing is left running.
 *
 * On a wire path the target runs in the path's target side (`place`): started there, its free
 * ports found there, its TCP readiness probed there on the side's address. It must listen on
 * that address ($FAULTLINE_HOST) or on every address; 127.0.0.1 is not reachable over the path.
 */
import { closeSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import type { NetworkPlace } from '../core/network-place.js';
import type { Protocol } from '../core/spec.js';
import { FaultlineError } from '../core/errors.js';
import type { TargetOutput } from '../core/result.js';
import { formatDuration } from '../core/duration.js';
import { allocateFreePort } from './free-port.js';
import { probeTcp } from './probe-tcp.js';
import { PROXY_PLACEHOLDER, type CommandTargetSpec, type RunningTarget, type TargetEndpoints } from './spec.js';
import { TargetProcess, type ProcessExit } from './target-process.js';

/** Lines of output quoted in a start error. */
const ERROR_OUTPUT_LINES = 12;

/** Grace between SIGTERM and SIGKILL when a start fails or is aborted (the run is in a hurry). */
const FAILED_START_GRACE_MS = 500;

export interface CommandTargetDeps {
  signal: AbortSignal;
  clock: Clock;
  /** Where each proxy the command names with `{proxy:NAME}` listens (`host:port`). */
  proxies: ReadonlyMap<string, string>;
  /** Where the command runs and listens: a wire path's target side. Default: where faultline runs. */
  place?: NetworkPlace;
}

/** Starts `spec` and resolves once it is ready. Rejects with TARGET_FAILED, or the abort reason. */
export async function startCommandTarget(spec: CommandTargetSpec, deps: CommandTargetDeps): Promise<RunningTarget> {
  const { clock, signal, place } = deps;
  if (signal.aborted) throw abortReason(signal);
  const host = place?.address ?? '127.0.0.1';
  const freePort = (protocol: Protocol) => (place ? freePortIn(place, protocol) : allocateFreePort(protocol));
  const ports = {
    tcp: spec.tcp === 'auto' ? await freePort('tcp') : spec.tcp,
    udp: spec.udp === 'auto' ? await freePort('udp') : spec.udp,
  };
  const argv = substitutePlaceholders(spec, ports, deps.proxies);
  const command = formatCommand(argv);
  if (spec.ready.kind === 'tcp') {
    if (ports.tcp === undefined) throw new FaultlineError('INVALID_INPUT', `target "${spec.name}" waits for its TCP port, but has no tcp port`, { hint: 'add tcp: auto (or a port number)' });
    // A wire path's target side is a namespace of its own: nothing else can be listening there.
    if (spec.tcp !== 'auto' && !place && (await probeTcp(host, ports.tcp, 500)).ok) {
      throw new FaultlineError('TARGET_FAILED', `target "${spec.name}": something already accepts connections on ${host}:${ports.tcp} before ${command} started, so readiness cannot be told`, {
        hint: 'stop the other server, or use tcp: auto to get a free port',
      });
    }
  }
  if (signal.aborted) throw abortReason(signal);

  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env, FAULTLINE_HOST: host };
  if (ports.tcp !== undefined) env.FAULTLINE_TCP_PORT = String(ports.tcp);
  if (ports.udp !== undefined) env.FAULTLINE_UDP_PORT = String(ports.udp);
  const child = new TargetProcess(argv, { cwd: spec.cwd, env, ...(place ? { spawn: place.spawn.bind(place) } : {}) }, clock);

  const outcome = await waitUntilReady(spec, child, ports, deps);
  if (outcome.kind !== 'ready') {
    await child.stop(FAILED_START_GRACE_MS);
    if (outcome.kind === 'aborted') throw abortReason(signal);
    throw startError(spec, command, child, outcome, ports, place);
  }

  const endpoints: TargetEndpoints = { host: outcome.host };
  const tcp = outcome.port !== undefined && !(spec.udp !== undefined && spec.tcp === undefined) ? outcome.port : ports.tcp;
  const udp = outcome.port !== undefined && spec.udp !== undefined && spec.tcp === undefined ? outcome.port : ports.udp;
  if (tcp !== undefined) endpoints.tcp = tcp;
  if (udp !== undefined) endpoints.udp = udp;
  let output: Promise<TargetOutput> | undefined;
  return {
    name: spec.name,
    endpoints,
    stop() {
      output ??= child.stop().then(async () => {
        const exit = child.exitStatus;
        return {
          name: spec.name,
          kind: 'command',
          command,
          exitCode: exit?.exitCode ?? null,
          signal: exit?.signal ?? null,
          stdout: child.stdout.text(),
          stderr: child.stderr.text(),
          truncated: child.stdout.truncated || child.stderr.truncated,
        } satisfies TargetOutput;
      });
      return output;
    },
  };
}

type ReadyOutcome =
  | { kind: 'ready'; host: string; port?: number }
  | { kind: 'exited'; exit: ProcessExit }
  | { kind: 'timeout'; lastProbe?: string }
  | { kind: 'aborted' };

/** Races readiness against the program exiting, the ready deadline and the abort signal. */
async function waitUntilReady(
  spec: CommandTargetSpec,
  child: TargetProcess,
  ports: { tcp?: number; udp?: number },
  deps: CommandTargetDeps,
): Promise<ReadyOutcome> {
  const { clock, signal, place } = deps;
  const done = new AbortController();
  let lastProbe: string | undefined;
  const candidates: Array<Promise<ReadyOutcome>> = [
    child.exited.then((exit) => ({ kind: 'exited', exit })),
    clock.sleep(spec.readyTimeoutMs, done.signal).then((r) => (r === 'elapsed' ? { kind: 'timeout' } : new Promise<never>(() => {}))),
    new Promise<ReadyOutcome>((resolve) => {
      if (signal.aborted) resolve({ kind: 'aborted' });
      const onAbort = () => resolve({ kind: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
      done.signal.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), { once: true });
    }),
  ];
  const ready = spec.ready;
  if (ready.kind === 'stdout') {
    candidates.push(
      new Promise((resolve) => {
        child.onLine((line) => {
          if (done.signal.aborted) return;
          ready.pattern.lastIndex = 0; // in case the pattern carries a g or y flag
          const match = ready.pattern.exec(line);
          if (!match) return;
          const group = match.groups?.port;
          const port = group !== undefined && /^\d+$/.test(group) && Number(group) >= 1 && Number(group) <= 65_535 ? Number(group) : undefined;
          const host = place?.address ?? '127.0.0.1';
          resolve(port === undefined ? { kind: 'ready', host } : { kind: 'ready', host, port });
        });
      }),
    );
  } else {
    candidates.push(
      (async (): Promise<ReadyOutcome> => {
        let backoffMs = 10;
        // Alternate IPv4 and IPv6 loopback: a server may bind only ::1. A wire path's side has
        // one address, IPv4, and only it is reachable over the path.
        const hosts = place ? [place.address] : ['127.0.0.1', '::1'];
        for (let attempt = 0; !done.signal.aborted; attempt++) {
          const host = hosts[attempt % hosts.length]!;
          const result = await probeTcp(host, ports.tcp!, 1000, done.signal, place);
          if (result.ok) return { kind: 'ready', host };
          if (host === hosts[0]) lastProbe = `${result.code}: ${result.message}`;
          if (attempt % hosts.length === hosts.length - 1) {
            await clock.sleep(backoffMs, done.signal);
            backoffMs = Math.min(200, backoffMs * 1.5);
          }
        }
        return new Promise<never>(() => {});
      })(),
    );
  }
  const outcome = await Promise.race(candidates);
  done.abort();
  return outcome.kind === 'timeout' && lastProbe ? { kind: 'timeout', lastProbe } : outcome;
}

function startError(
  spec: CommandTargetSpec,
  command: string,
  child: TargetProcess,
  outcome: Exclude<ReadyOutcome, { kind: 'ready' } | { kind: 'aborted' }>,
  ports: { tcp?: number; udp?: number },
  place: NetworkPlace | undefined,
): FaultlineError {
  const where = { path: `targets.${spec.name}` };
  if (outcome.kind === 'exited' && outcome.exit.spawnError) {
    const error = outcome.exit.spawnError;
    const program = spec.argv[0]!;
    const reason = error.code === 'ENOENT' ? 'not found' : error.code === 'EACCES' ? 'not executable (permission denied)' : error.message;
    return new FaultlineError('TARGET_FAILED', `cannot start target "${spec.name}": program ${JSON.stringify(program)} ${reason} (${error.code ?? 'error'}); working directory ${spec.cwd}`, {
      where,
      hint:
        error.code === 'EACCES'
          ? `make it executable (chmod +x ${program}) or run it through its interpreter`
          : program.includes('/')
            ? 'a program path with a slash is relative to the working directory (cwd, default: the scenario file\'s directory)'
            : 'a program name without a slash is looked up in PATH; use ./name for a file in the working directory',
    });
  }
  const output = describeOutput(child);
  if (outcome.kind === 'exited') {
    const { exitCode, signal } = outcome.exit;
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const stderr = child.stderr.text();
    const hint = /address already in use|EADDRINUSE/i.test(stderr + child.stdout.text())
      ? 'its port is taken by another process; use tcp: auto / udp: auto for a free port'
      : exitCode === 127
        ? 'exit code 127 usually means a command the program runs was not found'
        : undefined;
    return new FaultlineError('TARGET_FAILED', `target "${spec.name}" (${command}) ${how} before it was ready${output}`, hint ? { where, hint } : { where });
  }
  const probed = place ? `${place.address}:${ports.tcp} in ${place.description}` : `127.0.0.1:${ports.tcp} (or [::1]:${ports.tcp})`;
  const waitingFor =
    spec.ready.kind === 'tcp'
      ? `waiting for ${probed} to accept TCP connections${outcome.lastProbe ? `; last attempt: ${outcome.lastProbe}` : ''}`
      : `waiting for a stdout line matching /${spec.ready.pattern.source}/`;
  let hint: string;
  if (spec.ready.kind === 'tcp') {
    hint = place
      ? `on a wire path the server must listen on ${place.address} ($FAULTLINE_HOST) or on every address (0.0.0.0), port {tcp_port} / $FAULTLINE_TCP_PORT (here ${ports.tcp}); 127.0.0.1 is not reachable over the path`
      : `make the server listen on the port faultline gives it: {tcp_port} in the command or $FAULTLINE_TCP_PORT (here ${ports.tcp}); or raise ready_timeout`;
  } else if (spec.ready.pattern.test(child.stderr.text())) {
    hint = 'the pattern matches the program\'s stderr, but ready.stdout watches stdout only';
  } else {
    hint = 'if the program does print that line, make sure it flushes stdout when it is a pipe (e.g. python3 -u, or flush=True); or raise ready_timeout';
  }
  return new FaultlineError('TARGET_FAILED', `target "${spec.name}" (${command}) was not ready after ${formatDuration(spec.readyTimeoutMs)}, ${waitingFor}${output}`, { where, hint });
}

/** `; its last output:` followed by indented stdout/stderr lines, or that there was none. */
function describeOutput(child: TargetProcess): string {
  const lines = [
    ...child.stdout.lastLines(ERROR_OUTPUT_LINES).map((line) => `  stdout | ${line}`),
    ...child.stderr.lastLines(ERROR_OUTPUT_LINES).map((line) => `  stderr | ${line}`),
  ];
  return lines.length === 0 ? '; it printed nothing' : `; its last output:\n${lines.join('\n')}`;
}

/** A free port of `place`, found as allocateFreePort finds one here: bind port 0, close. */
function freePortIn(place: NetworkPlace, protocol: Protocol): number {
  const { fd, port } = place.openSocket(protocol, { host: place.address, port: 0 });
  closeSync(fd);
  return port;
}

/**
 * Replaces `{tcp_port}` / `{udp_port}` with the target's ports and `{proxy:NAME}` with where proxy
 * NAME listens; a placeholder without its value is an input error (the loader checks proxy names
 * and their order, so a missing proxy here is a caller's mistake, reported all the same).
 */
export function substitutePlaceholders(spec: CommandTargetSpec, ports: { tcp?: number; udp?: number }, proxies: ReadonlyMap<string, string> = new Map()): string[] {
  return spec.argv.map((arg) =>
    arg
      .replace(/\{(tcp|udp)_port\}/g, (placeholder, protocol: 'tcp' | 'udp') => {
        const port = ports[protocol];
        if (port === undefined) {
          throw new FaultlineError('INVALID_INPUT', `target "${spec.name}": the command uses ${placeholder}, but the target has no ${protocol} port`, {
            where: { path: `targets.${spec.name}.command` },
            hint: `add ${protocol}: auto (or a port number) to the target`,
          });
        }
        return String(port);
      })
      .replace(PROXY_PLACEHOLDER, (placeholder, name: string) => {
        const address = proxies.get(name);
        if (address === undefined) {
          throw new FaultlineError('INVALID_INPUT', `target "${spec.name}": the command uses ${placeholder}, but no proxy "${name}" was created before it`, {
            where: { path: `targets.${spec.name}.command` },
            hint: 'a target can name a proxy whose own target is listed before it in targets:',
          });
        }
        return address;
      }),
  );
}

/** The command as a person would type it, quoting arguments that need it. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map((arg) => (arg !== '' && /^[A-Za-z0-9_@%+=:,./{}-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function abortReason(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const error = new Error('target start was aborted');
  error.name = 'AbortError';
  return error;
}
