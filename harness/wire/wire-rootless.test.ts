/**
 * The rootless path, tried as an unprivileged user (uid 65534) in a user namespace of its own
 * (`unshare --user --map-root-user`), as `faultline` would be started by a user without root.
 *
 * On this machine class /dev/net/tun is mode 0600, so a user namespace's root cannot open it
 * (the first test checks that the probe says exactly that). Most distributions ship it 0666; the
 * second test recreates that — in a private mount namespace only, a 0666 node for the same device
 * is mounted over /dev/net/tun — and runs a real TCP transfer through a wire path without root.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { asNobody, nobodySkipReason } from './testing/unprivileged.js';
import { describeWire, wireSupport } from './testing/wire-gate.js';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
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
  if (wireSupport.mode === 'root' && !existsSync(join(dist, 'wire/topology.js'))) return 'dist/ is missing (npm run build)';
  return nobodySkipReason(['setpriv', 'unshare', 'mknod']);
}

describeWire('wire layer without root', () => {
  const reason = cannotRun();
  const rootlessIt = reason ? it.skip : it;

  rootlessIt(`says precisely what is missing where /dev/net/tun is closed to users${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const [command, ...args] = asNobody(inUserNamespace(probeScript));
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
      const command = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', setup, 'sh', ...asNobody(inUserNamespace(transferScript))];
      const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: tmpdir(), timeout: 20_000 });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toMatchObject({ mode: 'user-namespace', published: false, intact: true });
      expect(JSON.parse(result.stdout).retransmits).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A folder uid 65534 may write, with a scenario of two wire paths (a command target behind one) in it. */
  function scenarioFolder(prefix: string, workload = 'messages: 50'): { dir: string; scenario: string } {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    execFileSync('chmod', ['0777', dir]);
    const scenario = join(dir, 'rootless.yaml');
    writeFileSync(
      scenario,
      `name: wire-rootless
timeout: 40s
targets:
  app: { command: [${JSON.stringify(process.execPath)}, -e, "require('net').createServer((c) => c.pipe(c)).listen(+process.env.FAULTLINE_TCP_PORT, process.env.FAULTLINE_HOST)"], tcp: auto }
  sink: { builtin: sink }
proxies:
  to_app: { layer: wire, target: app }
  to_sink: { layer: wire, target: sink }
workloads:
  echo: { type: tcp-echo, via: to_app, ${workload} }
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
    return { dir, scenario };
  }

  /** `cli` as uid 65534, where (in a private mount namespace only) /dev/net/tun is a 0666 node, as most distributions ship it. */
  function withOpenTun(dir: string, cli: string[]): string[] {
    const setup = `rm -f ${dir}/tun && mknod -m 0666 ${dir}/tun c 10 200 && mount --bind ${dir}/tun /dev/net/tun && exec "$@"`;
    return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', setup, 'sh', ...asNobody(cli)];
  }

  const BIN = join(dist, '..', 'bin', 'faultline.js');
  const envFor = (dir: string, extra: Record<string, string> = {}) => ({ ...process.env, HOME: dir, XDG_RUNTIME_DIR: '', NO_COLOR: '1', FAULTLINE_WIRE: '', ...extra });
  type RunResult = { scenarios: Array<{ status: string; paths: unknown[] }> };

  rootlessIt(`runs a wire scenario through faultline run as an unprivileged user, a command target included${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const { dir, scenario } = scenarioFolder('faultline-rootless-run-');
    try {
      const cli = ['unshare', '--user', '--map-root-user', '--', process.execPath, BIN, 'run', scenario, '--out', join(dir, 'out'), '--reporter', 'json'];
      const command = withOpenTun(dir, cli);
      const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: dir, timeout: 40_000, env: envFor(dir) });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const run = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as RunResult;
      expect(run.scenarios[0]).toMatchObject({ status: 'passed' });
      expect(run.scenarios[0]!.paths).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  rootlessIt(`started without unshare, faultline run starts itself again in a user namespace, unless FAULTLINE_USERNS=off${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const { dir, scenario } = scenarioFolder('faultline-rootless-auto-');
    try {
      const command = withOpenTun(dir, [process.execPath, BIN, 'run', scenario, '--out', join(dir, 'out'), '--reporter', 'json']);
      const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: dir, timeout: 40_000, env: envFor(dir) });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stderr).toContain('faultline: the wire layer needs privileges this user lacks; running again in a user namespace of its own');
      const run = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as RunResult;
      expect(run.scenarios[0]).toMatchObject({ status: 'passed' });
      expect(run.scenarios[0]!.paths).toHaveLength(2);

      const off = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: dir, timeout: 40_000, env: envFor(dir, { FAULTLINE_USERNS: 'off' }) });
      expect(off.status, off.stdout + off.stderr).toBe(3);
      expect(off.stderr).toMatch(/needs the wire layer, which is unavailable here: creating network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN: run as root, or start faultline inside a user namespace of its own/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  rootlessIt(`the run started again stops with its report when its starter is killed, SIGKILL included${reason ? ` (skipped: ${reason})` : ''}`, async () => {
    const { dir, scenario } = scenarioFolder('faultline-rootless-killed-', 'duration: 30s, rate: 50/s');
    try {
      const command = withOpenTun(dir, [process.execPath, BIN, 'run', scenario, '--out', join(dir, 'out')]);
      const child = spawn(command[0]!, command.slice(1), { cwd: dir, env: envFor(dir), stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // The starter (uid 65534's node, its parent setpriv exec'd into) and the run it started.
      const runs = () => spawnSync('pgrep', ['-f', `${BIN} run ${scenario}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number);
      for (let i = 0; i < 250 && runs().length < 2; i++) await sleep(20);
      expect(runs()).toHaveLength(2);
      await sleep(1000); // the workloads are running
      process.kill(child.pid!, 'SIGKILL'); // setpriv exec'd into the starter: this is its pid
      await exited;
      for (let i = 0; i < 500 && runs().length > 0; i++) await sleep(20);
      expect(runs()).toEqual([]);
      const run = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as RunResult & { run: { interrupted: boolean } };
      expect(run.run.interrupted).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
