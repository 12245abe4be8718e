/**
 * What every workload does around its traffic: wait for its start time, record errors against
 * the scenario clock, tick progress, keep notes, and know whether it was stopped early.
 */
import type { Clock, Timer } from '../core/clock.js';
import { ErrorRecorder } from '../metrics/error-recorder.js';
import { DEFAULT_BUCKET_MS, SeriesRecorder } from '../metrics/series-recorder.js';
import type { WorkloadContext, WorkloadProgress } from './context.js';
import type { WorkloadCommon } from './spec.js';
import { WireAnchor } from './wire-time.js';

const PROGRESS_EVERY_MS = 250;

export class WorkloadRun {
  readonly errors = new ErrorRecorder();
  readonly series: SeriesRecorder;
  readonly anchor: WireAnchor;
  readonly notes: string[] = [];
  readonly clock: Clock;
  readonly bucketMs: number;
  /** Clock ms when sending started (after the start delay). */
  startedAt = NaN;
  private progressTimer: Timer | undefined;

  constructor(
    readonly spec: WorkloadCommon,
    readonly ctx: WorkloadContext,
  ) {
    this.clock = ctx.clock;
    this.bucketMs = ctx.seriesBucketMs ?? DEFAULT_BUCKET_MS;
    this.series = new SeriesRecorder({ originMs: ctx.scenarioStartMs, bucketMs: this.bucketMs });
    this.anchor = new WireAnchor(ctx.clock);
  }

  /** Waits until the workload's start time; false when stopped before it. */
  async waitForStart(): Promise<boolean> {
    const at = this.ctx.scenarioStartMs + this.spec.startMs;
    if (this.clock.now() < at && (await this.clock.sleepUntil(at, this.ctx.signal)) === 'aborted') return false;
    this.startedAt = this.clock.now();
    return !this.ctx.signal.aborted;
  }

  /** Clock ms → ms after the scenario start. */
  rel(clockMs: number): number {
    return clockMs - this.ctx.scenarioStartMs;
  }

  /** Records a classified error now. */
  error(code: string, message: string): void {
    const now = this.clock.now();
    this.errors.record(code, this.rel(now), message);
    this.series.error(now);
  }

  /** Where sending ends for a `duration` workload (clock ms), else undefined. */
  get endAtMs(): number | undefined {
    return this.spec.durationMs === undefined ? undefined : this.startedAt + this.spec.durationMs;
  }

  startProgress(read: () => Omit<WorkloadProgress, 'errors'>): void {
    const report = this.ctx.onProgress;
    if (report === undefined) return;
    const tick = () => {
      report({ ...read(), errors: this.errors.total });
      this.progressTimer = this.clock.scheduleAt(this.clock.now() + PROGRESS_EVERY_MS, tick);
    };
    this.progressTimer = this.clock.scheduleAt(this.clock.now() + PROGRESS_EVERY_MS, tick);
    this.finalProgress = () => report({ ...read(), errors: this.errors.total });
  }

  private finalProgress: (() => void) | undefined;

  /** Stops the progress ticker and reports the final totals. */
  stopProgress(): void {
    this.progressTimer?.cancel();
    this.progressTimer = undefined;
    this.finalProgress?.();
    this.finalProgress = undefined;
  }

  /** Adds the "stopped early" note when the signal aborted the run. */
  noteIfAborted(what: string): void {
    if (this.ctx.signal.aborted) this.notes.push(`stopped early (deadline or interrupt): ${what}`);
  }

  /** How long the workload ran, ms; 0 if it never started. */
  durationMs(): number {
    return Number.isNaN(this.startedAt) ? 0 : this.clock.now() - this.startedAt;
  }

  /** When sending started, ms after the scenario start (the start time if it never did). */
  startedAtRel(): number {
    return Number.isNaN(this.startedAt) ? this.spec.startMs : this.rel(this.startedAt);
  }
}
