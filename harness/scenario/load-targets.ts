/**
 * `targets:` — the systems under test (docs/scenarios.md, "Targets"). Each is exactly one of a
 * built-in server, a command faultline starts, or the address of a running server.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PortSpec, ReadySpec, TargetSpec } from '../target/spec.js';
import { splitCommand } from './split-command.js';
import type { Entries, Field } from './load-context.js';
import { loadNamed, type LoadedNamed } from './load-named.js';
import { BUILTIN_SERVERS, ENV_NAME, READY_KEYS, TARGET_KEYS, TARGET_KINDS, type TargetKind } from './scenario-keys.js';

/** What the rest of the loader needs to know about a target to check references to it. */
export interface TargetInfo {
  kind: TargetKind;
  /** Built-in targets: which server. */
  server?: 'echo' | 'sink';
  /** Whether it serves TCP / UDP (built-ins serve both). */
  tcp: boolean;
  udp: boolean;
}

export type LoadedTargets = LoadedNamed<TargetSpec, TargetInfo>;

const DEFAULT_READY_TIMEOUT_MS = 10_000;

export function loadTargets(field: Field, dir: string): LoadedTargets {
  return loadNamed(field, { what: 'target', example: 'echo: { builtin: echo }', required: true }, (name, target) => {
    const before = target.ctx.problems.length;
    const spec = loadTarget(name, target, dir);
    return spec !== undefined && target.ctx.problems.length === before ? { spec, info: infoOf(spec) } : {};
  });
}

function infoOf(spec: TargetSpec): TargetInfo {
  switch (spec.kind) {
    case 'builtin':
      return { kind: 'builtin', server: spec.server, tcp: true, udp: true };
    case 'command':
    case 'address':
      return { kind: spec.kind, tcp: spec.tcp !== undefined, udp: spec.udp !== undefined };
  }
}

function loadTarget(name: string, field: Field, dir: string): TargetSpec | undefined {
  if (!field.require('a target: { builtin: echo }, { command: … } or { address: … }')) return undefined;
  const entries = field.map('a target: { builtin: echo }, { command: … } or { address: … }');
  if (!entries) return undefined;
  const kinds = TARGET_KINDS.filter((kind) => entries.has(kind));
  if (kinds.length === 0) {
    field.problem(`target "${name}" needs exactly one of builtin, command, address`, 'e.g. { builtin: echo }, { command: ./server }, { address: 127.0.0.1, tcp: 6379 }');
    return undefined;
  }
  if (kinds.length > 1) {
    entries.get(kinds[1]!).keyProblem(`target "${name}" has both ${kinds[0]} and ${kinds[1]}: expected exactly one of builtin, command, address`);
    return undefined;
  }
  const kind = kinds[0]!;
  entries.allowOnly(TARGET_KEYS[kind], `a ${kind} target`, (key) => {
    const owner = TARGET_KINDS.find((k) => TARGET_KEYS[k].includes(key));
    return owner ? `"${key}" applies to ${owner} targets only, not to a ${kind} target` : undefined;
  });
  switch (kind) {
    case 'builtin': {
      const server = entries.get('builtin').oneOf(BUILTIN_SERVERS);
      return server && { name, kind: 'builtin', server };
    }
    case 'command':
      return loadCommandTarget(name, field, entries, dir);
    case 'address':
      return loadAddressTarget(name, field, entries);
  }
}

function loadCommandTarget(name: string, field: Field, entries: Entries, dir: string): TargetSpec | undefined {
  const argv = loadArgv(entries.get('command'));
  const cwd = loadCwd(entries.get('cwd'), dir);
  const env = loadEnv(entries.get('env'));
  const tcp = loadPort(entries.get('tcp'), true);
  const udp = loadPort(entries.get('udp'), true);
  const readyTimeoutMs = entries.get('ready_timeout').duration({ above: 0 }) ?? DEFAULT_READY_TIMEOUT_MS;
  const serves = { tcp: entries.has('tcp'), udp: entries.has('udp') };
  if (!serves.tcp && !serves.udp) {
    field.problem(`command target "${name}" must say which port it serves: tcp and/or udp (a port number, or auto)`, 'e.g. tcp: auto, and {tcp_port} in the command');
  }
  const ready = loadReady(entries.get('ready'), serves);
  if (!argv || cwd === undefined || !env || !ready) return undefined;
  const spec: TargetSpec = { name, kind: 'command', argv, cwd, env, ready, readyTimeoutMs };
  if (tcp !== undefined) spec.tcp = tcp;
  if (udp !== undefined) spec.udp = udp;
  return spec;
}

function loadArgv(field: Field): string[] | undefined {
  if (!field.present) return undefined;
  if (field.isList) {
    const argv = field.stringList('a list of arguments, program first');
    if (argv && argv.length === 0) return field.problem('expected the program and its arguments, got an empty list');
    if (argv?.[0] === '') return field.problem('the program (the first argument) is empty');
    return argv;
  }
  const text = field.string('a command line (a string) or a list of arguments');
  if (text === undefined) return undefined;
  const split = splitCommand(text);
  if ('error' in split) return field.problem(`cannot split the command: ${split.error}`, 'or give the arguments as a list');
  if (split.length === 0) return field.problem('expected a command, got an empty string');
  return split;
}

function loadCwd(field: Field, dir: string): string | undefined {
  if (!field.present) return dir;
  const text = field.string('a directory (relative to the scenario file)');
  if (text === undefined) return undefined;
  const cwd = resolve(dir, text);
  let isDirectory = false;
  try {
    isDirectory = statSync(cwd).isDirectory();
  } catch {
    return field.problem(`directory ${cwd} does not exist`, 'cwd is relative to the scenario file');
  }
  if (!isDirectory) return field.problem(`${cwd} is not a directory`);
  return cwd;
}

function loadEnv(field: Field): Record<string, string> | undefined {
  const env: Record<string, string> = {};
  if (!field.present) return env;
  const entries = field.map('a map of environment variables, NAME: value');
  if (!entries) return undefined;
  let ok = true;
  for (const [key, value] of entries.entries()) {
    if (!ENV_NAME.regex.test(key)) {
      value.keyProblem(`invalid environment variable name "${key}": expected ${ENV_NAME.text}`);
      ok = false;
      continue;
    }
    const scalar = value.scalar();
    if (typeof scalar === 'string' || typeof scalar === 'number' || typeof scalar === 'boolean') env[key] = String(scalar);
    else {
      value.problem(`expected a string, number or boolean, got ${value.describe()}`);
      ok = false;
    }
  }
  return ok ? env : undefined;
}

/** A port: 1..65535, or `auto` (command targets: faultline picks a free one). */
function loadPort(field: Field, allowAuto: boolean): PortSpec | undefined {
  if (!field.present) return undefined;
  const value = field.scalar();
  if (value === 'auto') {
    if (allowAuto) return 'auto';
    return field.problem('auto applies to command targets only: give the port this server listens on');
  }
  if (typeof value === 'number') return field.integer({ min: 1, max: 65_535 });
  return field.problem(`expected a port number 1..65535${allowAuto ? ' or auto' : ''}, got ${field.describe()}`);
}

function loadReady(field: Field, serves: { tcp: boolean; udp: boolean }): ReadySpec | undefined {
  if (!field.present) {
    if (serves.tcp) return { kind: 'tcp' };
    if (serves.udp) {
      field.problem('a UDP-only command target needs ready: { stdout: REGEX }', 'a datagram probe cannot tell a UDP server is listening');
    }
    return undefined;
  }
  const entries = field.map('{ tcp: true } or { stdout: REGEX }');
  if (!entries) return undefined;
  entries.allowOnly(READY_KEYS, 'ready', (key) =>
    key === 'udp' ? 'ready: { udp: true } is not possible (a datagram probe cannot tell a UDP server is listening); use ready: { stdout: REGEX }' : undefined,
  );
  const kinds = READY_KEYS.filter((k) => entries.has(k));
  if (kinds.length !== 1) {
    field.problem(kinds.length === 0 ? 'expected { tcp: true } or { stdout: REGEX }' : 'expected one of tcp and stdout, not both');
    return undefined;
  }
  if (kinds[0] === 'tcp') {
    const tcp = entries.get('tcp');
    const value = tcp.boolean();
    if (value === false) return tcp.problem('ready: { tcp: false } means nothing; use { stdout: REGEX } or leave ready out');
    if (value === undefined) return undefined;
    if (!serves.tcp) return tcp.problem('ready: { tcp: true } needs a tcp port on the target');
    return { kind: 'tcp' };
  }
  const stdout = entries.get('stdout');
  const source = stdout.string('a regular expression (a string)');
  if (source === undefined) return undefined;
  let pattern: RegExp;
  try {
    pattern = new RegExp(source);
  } catch (error) {
    return stdout.problem((error as Error).message);
  }
  return { kind: 'stdout', pattern };
}

function loadAddressTarget(name: string, field: Field, entries: Entries): TargetSpec | undefined {
  const hostField = entries.get('address');
  let host = hostField.string('a host name or IP address');
  if (host !== undefined) {
    if (host.trim() === '' || /\s/.test(host)) {
      host = hostField.problem(`expected a host name or IP address, got ${hostField.describe()}`);
    } else if (/^\[?[^\]]*\]?:\d+$/.test(host) && !/^[0-9a-fA-F:]+$/.test(host)) {
      host = hostField.problem(`address is the host only, got ${hostField.describe()}`, 'give the port with tcp: or udp:, e.g. { address: 127.0.0.1, tcp: 6379 }');
    } else {
      host = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      if (host === 'localhost') host = '127.0.0.1';
    }
  }
  const tcp = loadPort(entries.get('tcp'), false);
  const udp = loadPort(entries.get('udp'), false);
  if (!entries.has('tcp') && !entries.has('udp')) {
    field.problem(`address target "${name}" needs the port it serves: tcp and/or udp`, 'e.g. { address: 127.0.0.1, tcp: 6379 }');
    return undefined;
  }
  if (host === undefined) return undefined;
  const spec: TargetSpec = { name, kind: 'address', host };
  if (typeof tcp === 'number') spec.tcp = tcp;
  if (typeof udp === 'number') spec.udp = udp;
  return spec;
}
