import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { loadScenarioFiles } from './load-files.js';
import { loadScenarioFile, loadScenarioText } from './load.js';
import type { ScenarioSpec } from './spec.js';
import type { TcpRawSpec } from '../workload/tcp-raw.js';
import type { UdpRawSpec } from '../workload/udp-raw.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));
const FILE = resolve(FIXTURES, 'valid', 'inline.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'faultline-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Loads YAML as if it were fixtures/scenarios/valid/inline.yaml (one scenario expected). */
function load(text: string, file = FILE): ScenarioSpec {
  const specs = loadScenarioText(text, file);
  expect(specs).toHaveLength(1);
  return specs[0]!;
}

/** The FaultlineError `load` throws (fails the test if it returns or throws anything else). */
function thrown(load: () => unknown): FaultlineError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(FaultlineError);
    return error as FaultlineError;
  }
  throw new Error('expected the scenario to be rejected');
}

function problems(text: string, file = FILE): Array<{ at: string; message: string; hint?: string }> {
  const e = thrown(() => loadScenarioText(text, file));
  expect(e.problems.length).toBeGreaterThan(0);
  return e.problems.map((p) => ({ at: `${p.line}:${p.column} ${p.path ?? ''}`.trim(), message: p.message, ...(p.hint ? { hint: p.hint } : {}) }));
}

const MINIMAL = `
targets: { echo: { builtin: echo } }
workloads: { ping: { type: udp-echo, target: echo } }
`;

describe('invalid fixtures report every problem at its exact position', () => {
  const dir = join(FIXTURES, 'invalid');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    it(name, () => {
      const file = join(dir, name);
      const text = readFileSync(file, 'utf8');
      const expected = [...text.matchAll(/^# expect: (.+)$/gm)].map((m) => m[1]!);
      const code = /^# expect-code: (\w+)$/m.exec(text)?.[1] ?? 'INVALID_INPUT';
      expect(expected.length).toBeGreaterThan(0);
      const e = thrown(() => loadScenarioFile(file));
      expect(e.code).toBe(code);
      expect(e.exitCode).toBe(2);
      expect(e.problems.map((p) => `${p.line}:${p.column} ${p.path ?? ''}`.trim())).toEqual(expected);
      for (const p of e.problems) {
        expect(p.file).toBe(file);
        expect(p.message.length).toBeGreaterThan(10);
      }
    });
  }

  it('many-problems.yaml reports all 50 problems in one error, in document order', () => {
    const error = thrown(() => loadScenarioFile(join(dir, 'many-problems.yaml')));
    expect(error.problems).toHaveLength(50);
    expect(error.message).toMatch(/has 50 problems; first: .*many-problems\.yaml:4:7: name: expected a scenario name/);
    const lines = error.problems.map((p) => p.line!);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });
});

describe('defaults and units', () => {
  it('fills every default', () => {
    const spec = load(`
targets: { echo: { builtin: echo } }
proxies: { u: { protocol: udp, target: echo }, t: { target: echo } }
workloads:
  ping: { type: udp-echo, via: u }
  tcp: { type: tcp-echo, via: t }
`);
    expect(spec).toMatchObject({ name: 'inline', tags: [], timeoutMs: 60_000, expect: 'pass', ifUnavailable: 'error', faults: [], assertions: [], file: FILE });
    expect(spec.seed).toBeUndefined();
    expect(spec.compare).toBeUndefined();
    expect(spec.where).toEqual({ file: FILE, line: 2, column: 1 });
    expect(spec.proxies).toEqual([
      { layer: 'proxy', name: 'u', protocol: 'udp', listen: '127.0.0.1:0', target: 'echo', sessionIdleTimeoutMs: 60_000, where: expect.objectContaining({ line: 3 }) },
      { layer: 'proxy', name: 't', protocol: 'tcp', listen: '127.0.0.1:0', target: 'echo', where: expect.objectContaining({ line: 3 }) },
    ]);
    expect(spec.workloads[0]).toEqual({
      spec: { type: 'udp-echo', name: 'ping', startMs: 0, messages: 100, size: 64, rate: 'max', connections: 1, timeoutMs: 2000, connectTimeoutMs: 2000 },
      via: 'u',
      where: expect.objectContaining({ line: 5, column: 9, path: 'workloads.ping' }),
    });
  });

  it('converts durations, sizes and rates', () => {
    const spec = load(`
timeout: 1.5m
seed: 4294967295
targets: { sink: { builtin: sink } }
workloads:
  a: { type: tcp-stream, target: sink, bytes: 1.5MiB, rate: 10MB/s, size: 64KiB, start: 500us, timeout: 250ms, connect_timeout: 1s }
  b: { type: udp-stream, target: sink, duration: 2s, rate: 2.5/s, size: { min: 1KB, max: 2KiB } }
  c: { type: tcp-stream, target: sink, messages: 7, rate: 100 / s, size: "512" }
`);
    expect(spec.timeoutMs).toBe(90_000);
    expect(spec.seed).toBe(4_294_967_295);
    const [a, b, c] = spec.workloads.map((w) => w.spec);
    expect(a).toMatchObject({ bytes: 1_572_864, rate: 'max', rateBytesPerSec: 10_000_000, size: 65_536, startMs: 0.5, timeoutMs: 250, connectTimeoutMs: 1000 });
    expect(a!.messages).toBeUndefined();
    expect(b).toMatchObject({ durationMs: 2000, rate: 2.5, size: { min: 1000, max: 2048 } });
    expect(b!.messages).toBeUndefined();
    expect(c).toMatchObject({ messages: 7, rate: 100, size: 512 });
  });

  it('names a scenario after its file, and refuses a file name that is not a valid name', () => {
    expect(load(MINIMAL, '/tmp/some-dir/udp.loss.yml').name).toBe('udp.loss');
    expect(problems(MINIMAL, '/tmp/my scenario.yaml')).toEqual([
      { at: '2:1 name', message: 'the scenario has no name, and its file name "my scenario" is not a scenario name of letters, digits, -, _ and .', hint: 'add a name: key' },
    ]);
  });
});

describe('targets', () => {
  it('resolves command, builtin and address targets', () => {
    const spec = load(`
targets:
  app:
    command: ./server --port {tcp_port} --greeting "hello world" 'it''s'
    cwd: ..
    env: { PORT: 80, DEBUG: true, NAME: x }
    tcp: auto
    udp: 5300
    ready_timeout: 3s
  listener:
    command: [node, server.js, "{udp_port}"]
    udp: auto
    ready: { stdout: 'port (?<port>\\d+)' }
  redis: { address: localhost, tcp: 6379 }
  v6: { address: '[::1]', udp: 53 }
  sink: { builtin: sink }
workloads: { w: { type: udp-stream, target: sink } }
`);
    const [app, listener, redis, v6, sink] = spec.targets;
    expect(app).toEqual({
      name: 'app',
      kind: 'command',
      argv: ['./server', '--port', '{tcp_port}', '--greeting', 'hello world', 'its'],
      cwd: resolve(FIXTURES),
      env: { PORT: '80', DEBUG: 'true', NAME: 'x' },
      tcp: 'auto',
      udp: 5300,
      ready: { kind: 'tcp' },
      readyTimeoutMs: 3000,
    });
    expect(listener).toMatchObject({ argv: ['node', 'server.js', '{udp_port}'], cwd: join(FIXTURES, 'valid'), udp: 'auto', readyTimeoutMs: 10_000 });
    expect(listener!.kind === 'command' && listener!.ready.kind === 'stdout' && listener!.ready.pattern.exec('port 4242')?.groups?.port).toBe('4242');
    expect(redis).toEqual({ name: 'redis', kind: 'address', host: '127.0.0.1', tcp: 6379 });
    expect(v6).toEqual({ name: 'v6', kind: 'address', host: '::1', udp: 53 });
    expect(sink).toEqual({ name: 'sink', kind: 'builtin', server: 'sink' });
  });

  it('explains target mistakes', () => {
    expect(
      problems(`
targets:
  a: { command: srv, udp: auto, ready: { udp: true } }
  b: { command: srv, tcp: 1, udp: 2, ready: { stdout: '(?<port>\\d+)' } }   # fine: the port group sets the TCP port
  c: { command: [], tcp: auto, cwd: no-such-dir }
  d: { command: "srv 'open", tcp: auto }
  e: { address: h, tcp: auto }
  f: { command: srv }
  g: {}
workloads: { w: { type: udp-echo, target: a } }
`),
    ).toEqual([
      { at: '3:40 targets.a.ready', message: 'expected { tcp: true } or { stdout: REGEX }' },
      { at: '3:42 targets.a.ready.udp', message: expect.stringContaining('ready: { udp: true } is not possible') },
      { at: '5:17 targets.c.command', message: 'expected the program and its arguments, got an empty list' },
      { at: '5:37 targets.c.cwd', message: `directory ${join(FIXTURES, 'valid', 'no-such-dir')} does not exist`, hint: 'cwd is relative to the scenario file' },
      { at: '6:17 targets.d.command', message: "cannot split the command: unterminated ' quote starting at character 5", hint: 'or give the arguments as a list' },
      { at: '7:25 targets.e.tcp', message: 'auto applies to command targets only: give the port this server listens on' },
      { at: '8:6 targets.f', message: 'command target "f" must say which port it serves: tcp and/or udp (a port number, or auto)', hint: 'e.g. tcp: auto, and {tcp_port} in the command' },
      { at: '9:6 targets.g', message: 'target "g" needs exactly one of builtin, command, address', hint: expect.any(String) },
    ]);
  });
});

describe('workloads', () => {
  it('loads raw requests: text, hex and files; every expectation and framing', () => {
    writeFileSync(join(scratch, 'req.bin'), Buffer.from([1, 2, 3]));
    const spec = load(
      `
targets: { app: { address: 127.0.0.1, tcp: 7, udp: 7 } }
workloads:
  t:
    type: tcp-raw
    target: app
    repeat: 3
    framing: { idle: 200ms }
    requests:
      - { send: "A\\n", expect: "B\\n" }
      - { send_hex: "01 ff", expect_hex: "02", }
      - { send_file: req.bin, expect_prefix: "OK" }
      - { send: x, expect_regex: '^\\d+$' }
      - { send: y }
  l: { type: tcp-raw, target: app, requests: [{ send: a }], framing: { length: 1KiB } }
  p: { type: tcp-raw, target: app, requests: [{ send: a }], framing: { length_prefix: 4 } }
  u: { type: udp-raw, target: app, duration: 1s, requests: [{ send: a }] }
`,
      join(scratch, 'raw.yaml'),
    );
    const [t, l, p, u] = spec.workloads.map((w) => w.spec) as [TcpRawSpec, TcpRawSpec, TcpRawSpec, UdpRawSpec];
    expect([t.type, u.type]).toEqual(['tcp-raw', 'udp-raw']);
    expect(t!.repeat).toBe(3);
    expect(t!.framing).toEqual({ kind: 'idle', ms: 200 });
    expect(t!.requests.map((r) => [r.send, r.source])).toEqual([
      [Buffer.from('A\n'), 'send: "A\\n"'],
      [Buffer.from([1, 255]), 'send_hex: "01 ff"'],
      [Buffer.from([1, 2, 3]), 'send_file: "req.bin"'],
      [Buffer.from('x'), 'send: "x"'],
      [Buffer.from('y'), 'send: "y"'],
    ]);
    expect(t!.requests.map((r) => r.expect)).toEqual([
      { kind: 'exact', bytes: Buffer.from('B\n') },
      { kind: 'exact', bytes: Buffer.from([2]) },
      { kind: 'prefix', bytes: Buffer.from('OK') },
      { kind: 'regex', pattern: /^\d+$/ },
      undefined,
    ]);
    expect(l).toMatchObject({ framing: { kind: 'length', bytes: 1024 }, repeat: 1 });
    expect(p).toMatchObject({ framing: { kind: 'length_prefix', bytes: 4 } });
    expect(u).toMatchObject({ durationMs: 1000, repeat: 1 });
    expect('framing' in u!).toBe(false);
  });

  it('keeps sizes inside what one frame or datagram can carry', () => {
    expect(
      problems(`
targets: { echo: { builtin: echo } }
workloads:
  u: { type: udp-echo, target: echo, size: 65468 }
  t: { type: tcp-echo, target: echo, size: 17MB }
  r: { type: udp-raw, target: echo, requests: [{ send_hex: "${'00'.repeat(65_508)}" }] }
`).map((p) => [p.at, p.message]),
    ).toEqual([
      ['4:44 workloads.u.size', 'a UDP datagram carries at most 65467 payload bytes (65507 less the 40-byte frame header), got a size of 65468'],
      ['5:44 workloads.t.size', 'a message carries at most 16777216 bytes (16 MiB), got a size of 17000000'],
      ['6:60 workloads.r.requests[0].send_hex', 'a UDP datagram carries at most 65507 bytes, this request is 65508'],
    ]);
  });

  it('refuses byte rates outside tcp-stream and bare numbers anywhere', () => {
    expect(
      problems(`
targets: { echo: { builtin: echo } }
workloads:
  u: { type: udp-echo, target: echo, rate: 1MB/s }
  t: { type: tcp-echo, target: echo, rate: 0/s, messages: 1.5 }
`),
    ).toEqual([
      { at: '4:44 workloads.u.rate', message: 'a byte rate applies to tcp-stream workloads only; udp-echo takes messages per second, e.g. 100/s' },
      { at: '5:44 workloads.t.rate', message: 'expected max, a message rate such as 100/s, or a byte rate such as 10MB/s (above 0), got "0/s" (a string)' },
      { at: '5:59 workloads.t.messages', message: 'expected an integer, got 1.5' },
    ]);
  });
});

describe('faults', () => {
  it('resolves a toxic once per protocol, with that protocol’s defaults', () => {
    const spec = load(`
targets: { echo: { builtin: echo } }
proxies: { t: { target: echo }, u: { protocol: udp, target: echo } }
workloads: { w: { type: udp-echo, via: u } }
faults:
  - proxy: [t, u]
    toxic: { name: drop, type: loss, stream: upstream, toxicity: 0.5, attributes: { probability: 0.25 } }
    at: 1s
    for: 2s
  - { proxy: u, down: true, at: 3s }
`);
    const [toxic, down] = spec.faults;
    expect(toxic).toMatchObject({ id: 'faults[0]', kind: 'toxic', proxies: ['t', 'u'], atMs: 1000, forMs: 2000, where: { line: 6, column: 5, path: 'faults[0]' } });
    if (toxic!.kind !== 'toxic') throw new Error('not a toxic');
    const [onTcp, onUdp] = toxic!.toxics;
    expect(onTcp).toMatchObject({ proxy: 't', toxic: { name: 'drop', type: 'loss', stream: 'upstream', toxicity: 0.5 } });
    expect(onTcp!.toxic.attributes).toMatchObject({ probability: 0.25, mss: expect.any(Number) });
    expect(onUdp).toEqual({ proxy: 'u', toxic: { name: 'drop', type: 'loss', stream: 'upstream', toxicity: 0.5, attributes: { probability: 0.25, burst: 1 } } });
    expect(down).toEqual({ id: 'faults[1]', kind: 'down', proxies: ['u'], atMs: 3000, where: expect.objectContaining({ line: 10 }) });
  });

  it('suggests the toxic type a misspelt one was probably meant to be, at the type', () => {
    expect(
      problems(`
targets: { echo: { builtin: echo } }
proxies: { u: { protocol: udp, target: echo } }
workloads: { w: { type: udp-echo, via: u } }
faults:
  - { proxy: u, toxic: { type: duplicat } }
`),
    ).toEqual([
      {
        at: '6:32 faults[0].toxic.type',
        message: 'on proxy "u" (UDP): invalid toxic type: "duplicat"; UDP proxies support noop, latency, loss, reorder, duplicate, corrupt, bandwidth, timeout, limit_data',
        hint: 'did you mean "duplicate"?',
      },
    ]);
  });

  it('allows the same toxic name on one proxy when the times do not overlap, or on different proxies', () => {
    const spec = load(`
targets: { echo: { builtin: echo } }
proxies: { a: { protocol: udp, target: echo }, b: { protocol: udp, target: echo } }
workloads: { w: { type: udp-echo, via: a } }
faults:
  - { proxy: a, toxic: { type: latency }, at: 0s, for: 1s }
  - { proxy: a, toxic: { type: latency }, at: 1s, for: 1s }
  - { proxy: b, toxic: { type: latency } }
  - { proxy: a, toxic: { type: latency, stream: upstream } }
`);
    expect(spec.faults).toHaveLength(4);
  });
});

describe('assertions', () => {
  it('parses every check and locates each (map-form checks at their key)', () => {
    const spec = load(`
targets: { echo: { builtin: echo } }
workloads: { u: { type: udp-echo, target: echo }, t: { type: tcp-echo, target: echo } }
assert:
  u:
    - lost_ratio ~ configured
    - { rtt_ms: [p(99) < 1s, max < 2s], jitter_ms: "< 5" }
  t: [delivered, "errors{code=ECONNRESET} == 0"]
compare: [u, t]
`);
    expect(spec.compare).toEqual(['u', 't']);
    expect(spec.assertions.map((a) => [a.workload, a.check.metric, a.check.value, `${a.where.line}:${a.where.column} ${a.where.path}`])).toEqual([
      ['u', 'lost_ratio', 'configured', '6:7 assert.u[0]'],
      ['u', 'rtt_ms', 1000, '7:17 assert.u[1].rtt_ms'],
      ['u', 'rtt_ms', 2000, '7:17 assert.u[1].rtt_ms'],
      ['u', 'jitter_ms', 5, '7:52 assert.u[1].jitter_ms'],
      ['t', 'delivered_ratio', 1, '8:7 assert.t[0]'],
      ['t', 'errors_total', 0, '8:18 assert.t[1]'],
    ]);
  });
});

describe('file shapes', () => {
  it('loads a list of scenarios and a stream of documents, with anchors and merge keys', () => {
    const list = loadScenarioText(
      `
- name: one
  targets: &t { echo: { builtin: echo } }
  workloads: { w: &w { type: udp-echo, target: echo, messages: 5 } }
- name: two
  targets: *t
  workloads: { w: { <<: *w, messages: 6 } }
`,
      FILE,
    );
    expect(list.map((s) => [s.name, s.workloads[0]!.spec.messages])).toEqual([
      ['one', 5],
      ['two', 6],
    ]);
    expect(list[1]!.where).toMatchObject({ line: 5, column: 3 });
    const stream = loadScenarioText(`name: a${MINIMAL}---\nname: b${MINIMAL}`, FILE);
    expect(stream.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('reports recursive aliases and alias bombs instead of expanding them', () => {
    expect(
      problems(`${MINIMAL}
faults:
  - proxy: p
    toxic: &x { type: latency, attributes: { latency: *x } }
proxies: { p: { protocol: udp, target: echo } }
`),
    ).toEqual([{ at: '7:15 faults[0].toxic', message: 'an alias refers to a value that contains it (a recursive structure)' }]);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)];
    const start = performance.now();
    const found = problems(`${MINIMAL}
${bomb.map((l) => `x_${l}`).join('\n')}
assert:
  ping:
    - { rtt_ms: *h }
`.replace(/x_(\w): &(\w)/g, '$1: &$2'));
    expect(performance.now() - start).toBeLessThan(2000);
    expect(found.map((p) => p.message)).toContain('too many values (more than 100000), probably an alias bomb');
  });

  it('never takes a forgotten value for a default: nulls are errors, except for empty optional sections', () => {
    expect(load(`${MINIMAL}proxies:\nfaults:\nassert:\ntags:\ndescription:\n`).proxies).toEqual([]);
    expect(
      problems(`
targets: { echo: { builtin: echo } }
workloads:
  a: { type: udp-echo, target: echo, size: , rate: }
  b:
faults:
  -
compare: [a, ]
`).map((p) => `${p.at}: ${p.message}`),
    ).toEqual([
      '4:38 workloads.a.size: expected a size in bytes: a number, or 512B, 64KB, 10MB, 1GB, 64KiB, 1MiB (whole bytes), got nothing (null)',
      '4:46 workloads.a.rate: expected max, a message rate such as 100/s, or a byte rate such as 10MB/s (above 0), got nothing (null)',
      '5:3 workloads.b: expected a workload, e.g. { type: udp-echo, via: udp_path }, got nothing (null)',
      '7:4 faults[0]: expected a fault: { proxy: NAME, toxic: {…} } or { proxy: NAME, down: true }, got nothing (null)',
      '8:10 compare: compare needs at least two workloads, got 1',
    ]);
  });

  it('treats __proto__ as an ordinary (unknown) key', () => {
    expect(problems(`${MINIMAL}__proto__: { polluted: true }\n`)).toEqual([
      { at: '4:1 __proto__', message: 'unknown key "__proto__" in a scenario', hint: expect.stringContaining('a scenario takes:') },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('limits and one message per mistake', () => {
  it('refuses nesting deeper than 64 levels before the parser recurses into it', () => {
    // 2,000 levels of block maps made the YAML parser itself overflow the stack (a RangeError,
    // exit 70) when the file went on after them.
    const block = `zzz:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i + 1)}a:\n`).join('')}${MINIMAL}`;
    const flow = `zzz: ${'['.repeat(100_000)}\n${MINIMAL}`;
    const compact = `zzz: ${'- '.repeat(10_000)}x\n${MINIMAL}`;
    for (const [text, at] of [
      [block, '64:65'],
      [flow, '1:68'],
      [compact, '1:130'],
    ] as const) {
      const e = thrown(() => loadScenarioText(text, FILE));
      expect(e.code).toBe('PARSE_ERROR');
      expect(e.problems).toEqual([expect.objectContaining({ message: 'nested more than 64 levels deep' })]);
      expect(`${e.problems[0]!.line}:${e.problems[0]!.column}`).toBe(at);
    }
    // 63 levels load (as far as YAML goes: the extra key is a schema problem).
    const deepest = `zzz:\n${Array.from({ length: 62 }, (_, i) => `${'  '.repeat(i + 1)}a:\n`).join('')}${MINIMAL}`;
    expect(problems(deepest)).toEqual([expect.objectContaining({ at: '1:1 zzz', message: 'unknown key "zzz" in a scenario' })]);
  });

  it('refuses more than 1000 aliases, and merge chains deeper than 64', () => {
    const chain = (n: number) => `tags:\n  - &a0 { echo: { builtin: echo } }\n${Array.from({ length: n - 1 }, (_, i) => `  - &a${i + 1} { <<: *a${i} }\n`).join('')}targets: *a${n - 1}\nworkloads: { ping: { type: udp-echo, target: echo } }\n`;
    const many = thrown(() => loadScenarioText(chain(5000), FILE));
    expect(many.code).toBe('PARSE_ERROR');
    expect(many.problems.map((p) => p.message)).toEqual(['more than 1000 aliases in one file']);
    const found = problems(chain(100)).map((p) => p.message);
    expect(found).toContain('<< merge keys chained more than 64 deep');
  });

  it('reports the first syntax error of each document, three follow-ons and a count of the rest', () => {
    const broken = `name: a\ntargets: { echo: { builtin: echo } } ]\n${'workloads:\n  ping: { type: udp-echo, target: echo }\n'.repeat(5)}`;
    const found = problems(`${broken}---\n${broken.replace('name: a', 'name: b')}`);
    expect(found.map((p) => p.at)).toEqual(['2:38', '3:1', '3:10', '4:3', '4:7', '15:38', '16:1', '16:10', '17:3', '17:7']);
    expect(found[0]!.message).toBe('Unexpected flow-seq-end token in YAML stream: "]"');
    // The second document is parsed afresh: its mistake is reported on its own.
    expect(found[4]!.message).toBe('… and 62 more syntax errors up to line 12, often consequences of the first; the parser did not recover before the end of the document');
    expect(found[9]!.message).toBe('… and 62 more syntax errors up to line 25, often consequences of the first; the parser did not recover before the end of the document');
    // Over-indented keys: eight errors, then the rest of the document parses again.
    const indented = problems(`name: x\nseed: 1\n  tags: 2\n  a: 3\n  b: 4\n  c: 5\n${MINIMAL}`);
    expect(indented).toHaveLength(5);
    expect(indented[4]!.message).toBe('… and 4 more syntax errors up to line 5, often consequences of the first; the parser recovered after line 5');
  });

  it('still lists every duplicate key: each is a mistake of its own', () => {
    const keys = Array.from({ length: 8 }, (_, i) => `  k${i}: 1\n  k${i}: 2\n`).join('');
    const found = problems(`name: dups\nenv_like:\n${keys}${MINIMAL}`);
    expect(found.filter((p) => p.message.startsWith('duplicate key'))).toHaveLength(8);
  });
});

describe('files', () => {
  it('NOT_FOUND for a missing file, INVALID_ARGUMENT for a directory', () => {
    expect(() => loadScenarioFile(join(scratch, 'nope.yaml'))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => loadScenarioFile(scratch)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('loadScenarioFiles keeps going past a bad file and flags names used in two files', () => {
    const a = join(scratch, 'a.yaml');
    const b = join(scratch, 'b.yaml');
    const c = join(scratch, 'c.yaml');
    writeFileSync(a, `name: same${MINIMAL}`);
    writeFileSync(b, `name: bad${MINIMAL}bogus: 1\n`);
    writeFileSync(c, `name: same${MINIMAL}`);
    const loaded = loadScenarioFiles([a, b, c]);
    expect(loaded.files.map((f) => [f.file, f.specs?.length, f.error?.code])).toEqual([
      [a, 1, undefined],
      [b, undefined, 'INVALID_INPUT'],
      [c, 1, undefined],
    ]);
    expect(loaded.specs.map((s) => s.file)).toEqual([a, c]);
    expect(loaded.duplicateNames).toEqual([
      { file: c, line: 1, column: 1, path: 'name', message: `scenario name "same" is also used in ${a}:1`, hint: 'scenario names must be unique within a run' },
    ]);
  });
});

describe('{proxy:NAME} in a command target', () => {
  const scenario = (targets: string, proxies = 'dep: { protocol: tcp, target: echo }') => `
targets:
${targets}
proxies: { ${proxies} }
workloads: { w: { type: tcp-echo, target: app } }
`;
  const app = (command: string) => `  app: { command: "${command}", tcp: auto }`;
  const echo = '  echo: { builtin: echo }';

  it('takes a proxy whose target is listed earlier', () => {
    const spec = load(scenario(`${echo}\n${app('client --upstream {proxy:dep}')}`));
    expect(spec.targets[1]).toMatchObject({ argv: ['client', '--upstream', '{proxy:dep}'] });
  });

  it('refuses an unknown proxy, its own proxy, and a proxy whose target starts later', () => {
    expect(problems(scenario(`${echo}\n${app('client {proxy:dpe}')}`))).toEqual([
      { at: '4:19 targets.app.command', message: '{proxy:dpe} names no proxy', hint: 'proxies in this scenario: dep' },
    ]);
    expect(problems(scenario(`${echo}\n${app('client {proxy:dep}')}`, 'dep: { protocol: tcp, target: app }'))[0]!.message).toBe(
      '{proxy:dep}: proxy "dep" forwards to target "app" itself, which cannot know the proxy\'s address before it starts',
    );
    expect(problems(scenario(`${app('client {proxy:dep}')}\n${echo}`))).toEqual([
      {
        at: '3:19 targets.app.command',
        message: '{proxy:dep}: proxy "dep" forwards to target "echo", which is listed after "app"',
        hint: 'list "echo" before "app" in targets: they start in order, and the proxy is created in between',
      },
    ]);
  });

  it('refuses a wire path (no address of its own), and a proxy named from inside a wire path (out of reach)', () => {
    const wired = (proxies: string) => `
targets:
${echo}
${app('client {proxy:dep}')}
proxies: { ${proxies} }
workloads: { w: { type: tcp-echo, via: net } }
`;
    expect(problems(wired('dep: { layer: wire, target: echo }, net: { protocol: tcp, target: app }'))).toEqual([
      {
        at: '4:19 targets.app.command',
        message: '{proxy:dep}: "dep" is a wire path, which has no listen address to put in a command',
        hint: 'a wire path is the route to its target; name a proxy (protocol: tcp or udp) here',
      },
    ]);
    expect(problems(wired('dep: { protocol: tcp, target: echo }, net: { layer: wire, target: app }'))).toEqual([
      {
        at: '4:19 targets.app.command',
        message: '{proxy:dep}: target "app" runs inside wire path "net", where proxy "dep" (on this machine\'s loopback) cannot be reached',
        hint: 'put what "app" calls on the same side, or give "app" a proxy instead of a wire path',
      },
    ]);
  });
});

describe('wire paths', () => {
  it('load with the target behind them, packet-matched faults and a partition', () => {
    const [spec] = loadScenarioFile(join(FIXTURES, 'valid', 'wire-path.yaml'));
    expect(spec!.ifUnavailable).toBe('skip');
    expect(spec!.proxies).toEqual([{ layer: 'wire', name: 'path', target: 'app', mtu: 1400, where: expect.objectContaining({ path: 'proxies.path' }) }]);
    expect(spec!.workloads.map((w) => ('via' in w ? w.via : undefined))).toEqual(['path', 'path']);
    const [loss, delay, down] = spec!.faults;
    expect(loss).toMatchObject({ kind: 'toxic', toxics: [{ proxy: 'path', toxic: { name: 'loss_upstream', type: 'loss', stream: 'upstream', toxicity: 1, attributes: { probability: 0.05, burst: 2 } } }] });
    expect(loss!.kind === 'toxic' && loss!.toxics[0]!.match).toBeUndefined();
    expect(delay).toMatchObject({ kind: 'toxic', toxics: [{ proxy: 'path', toxic: { name: 'udp_delay', attributes: { latency: 10, jitter: 0, allow_reorder: 0 } }, match: { protocol: 'udp', port: 5353 } }] });
    expect(down).toMatchObject({ kind: 'down', proxies: ['path'], atMs: 1000, forMs: 200 });
  });

  it('default to the proxy layer, an MTU of 1500 and if_unavailable: error', () => {
    const spec = load(`
targets: { echo: { builtin: echo } }
proxies: { path: { layer: wire, target: echo }, plain: { layer: proxy, protocol: udp, upstream: 127.0.0.1:9 } }
workloads: { ping: { type: udp-echo, via: path } }
`);
    expect(spec.ifUnavailable).toBe('error');
    expect(spec.proxies.map((p) => (p.layer === 'wire' ? `${p.name} wire ${p.mtu}` : `${p.name} ${p.layer} ${p.protocol}`))).toEqual(['path wire 1500', 'plain proxy udp']);
  });
});
