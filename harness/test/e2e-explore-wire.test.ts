/**
 * `faultline explore` over a wire path, end to end through the built CLI, on real namespaces, TUN
 * devices and kernel TCP: the search generates packet faults on the path, finds that large
 * messages do not survive a path-MTU black hole (small ones do), shrinks the MTU to the mildest
 * value on the grid that still loses them, and writes a minimal file that fails again under
 * `faultline run`; no namespace is left behind. Where the wire layer is unavailable, explore
 * skips or stops exactly as `run` does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultlineNamespaces } from '../wire/testing/namespaces.js';
import { faultlineAsNobody, nobodyFolder, nobodySkipReason } from '../wire/testing/unprivileged.js';
import { describeWire } from '../wire/testing/wire-gate.js';
import { faultline, readResults, requireBuild, scenarioNamed, scratchDir, writeScenario } from './e2e-cli.js';

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('e2e-explore-wire');
});
afterAll(() => scratch?.remove());

/**
 * 200-byte messages fit in any packet; 8 KiB ones travel in full-size segments, which a path MTU
 * below the devices' 1500 drops without a word, in either direction: the kernel retransmits the
 * same segment until the client's 300 ms reply timeout.
 */
const LARGE_REPLIES = `
name: wire-large-messages
timeout: 5s
targets: { echo: { builtin: echo } }
proxies: { net: { layer: wire, target: echo } }
workloads:
  small: { type: tcp-echo, via: net, messages: 20, size: 200 }
  large: { type: tcp-echo, via: net, messages: 2, size: 8KiB, timeout: 300ms }
assert:
  small: [delivered]
  large: [delivered, errors == 0]
explore:
  faults: { mtu: {}, latency: { latency: 0..20, jitter: 0 } }
  start: 0s
  duration: 2s
  runs: 20
`;

describeWire('faultline explore on a wire path', () => {
  it('finds the MTU black hole among packet faults, shrinks it, and the minimal file fails again', { timeout: 60_000 }, async () => {
    const file = writeScenario(scratch.path, 'large.yaml', LARGE_REPLIES);
    const out = join(scratch.path, 'out-large');
    const run = await faultline(['explore', file, '--seed', '3', '--parallel', '2', '--out', out], { timeoutMs: 50_000 });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('on wire path net');

    const explored = readResults(out);
    const [exploration] = explored.explorations!;
    expect(exploration).toMatchObject({ status: 'failed', stoppedBy: 'shrunk', shrinkComplete: true });
    expect(exploration!.space).toContain('wire path net: mtu (mtu 576..1500 (11 values))');
    for (const step of exploration!.shrinkPath) expect(step.confirmation).toEqual({ failed: 3, runs: 3 });
    // One fault: the black hole, at the mildest MTU on the grid that still drops a full segment
    // (1500 bytes); the latency, if the search drew one, was removed.
    const faults = exploration!.minimal!.schedule.faults;
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ proxy: 'net', layer: 'wire', kind: 'toxic', toxic: { type: 'mtu', attributes: { mtu: 1400 } } });

    const minimal = readFileSync(exploration!.minimal!.file!, 'utf8');
    expect(minimal).toContain('layer: wire');
    expect(minimal).toMatch(/type: mtu\n\s+stream: (upstream|downstream)\n\s+attributes:\n\s+mtu: 1400/);
    const rerun = await faultline(['run', exploration!.minimal!.file!, '--out', join(out, 'rerun'), '--reporter', 'json']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
    const again = scenarioNamed(readResults(join(out, 'rerun')), 'wire-large-messages-min');
    const failed = again.assertions.filter((a) => a.status === 'failed').map((a) => `${a.subject}: ${a.source}`);
    expect(failed).toEqual(['large: delivered', 'large: errors == 0']);
    // Every path of a faultline process is named fl-<its run id>-…: none of the explorer's is left
    // (other test files' paths may exist meanwhile).
    const runPrefix = explored.scenarios[0]!.paths![0]!.namespaces.client.replace(/-\d+-c$/, '-');
    expect(runPrefix).toMatch(/^fl-[a-z0-9]+-$/);
    expect(faultlineNamespaces().filter((name) => name.startsWith(runPrefix))).toEqual([]);
  });
});

describeWire('faultline explore where the wire layer is unavailable', () => {
  const cannot = nobodySkipReason();
  const unprivilegedIt = cannot ? it.skip : it;
  const why = cannot ? ` (skipped: ${cannot})` : '';

  /** `faultline explore FILE` as uid 65534, who may create no namespace here. */
  function exploreAsNobody(name: string, ifUnavailable: string) {
    const dir = nobodyFolder(scratch.path, name);
    const file = writeScenario(dir, `${name}.yaml`, LARGE_REPLIES.replace('name: wire-large-messages', `name: ${name}\nif_unavailable: ${ifUnavailable}`));
    return { dir, run: faultlineAsNobody(['explore', file, '--out', join(dir, 'out')], { cwd: dir }) };
  }

  unprivilegedIt(`skips a scenario that says if_unavailable: skip, with the reason, and exits 0${why}`, () => {
    const { dir, run } = exploreAsNobody('explore-optional', 'skip');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SKIPPED explore-optional: the wire layer is unavailable here: creating network namespaces needs CAP_NET_ADMIN/);
    const [exploration] = readResults(join(dir, 'out')).explorations!;
    expect(exploration).toMatchObject({ status: 'skipped', stoppedBy: 'unavailable', runs: 0, reason: expect.stringContaining('wire layer is unavailable') });
  });

  unprivilegedIt(`stops before anything starts (exit 3) for a scenario that needs it${why}`, () => {
    const { run } = exploreAsNobody('explore-needed', 'error');
    expect(run.status, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toMatch(/scenario "explore-needed" needs the wire layer, which is unavailable here/);
  });
});
