/**
 * Which scenarios a run runs: those matching `--grep` and `--tag`, then the shard's share. The
 * CLI's `faultline run` and the library's `run()` select the same way.
 */
import { FaultlineError } from '../core/errors.js';
import { selectShard, type Shard } from '../core/shard.js';
import { filterScenarios } from './discover.js';
import { scenarioId } from './run-suite.js';
import type { ScenarioSpec } from './spec.js';

export interface Selection {
  /** Names matching this regular expression. */
  grep?: string | RegExp;
  /** Scenarios with at least one of these tags. */
  tags?: readonly string[];
  shard?: Shard;
}

/**
 * The selected scenarios, in their order. Nothing matching the filters is NOT_FOUND (an empty run
 * is almost always a typo); an empty shard is not (a small suite split many ways).
 */
export function selectScenarios<S extends ScenarioSpec>(specs: readonly S[], selection: Selection, cwd: string, source: string): S[] {
  const tags = selection.tags ?? [];
  const filtered = filterScenarios(specs, { ...(selection.grep === undefined ? {} : { grep: selection.grep }), tags });
  if (filtered.length === 0) {
    const grep = selection.grep === undefined ? '' : ` --grep ${String(selection.grep)}`;
    throw new FaultlineError('NOT_FOUND', `no scenario matches${grep}${tags.length ? ` --tag ${tags.join(',')}` : ''} in ${source}`, {
      hint: 'see `faultline list` for the scenarios and their tags',
    });
  }
  if (!selection.shard) return filtered;
  const { index, total } = selection.shard;
  return selectShard(filtered.map((spec) => ({ id: scenarioId(spec, cwd), spec })), index, total).map((s) => s.spec);
}
