/**
 * `faultline schema`: prints the JSON Schema of scenario files, for editors:
 * `faultline schema > scenarios/faultline.schema.json`, then
 * `# yaml-language-server: $schema=./faultline.schema.json` at the top of a scenario.
 */
import { ExitCode } from '../../core/errors.js';
import { scenarioJsonSchema } from '../../scenario/schema.js';
import type { Register } from './index.js';

/** The schema as `faultline schema` prints it (and scenarios/faultline.schema.json holds it). */
export function renderScenarioSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

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
