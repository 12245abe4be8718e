/**
 * Benchmarks are measurements, not tests (ARCHITECTURE.md §7). Each suite measures its subject
 * *and a baseline in the same run* and reports ratios, because these machines are noisy: an
 * absolute number from one run says little, "0.71 of a direct connection measured a minute
 * ago on the same box" says a lot.
 */

export interface BenchFigure {
  /** What was measured, e.g. `throughput via proxy / direct`. */
  name: string;
  value: number;
  /** `ratio`, `µs`, `ms`, `%`, `MiB`, `datagrams/s`… */
  unit: string;
  /** The target from the issue, for the table: e.g. `>= 0.6`, `<= 30 µs`. */
  target?: string;
  /** Whether `value` meets `target`; absent when there is no target. */
  met?: boolean;
  /** Raw inputs behind the figure (baseline and subject values, sample counts), for the JSON. */
  detail?: Record<string, number | string>;
}

export interface BenchSuiteResult {
  suite: string;
  figures: BenchFigure[];
  /** Anything a reader must know to interpret the figures (load, sizes, caveats). */
  notes?: string[];
}

export interface BenchContext {
  /** Shorter runs for a smoke check (`npm run bench -- --quick`). */
  quick: boolean;
  log(line: string): void;
}

export interface BenchSuite {
  name: string;
  /** Runs only when asked for by name (`npm run bench -- soak`), not in a plain `npm run bench`. */
  onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<BenchSuiteResult>;
}
