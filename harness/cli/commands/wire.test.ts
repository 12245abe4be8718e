/**
 * `faultline wire probe|cleanup`: in-process through runCli as root, and through the built
 * binary as an unprivileged user, who gets exit 3 and the reason.
 */
import { expect, it } from 'vitest';
import { requireBuild } from '../../test/e2e-cli.js';
import { loadNativeTcpIo } from '../../proxy/tcp-io-native.js';
import { faultlineAsNobody } from '../../wire/testing/unprivileged.js';
import { describeWire, wireSupport } from '../../wire/testing/wire-gate.js';
import { runCliCaptured } from '../testing/run-cli.js';

const cli = (args: string[]) => runCliCaptured(args, { cwd: process.cwd() });

describeWire('faultline wire', () => {
  it('probe says the wire layer is available, and how', async () => {
    const result = await cli(['wire', 'probe', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ available: true, missing: [], mode: wireSupport.mode });
  });

  it('cleanup finds nothing to remove when no run was killed', async () => {
    const result = await cli(['wire', 'cleanup', '--run', 'no-such-run']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^nothing to clean up/);
  });

  (wireSupport.mode === 'root' ? it : it.skip)('probe, as an unprivileged user, exits 3 and names what is missing', () => {
    requireBuild();
    const result = faultlineAsNobody(['wire', 'probe'], { cwd: '/' });
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('wire layer: unavailable');
    expect(result.stdout).toMatch(/missing: creating network namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN: run as root/);
  });

  it('doctor says what this machine supports, the wire layer included, and exits 0', async () => {
    const result = await cli(['doctor', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ node: process.version, wire: { available: true, mode: wireSupport.mode }, nsenter: true });
    const native = loadNativeTcpIo().io !== undefined;
    expect(JSON.parse(result.stdout).nativeTcpIo).toEqual(native ? { available: true } : { available: false, problem: loadNativeTcpIo().problem });
    const text = await cli(['doctor']);
    expect(text.stdout).toMatch(native ? /^native TCP forwarding: yes/m : /^native TCP forwarding: no, Node's sockets instead/m);
    expect(text.stdout).toMatch(/^wire layer: available; privileges: /m);
    expect(text.stdout).toContain('wire scenarios run here.');
  });

  (wireSupport.mode === 'root' ? it : it.skip)('doctor, as an unprivileged user, says the wire layer is unavailable and why, and that wire scenarios are skipped', () => {
    requireBuild();
    const result = faultlineAsNobody(['doctor'], { cwd: '/' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^wire layer: unavailable; privileges: none$/m);
    expect(result.stdout).toMatch(/missing: creating network namespaces needs CAP_NET_ADMIN/);
    expect(result.stdout).toContain("if_unavailable: skip");
  });
});
