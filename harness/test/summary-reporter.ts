/**
 * Prints the plain closing line CI reads: `N passed, N failed` (and `, N skipped` when any).
 *
 * A file that fails to load (syntax error, failed import) or whose hooks fail has no failed test
 * but is still a failure, so it counts as one; unhandled errors count too. Vitest already exits non-zero
 * on both; this line only makes the outcome greppable.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A module that failed without a failed test (load error, a failing beforeAll/afterAll,
      // which leaves its tests "skipped") still counts as one failure.
      if (failedHere === 0 && mod.state() === 'failed') failedHere = 1;
      failed += failedHere;
    }
    const parts = [`${passed} passed`, `${failed} failed`];
    if (skipped > 0) parts.push(`${skipped} skipped`);
    process.stdout.write(`\n${parts.join(', ')}\n`);
  }
}
