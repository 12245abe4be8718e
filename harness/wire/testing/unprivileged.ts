/**
 * Running faultline as an unprivileged user (uid 65534, no capabilities) from tests that run as
 * root: how the wire layer behaves for a user who may create no namespace, and the rootless mode.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandOnPath } from '../../core/shell.js';
import { wireSupport } from './wire-gate.js';

export const NOBODY = '65534';
const BIN = fileURLToPath(new URL('../../../bin/faultline.js', import.meta.url));

/** `command` as uid 65534, every capability dropped. */
export function asNobody(command: readonly string[]): string[] {
  return ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all', '--', ...command];
}

/** Why a test as uid 65534 cannot run here (it needs root to become that user, and `tools`), or undefined. */
export function nobodySkipReason(tools: readonly string[] = ['setpriv']): string | undefined {
  if (wireSupport.mode !== 'root') return 'setting up an unprivileged user needs root';
  return tools.filter((tool) => !commandOnPath(tool)).map((tool) => `${tool} is missing`)[0];
}

/** A folder `name` under `parent` that uid 65534 may write (and reach). */
export function nobodyFolder(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  chmodSync(parent, 0o777);
  chmodSync(dir, 0o777);
  return dir;
}

/** The built CLI with `args`, as uid 65534, in `cwd`; no colour, FAULTLINE_WIRE unset unless `env` says. */
export function faultlineAsNobody(args: readonly string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): SpawnSyncReturns<string> {
  const [command, ...rest] = asNobody([process.execPath, BIN, ...args]);
  return spawnSync(command!, rest, {
    encoding: 'utf8',
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', FAULTLINE_WIRE: '', ...options.env },
    timeout: options.timeoutMs ?? 30_000,
  });
}
