/**
 * Every exit path removes what a wire path created: a normal close (wire-path.test.ts), SIGINT
 * (the exit hook), SIGKILL (the supervisor), and a run killed before anyone could (cleanupWire,
 * which also leaves a live run and foreign namespaces alone). A separate faultline process runs
 * the path here, so that it can be killed; it runs the built modules (npm test builds first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { wireAddon } from './native.js';
import { cleanupWire, processesIn, processStartTime, type RunRecord } from './run-registry.js';
import { ipNetnsList } from './testing/namespaces.js';
import { describeWire } from './testing/wire-gate.js';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** A faultline process with one wire path and a `sleep` inside its target namespace. */
function startOwner(): { child: ChildProcess; created: Promise<{ names: string[]; inode: number; registry: string }> } {
  const script = `
    import { createWirePath } from ${JSON.stringify(join(dist, 'wire/topology.js'))};
    import { createRng } from ${JSON.stringify(join(dist, 'core/rng.js'))};
    process.on('SIGINT', () => process.exit(130));
    const path = createWirePath({ rng: createRng(1) });
    path.target.spawn('sleep', ['60']).on('spawn', () => {
      setTimeout(() => console.log(JSON.stringify({ names: [path.client.namespace, path.target.namespace], inode: path.target.inode })), 100);
    });
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const created = new Promise<{ names: string[]; inode: number; registry: string }>((resolve, reject) => {
    child.stdout!.once('data', (line: Buffer) => resolve(JSON.parse(line.toString())));
    child.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
  });
  return { child, created };
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

let owner: ChildProcess | undefined;
afterEach(() => {
  if (owner?.exitCode === null) owner.kill('SIGKILL');
  owner = undefined;
});

describeWire('wire cleanup', () => {
  it('a faultline ended by SIGINT leaves no namespace, device or process', async () => {
    if (!existsSync(join(dist, 'wire/topology.js'))) throw new Error('dist/ is missing: npm run build (npm test does)');
    const started = startOwner();
    owner = started.child;
    const { names, inode } = await started.created;
    expect(ipNetnsList()).toContain(names[0]);
    expect(processesIn(inode).length).toBeGreaterThan(0);
    owner.kill('SIGINT');
    await new Promise((resolve) => owner!.once('exit', resolve));
    // The exit hook is synchronous: all gone when the process is.
    for (const name of names) expect(ipNetnsList()).not.toContain(name);
    expect(await eventually(() => processesIn(inode).length === 0, 1000)).toBe(true);
  });

  it('a faultline killed with SIGKILL is cleaned up by its supervisor', async () => {
    const started = startOwner();
    owner = started.child;
    const { names, inode } = await started.created;
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner!.once('exit', resolve));
    const gone = await eventually(() => names.every((n) => !ipNetnsList().includes(n)) && processesIn(inode).length === 0, 5000);
    expect(gone).toBe(true);
  });

  it("cleanupWire removes a dead run's namespaces and processes, and nothing of a live run or anyone else", async () => {
    const addon = wireAddon();
    const dir = mkdtempSync(join(tmpdir(), 'faultline-wire-registry-'));
    const published: string[] = [];
    const publish = (name: string) => {
      const side = addon.createSide(null);
      const path = `/run/netns/${name}`;
      writeFileSync(path, '');
      addon.bindMount(`/proc/self/fd/${side.nsFd}`, path);
      closeSync(side.nsFd);
      published.push(path);
      return { name, inode: side.inode, published: path };
    };
    try {
      const deadPid = spawnSync('true').pid!;
      const dead = publish(`fl-test${process.pid}-dead`);
      const live = publish(`fl-test${process.pid}-live`);
      const foreign = publish(`fl-test${process.pid}-foreign`);
      const sleeper = spawn('nsenter', [`--net=${dead.published}`, 'sleep', '60'], { stdio: 'ignore' });
      const records: RunRecord[] = [
        { runId: 'deadrun', pid: deadPid, startTime: 1, namespaces: [dead] },
        { runId: 'liverun', pid: process.pid, startTime: processStartTime(process.pid)!, namespaces: [live] },
      ];
      for (const r of records) writeFileSync(join(dir, `${r.runId}.json`), JSON.stringify(r));
      await waitForSpawn(sleeper);
      expect(processesIn(dead.inode)).toEqual([sleeper.pid]);
      const report = cleanupWire({ dir, unmount: (p) => addon.unmount(p) });
      expect(report).toMatchObject({ runs: ['deadrun'], namespaces: [dead.name], processesKilled: 1, skipped: ['liverun'], problems: [] });
      const names = ipNetnsList();
      expect(names).not.toContain(dead.name);
      expect(names).toContain(live.name);
      expect(names).toContain(foreign.name);
      expect(existsSync(join(dir, 'deadrun.json'))).toBe(false);
      expect(existsSync(join(dir, 'liverun.json'))).toBe(true);
      expect(await eventually(() => sleeper.exitCode !== null || sleeper.signalCode !== null, 1000)).toBe(true);
    } finally {
      for (const path of published) {
        if (existsSync(path)) {
          try {
            addon.unmount(path);
          } catch {
            // already detached by the cleanup under test
          }
          rmSync(path, { force: true });
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function waitForSpawn(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => setTimeout(resolve, 100));
    child.once('error', reject);
  });
}
