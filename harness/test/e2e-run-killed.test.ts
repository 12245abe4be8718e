/**
 * Targets die with their runner, however it ends: `faultline run` is killed with SIGKILL mid-run,
 * the process alone or its whole process group (what a CI runner does to a job that timed out or
 * was cancelled). Nothing faultline started may be left running or listening, reparented to init,
 * for the next run to find its port taken.
 *
 * A SIGKILL gives faultline no chance to clean up; the supervisor each command target runs under
 * (harness/target/supervisor.cjs) sees its lifeline close and stops the target's group.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accepts, freePort, isAlive, longRunWithCommandTarget, requireBuild, scratchDir, sleep, startFaultline, until, writeScenario } from './e2e-cli.js';

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
  const port = await freePort();
  const pidFile = join(scratch.path, `${name}.pids`);
  const file = writeScenario(scratch.path, `${name}.yaml`, longRunWithCommandTarget(name, port, pidFile));
  const cli = startFaultline(['run', file, '--out', join(scratch.path, `out-${name}`), '--seed', '5'], { detached });
  await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length === 2, cli);
  const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
  leftovers.push(...pids);
  await until(() => accepts(port), cli);
  await sleep(300);
  return { cli, port, pids };
}

/** Waits (at most 10 s: the supervisor's grace is 2 s) until none of `pids` runs. */
async function gone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 500 && pids.some(isAlive); i++) await sleep(20);
  return pids.filter(isAlive);
}

/**
 * Whether anything still listens on `port`, asked for up to 2 s. A dying process's leader is a
 * zombie (`gone`) as soon as its own thread has exited, while its other threads, which share its
 * descriptors, may still be on their way out: its listening socket closes a moment later. A
 * listener left behind would still be there at the end.
 */
async function stillListening(port: number): Promise<boolean> {
  for (let i = 0; i < 100 && (await accepts(port)); i++) await sleep(20);
  return accepts(port);
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
