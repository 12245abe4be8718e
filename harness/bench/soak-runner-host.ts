/**
 * The soak benchmark's scenario runner: `faultline run` executed again and again in one process
 * (runCli, as the binary runs it, minus the exit), so that whatever a run leaves behind — sockets,
 * timers, target processes, memory — adds up and shows. Reports what it holds over IPC.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '../cli/program.js';
import type { RunResult } from '../core/result.js';
import { serveChild } from './ipc-child.js';
import { createUsageMeter, openFds } from './process-usage.js';

const meter = createUsageMeter();
const stopping = new AbortController();
let runs = 0;
/** Exit codes other than 0, with their counts. */
const failures: Record<string, number> = {};
let loop: Promise<void> | undefined;
/**
 * Descriptors open when the last run had ended: what runs leave behind. Counted at any moment
 * instead, the figure says whether a sample fell inside a run (26 between runs, 47 in one).
 */
let fdsBetweenRuns: number | undefined;
/** The first few checks that failed, as `workload: source → observed`, so a failed run is explained. */
const failedChecks: string[] = [];

function whatFailed(file: string): string[] {
  try {
    const result = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
    return result.scenarios.flatMap((s) => s.assertions.filter((a) => a.status !== 'passed').map((a) => `${a.subject ?? '?'}: ${a.source} → ${a.observed}`));
  } catch {
    return [`(no readable ${file})`];
  }
}

class Discard extends Writable {
  override _write(_chunk: unknown, _encoding: string, done: () => void): void {
    done();
  }
}

async function runLoop(file: string, outDir: string): Promise<void> {
  while (!stopping.signal.aborted) {
    const out = join(outDir, `run-${runs % 4}`);
    const code = await runCli(['run', file, '--out', out, '--reporter', 'json,junit,html', '--seed', String(runs)], {
      stdout: new Discard(),
      stderr: new Discard(),
      env: { ...process.env, NO_COLOR: '1' },
      cwd: outDir,
      interrupt: stopping.signal,
    });
    runs++;
    if (code !== 0) failures[String(code)] = (failures[String(code)] ?? 0) + 1;
    if (code === 1 && failedChecks.length < 5) failedChecks.push(...whatFailed(join(out, 'results.json')));
    rmSync(out, { recursive: true, force: true });
    fdsBetweenRuns = openFds();
  }
}

serveChild(
  {
    start: (file: string, outDir: string) => {
      loop ??= runLoop(file, outDir);
    },
    usage: () => {
      const usage = meter.sample();
      return { ...usage, fds: fdsBetweenRuns ?? usage.fds, runs, failures, failedChecks };
    },
  },
  async () => {
    stopping.abort();
    await loop;
  },
);
