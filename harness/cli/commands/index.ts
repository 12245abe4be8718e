/**
 * Registers every subcommand. Each module exports `register(program, io, wrap)` (command.ts); `wrap` turns a
 * CommandAction into a commander action that records the exit code.
 */
import type { Command } from 'commander';
import type { CliIo, Register, Wrap } from '../command.js';
import { register as proxy } from './proxy.js';
import { register as validate } from './validate.js';
import { register as list } from './list.js';
import { register as schema } from './schema.js';
import { register as serve } from './serve.js';
import { register as report } from './report.js';
import { register as run } from './run.js';
import { register as wire } from './wire.js';
import { register as explore } from './explore.js';
import { register as doctor } from './doctor.js';

const commands: Register[] = [run, explore, validate, list, schema, proxy, serve, report, wire, doctor];

export function registerCommands(program: Command, io: CliIo, wrap: Wrap): void {
  for (const register of commands) register(program, io, wrap);
}
