/**
 * The rootless path, tried as an unprivileged user (uid 65534) in a user namespace of its own
 * (`unshare --user --map-root-user`), as `faultline` would be started by a user without root.
 *
 * On this machine class /dev/net/tun is mode 0600, so a user namespace's root cannot open it
 * (the first test checks that the probe says exactly that). Most distributions ship it 0666; the
 * second test recreates that — in a private mount namespace only, a 0666 node for the same device
 * is mounted over /dev/net/tun — and runs a real TCP transfer through a wire path without root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeWire, wireSupport } from './testing/wire-gate.js';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const NOBODY = '65534';

const unprivileged = (command: string[]) => ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all', '--', ...command];
/** Runs a module in a user namespace; a file, not -e: worker threads inherit node's flags, and --input-type with them. */
const scriptDirs: string[] = [];
afterAll(() => scriptDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const inUserNamespace = (script: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-rootless-script-'));
  scriptDirs.push(dir);
  const file = join(dir, 'main.mjs');
  writeFileSync(file, script, { mode: 0o644 });
  execFileSync('chmod', ['0755', dirname(file)]);
  return ['unshare', '--user', '--map-root-user', '--', process.execPath, file];
};

const probeScript = `
  import { probeWire } from ${JSON.stringify(join(dist, 'wire/probe.js'))};
  console.log(JSON.stringify(probeWire()));`;

const transferScript = `
  import { probeWire } from ${JSON.stringify(join(dist, 'wire/probe.js'))};
  import { createWirePath } from ${JSON.stringify(join(dist, 'wire/topology.js'))};
  import { createRng } from ${JSON.stringify(join(dist, 'core/rng.js'))};
  import { runTask } from ${JSON.stringify(join(dist, 'wire/run-side-task.js'))};
  const support = probeWire();
  const path = createWirePath({ rng: createRng(7) });
  path.engine.addFault({ type: 'loss', stream: 'upstream', protocol: 'tcp', attributes: { probability: 0.05 } });
  const sink = runTask(path.target, { task: 'tcp-sink', host: path.target.address });
  const port = await sink.ready;
  const received = sink.result();
  const sent = await runTask(path.client, { task: 'tcp-send', host: path.target.address, port, bytes: 500000 }).result();
  const got = await received;
  const retransmits = path.client.kernelCounters().Tcp.RetransSegs;
  console.log(JSON.stringify({ mode: support.mode, published: path.client.published, intact: got.bytes === 500000 && got.sha256 === sent.sha256, retransmits }));
  path.close();
  process.exit(0);`;

/** Why the rootless test cannot run here, if it cannot. */
function cannotRun(): string | undefined {
  if (wireSupport.mode !== 'root') return 'setting up an unprivileged user needs root';
  if (!existsSync(join(dist, 'wire/topology.js'))) return 'dist/ is missing (npm run build)';
  for (const tool of ['setpriv', 'unshare', 'mknod']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
  }
  return undefined;
}

describeWire('wire layer without root', () => {
  const reason = cannotRun();
  const rootlessIt = reason ? it.skip : it;

  rootlessIt(`says precisely what is missing where /dev/net/tun is closed to users${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const [command, ...args] = unprivileged(inUserNamespace(probeScript));
    const result = spawnSync(command!, args, { encoding: 'utf8', cwd: tmpdir() });
    expect(result.stderr).toBe('');
    const probe = JSON.parse(result.stdout) as { available: boolean; mode: string; missing: string[]; rootless: { possible: boolean } };
    expect(probe.mode).toBe('user-namespace');
    if (probe.rootless.possible) {
      expect(probe.available).toBe(true);
    } else {
      expect(probe.available).toBe(false);
      expect(probe.missing.join(' ')).toMatch(/\/dev\/net\/tun cannot be opened from this user namespace/);
    }
  });

  rootlessIt(`carries real TCP through a wire path as an unprivileged user where /dev/net/tun is 0666${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-rootless-'));
    try {
      execFileSync('chmod', ['0755', dir]);
      // Only inside this private mount namespace does /dev/net/tun become a 0666 node.
      const setup = `mknod -m 0666 ${dir}/tun c 10 200 && mount --bind ${dir}/tun /dev/net/tun && exec "$@"`;
      const command = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', setup, 'sh', ...unprivileged(inUserNamespace(transferScript))];
      const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: tmpdir(), timeout: 20_000 });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toMatchObject({ mode: 'user-namespace', published: false, intact: true });
      expect(JSON.parse(result.stdout).retransmits).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  rootlessIt(`runs a wire scenario through faultline run as an unprivileged user, a command target included${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-rootless-run-'));
    try {
      execFileSync('chmod', ['0777', dir]);
      const scenario = join(dir, 'rootless.yaml');
      writeFileSync(
        scenario,
        `name: wire-rootless
timeout: 20s
targets:
  app: { command: [${JSON.stringify(process.execPath)}, -e, "require('net').createServer((c) => c.pipe(c)).listen(+process.env.FAULTLINE_TCP_PORT, process.env.FAULTLINE_HOST)"], tcp: auto }
  sink: { builtin: sink }
proxies:
  to_app: { layer: wire, target: app }
  to_sink: { layer: wire, target: sink }
workloads:
  echo: { type: tcp-echo, via: to_app, messages: 50 }
  datagrams: { type: udp-stream, via: to_sink, messages: 300, rate: 3000/s, timeout: 300ms }
faults:
  - proxy: [to_app, to_sink]
    toxic: { type: loss, stream: upstream, attributes: { probability: 0.05 } }
assert:
  echo: [delivered, in_order]
  datagrams: [lost_ratio > 0, incidental_lost_total == 0]
`,
        { mode: 0o644 },
      );
      const setup = `mknod -m 0666 ${dir}/tun c 10 200 && mount --bind ${dir}/tun /dev/net/tun && exec "$@"`;
      const cli = ['unshare', '--user', '--map-root-user', '--', process.execPath, join(dist, '..', 'bin', 'faultline.js'), 'run', scenario, '--out', join(dir, 'out'), '--reporter', 'json'];
      const command = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', setup, 'sh', ...unprivileged(cli)];
      const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: dir, timeout: 40_000, env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: '' } });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const run = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as { scenarios: Array<{ status: string; paths: unknown[] }> };
      expect(run.scenarios[0]).toMatchObject({ status: 'passed' });
      expect(run.scenarios[0]!.paths).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
