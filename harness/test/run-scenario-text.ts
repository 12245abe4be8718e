/**
 * One scenario, from its YAML text, through the real runner on the embedded proxy: for tests that
 * judge a run's result without the CLI around it.
 */
import type { ScenarioResult } from '../core/result.js';
import { systemClock } from '../core/clock.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { loadScenarioText } from '../scenario/load.js';
import { runScenario, type ScenarioRunDeps } from '../scenario/run-scenario.js';

export interface ScenarioTextRun {
  seed: number;
  /** The file name results carry; the text is loaded as if it were /tmp/<file>. */
  file: string;
  /** Default: the scenario's name. */
  id?: string;
  /** Default: `embedded`. */
  backendKind?: string;
  /** Over the defaults: an embedded proxy per scenario, the system clock, a signal never aborted. */
  deps?: Partial<ScenarioRunDeps>;
}

export function runScenarioText(yaml: string, options: ScenarioTextRun): Promise<ScenarioResult> {
  const [spec] = loadScenarioText(yaml, `/tmp/${options.file}`);
  let nextWorkloadId = 1;
  return runScenario(
    { spec: spec!, id: options.id ?? spec!.name, file: options.file, seed: options.seed, replay: '', index: 0, total: 1, backendKind: options.backendKind ?? 'embedded' },
    {
      clock: systemClock,
      createBackend: (seed) => createEmbeddedProxy({ seed }),
      signal: new AbortController().signal,
      allocateWorkloadId: () => nextWorkloadId++,
      ...options.deps,
    },
  );
}
