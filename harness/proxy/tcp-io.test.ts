/**
 * Choosing the TCP I/O (tcp-io.ts), and what happens where the native addon is missing: the
 * proxy forwards through JavaScript as before and says so once per process, however many TCP
 * proxies it runs. "Missing" is real here: the built proxy modules are copied to a directory where
 * no addon can be found, and run in a child process.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { jsTcpIo } from './tcp-io.js';
import { chooseTcpIo } from './tcp-io-choice.js';
import { loadNativeTcpIo } from './tcp-io-native.js';

describe('choosing the TCP I/O', () => {
  it('FAULTLINE_TCP_IO: js, native, auto; anything else is a clear error', () => {
    expect(chooseTcpIo('js').io).toBe(jsTcpIo);
    const native = loadNativeTcpIo();
    expect(chooseTcpIo(undefined).io.kind).toBe(native.io ? 'native' : 'js');
    expect(chooseTcpIo('auto').io.kind).toBe(native.io ? 'native' : 'js');
    if (native.io) expect(chooseTcpIo('native').io).toBe(native.io);
    expect(() => chooseTcpIo('turbo')).toThrow(FaultlineError);
    expect(() => chooseTcpIo('turbo')).toThrow('FAULTLINE_TCP_IO="turbo" is not one of native, js, auto');
  });
});

const dist = fileURLToPath(new URL('../../dist', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'faultline-no-addon-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

/** Two TCP proxies in a process that cannot find the addon: each echoes; the log lines come back. */
const script = `
import { createServer, connect } from 'node:net';
const { createEmbeddedProxy } = await import(process.argv[1] + '/proxy/embedded-proxy.js');
const echo = createServer((s) => s.pipe(s));
await new Promise((r) => echo.listen(0, '127.0.0.1', r));
const logs = [];
const proxy = createEmbeddedProxy({ log: (e) => logs.push((e.level ?? 'info') + ': ' + e.message) });
const echoed = [];
for (const name of ['a', 'b']) {
  const { listen } = await proxy.createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:' + echo.address().port });
  const socket = connect({ host: '127.0.0.1', port: Number(listen.split(':')[1]) });
  socket.end('hello ' + name);
  let got = '';
  socket.on('data', (d) => (got += d));
  await new Promise((r) => socket.on('end', r));
  socket.destroy();
  echoed.push(got);
}
await proxy.close();
echo.close();
console.log(JSON.stringify({ logs, echoed }));
`;

describe.runIf(existsSync(join(dist, 'proxy', 'embedded-proxy.js')) && process.platform === 'linux')('without the native addon', () => {
  for (const layer of ['core', 'toxics', 'proxy']) cpSync(join(dist, layer), join(copy, layer), { recursive: true });

  function run(env: Record<string, string> = {}) {
    return spawnSync(process.execPath, ['--input-type=module', '-e', script, copy], { encoding: 'utf8', env: { ...process.env, FAULTLINE_TCP_IO: '', ...env }, timeout: 20_000 });
  }

  it('TCP forwards through JavaScript, unchanged, and says so once', () => {
    const result = run();
    expect(result.status, result.stderr).toBe(0);
    const { logs, echoed } = JSON.parse(result.stdout) as { logs: string[]; echoed: string[] };
    expect(echoed).toEqual(['hello a', 'hello b']);
    const said = logs.filter((line) => line.includes('native TCP forwarding unavailable'));
    expect(said).toEqual([
      'warn: native TCP forwarding unavailable: it was not built (see the install output of native/build.mjs); TCP forwards every byte through JavaScript (slower, same behaviour)',
    ]);
    expect(logs.filter((line) => line.includes('(tcp, js I/O)'))).toHaveLength(2);
  });

  it('FAULTLINE_TCP_IO=native refuses to run without it, and says how to fix it', () => {
    const result = run({ FAULTLINE_TCP_IO: 'native' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('FAULTLINE_TCP_IO=native, but the native addon is not available: it was not built');
  });
});

/**
 * Closed connections leave nothing behind on either I/O. The native pair once kept its event
 * handler strongly, and the handler's closure kept the pair: ~14 KiB of JavaScript heap per
 * connection, for ever (the soak benchmark found it). Measured in a child with `--expose-gc`: the
 * heap after a full collection, after 300 connections and again after 3,000 more.
 */
const churn = `
import { createServer, connect } from 'node:net';
const { createEmbeddedProxy } = await import(process.argv[1] + '/proxy/embedded-proxy.js');
const echo = createServer((s) => s.pipe(s));
await new Promise((r) => echo.listen(0, '127.0.0.1', r));
const proxy = createEmbeddedProxy({ seed: 1 });
const { listen } = await proxy.createProxy({ name: 'churn', listen: '127.0.0.1:0', upstream: '127.0.0.1:' + echo.address().port });
const port = Number(listen.split(':')[1]);
const once = () => new Promise((resolve, reject) => {
  const socket = connect({ host: '127.0.0.1', port }, () => socket.end(Buffer.alloc(64)));
  socket.on('error', reject).on('close', resolve).resume();
});
const heapAfter = async (connections) => {
  for (let i = 0; i < connections; i += 10) await Promise.all(Array.from({ length: 10 }, once));
  for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
  return process.memoryUsage().heapUsed;
};
const before = await heapAfter(300);
const after = await heapAfter(3000);
await proxy.close();
echo.close();
console.log(JSON.stringify({ before, after }));
`;

describe.runIf(existsSync(join(dist, 'proxy', 'embedded-proxy.js')))('closed connections', () => {
  const ios = loadNativeTcpIo().io ? ['js', 'native'] : ['js'];
  it.each(ios)('leave no memory behind (%s I/O)', (io) => {
    const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', churn, dist], {
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_TCP_IO: io },
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const { before, after } = JSON.parse(result.stdout) as { before: number; after: number };
    // A leak of 14 KiB per connection would be 40 MiB here; noise is well under 2 MiB.
    expect((after - before) / 2 ** 20).toBeLessThan(4);
  }, 70_000);
});
