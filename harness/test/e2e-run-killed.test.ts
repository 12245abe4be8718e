/**
 * Targets die with their runner, however it ends: `faultline run` is killed with SIGKILL mid-run,
 * the process alone or its whole process group (what a CI runner does to a job that timed out or
 * was cancelled). Nothing faultline started may be left running or listening, reparented to init,
 * for the next run to find its port taken.
 *
 * A SIGKILL gives faultline no chance to clean up; the supervisor each command target runs under
 * (harness/target/supervisor.cjs) sees its lifeline close and stops the target's group.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, requireBuild, scratchDir, sleep, startLongRun, stillListening } from './e2e-cli.js';

let scratch: ReturnType<typeof scratchDir>;
/** Processes a failing test could leave: killed whatever happens. */
const leftovers: number[] = [];

beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-killed');
});
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});
afterAll(() => scratch.remove());

/** Starts a run whose command target (a server and a child it spawned) is serving traffic. */
async function runningTarget(name: string, detached: boolean) {
  const run = await startLongRun(scratch.path, name, { seed: '5', settleMs: 300, detached });
  leftovers.push(...run.pids);
  return run;
}

/** Waits (at most 10 s: the supervisor's grace is 2 s) until none of `pids` runs. */
async function gone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 500 && pids.some(isAlive); i++) await sleep(20);
  return pids.filter(isAlive);
}

describe('faultline run killed with SIGKILL leaves nothing behind', () => {
  it('when the kill goes to faultline\'s process', async () => {
    const { cli, port, pids } = await runningTarget('killed-process', false);
    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    expect(await gone(pids)).toEqual([]);
    expect(await stillListening(port)).toBe(false);
  });

  it('when the kill goes to faultline\'s whole process group, as CI runners send it', async () => {
    const { cli, port, pids } = await runningTarget('killed-group', true);
    leftovers.push(cli.child.pid!);
    process.kill(-cli.child.pid!, 'SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    expect(await gone(pids)).toEqual([]);
    expect(await stillListening(port)).toBe(false);
  });
});
