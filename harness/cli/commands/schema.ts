/**
 * `faultline schema`: prints the JSON Schema of scenario files, for editors:
 * `faultline schema > scenarios/faultline.schema.json`, then
 * `# yaml-language-server: $schema=./faultline.schema.json` at the top of a scenario.
 */
import { ExitCode } from '../../core/errors.js';
import { renderScenarioSchema } from '../../scenario/schema.js';
import type { Register } from '../command.js';

export const register: Register = (program, io, wrap) => {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editor completion and checks)')
    .action(
      wrap(async () => {
        io.stdout.write(renderScenarioSchema());
        return ExitCode.ok;
      }),
    );
};
