/**
 * What a run tells its observers while it runs. The scenario runner calls these hooks; reporters
 * (report/: the live console reporter, and file reporters that render the final RunResult)
 * implement them. The interface lives in core because the runner (scenario/) may not import
 * report/, and report/ may not import scenario/ (ARCHITECTURE.md §3).
 *
 *   runner ──onRunStart──▶ ┬ onScenarioStart ─▶ onScenarioProgress* ─▶ onFaultApplied* ─▶ onScenarioEnd ┬─▶ onRunEnd
 *                          └────────────────────────── per scenario ───────────────────────────────────┘
 *
 * Every hook is optional and synchronous except onRunEnd (file reporters write there). Hooks must
 * not throw; a runner may ignore what they return.
 */
import type { FaultRecord, RunResult, ScenarioResult } from './result.js';

/** The run is about to start its first scenario. */
export interface RunStartEvent {
  seed: number;
  /** ISO-8601 wall-clock time. */
  startedAt: string;
  /** The command line as typed. */
  command: string;
  /** Scenarios this run (or shard) will execute, in order. */
  scenarios: Array<{ id: string; name: string; file?: string }>;
  shard?: { index: number; total: number };
}

/** A scenario begins (targets not started yet). */
export interface ScenarioStartEvent {
  id: string;
  name: string;
  file?: string;
  seed: number;
  /** 0-based position among the run's scenarios, and how many there are. */
  index: number;
  total: number;
}

/** Where a scenario is in its lifecycle. */
export type ScenarioPhase = 'starting' | 'running' | 'asserting' | 'stopping';

/** A periodic or phase-change update, for progress lines. Cheap to produce; sent at most a few times per second. */
export interface ScenarioProgressEvent {
  id: string;
  phase: ScenarioPhase;
  /** ms since the scenario started. */
  elapsedMs: number;
  /** Running totals by metric name, e.g. `{ messages_sent_total: 1200, messages_received_total: 1187 }`. */
  counts?: Record<string, number>;
}

/** A fault of the timeline was applied, removed, or failed to apply. */
export interface FaultEvent {
  scenarioId: string;
  action: 'applied' | 'removed' | 'failed';
  /** ms since the scenario started. */
  atMs: number;
  fault: FaultRecord;
}

/** Implemented by reporters; called by the runner. All hooks optional. */
export interface RunObserver {
  onRunStart?(event: RunStartEvent): void;
  onScenarioStart?(event: ScenarioStartEvent): void;
  onScenarioProgress?(event: ScenarioProgressEvent): void;
  onFaultApplied?(event: FaultEvent): void;
  onScenarioEnd?(result: ScenarioResult): void;
  /** The run is over (also when interrupted); `result` is what results.json will hold. */
  onRunEnd?(result: RunResult): void | Promise<void>;
}

