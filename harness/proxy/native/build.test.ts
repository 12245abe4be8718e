/**
 * The install-time build of the native UDP addon (build.mjs) must never break an install unless
 * asked to: a failed build falls back to dgram with a message that says why, and only
 * FAULTLINE_NATIVE=required turns it into an error. node-gyp is replaced here by stand-ins
 * (through npm_config_node_gyp, as npm passes it), so the real build directory is not touched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./build.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faultline-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeGyp(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

function build(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, FAULTLINE_NATIVE: '', ...env } });
  return { status: result.status, stderr: result.stderr };
}

describe.runIf(process.platform === 'linux')('native/build.mjs', () => {
  const failing = fakeGyp('failing-gyp.js', "console.error('gyp ERR! no C compiler here'); process.exit(1);\n");
  const working = fakeGyp('working-gyp.js', "if (!process.argv.some((a) => a.startsWith('--directory='))) process.exit(2);\n");

  it('a failed build leaves the install working, and says why and what happens instead', () => {
    const r = build({ npm_config_node_gyp: failing });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('native UDP I/O not built: node-gyp exited with 1');
    expect(r.stderr).toContain('gyp ERR! no C compiler here');
    expect(r.stderr).toContain("the UDP proxy uses Node's dgram instead");
  });

  it('FAULTLINE_NATIVE=required makes a failed build an error', () => {
    expect(build({ npm_config_node_gyp: failing, FAULTLINE_NATIVE: 'required' }).status).toBe(1);
  });

  it('FAULTLINE_NATIVE=off skips the build, and a good build says so', () => {
    const off = build({ npm_config_node_gyp: failing, FAULTLINE_NATIVE: 'off' });
    expect(off).toMatchObject({ status: 0 });
    expect(off.stderr).toContain('skipped (FAULTLINE_NATIVE=off)');
    const ok = build({ npm_config_node_gyp: working, FAULTLINE_NATIVE: 'required' });
    expect(ok).toMatchObject({ status: 0 });
    expect(ok.stderr).toContain('native UDP I/O built');
  });
});
