/**
 * `faultline validate | list | schema` end to end: the built CLI as a child process on the
 * fixture files, checking exit codes and output. Needs `npm run build` first (`npm test` runs it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'faultline.js');
const VALID = 'fixtures/scenarios/valid';
const INVALID = 'fixtures/scenarios/invalid';
let scratch: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
  scratch = mkdtempSync(join(tmpdir(), 'faultline-validate-cli-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function faultline(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const MINIMAL = 'targets: { echo: { builtin: echo } }\nworkloads: { ping: { type: udp-echo, target: echo } }\n';

describe('faultline validate', () => {
  it('prints ok per valid file and exits 0', async () => {
    const { code, stdout, stderr } = await faultline(['validate', VALID]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      `ok  ${VALID}/address-and-upstream.yaml (1 scenario)`,
      `ok  ${VALID}/command-targets.yaml (1 scenario)`,
      `ok  ${VALID}/list-of-scenarios.yaml (2 scenarios)`,
      `ok  ${VALID}/multi-document.yaml (2 scenarios)`,
      `ok  ${VALID}/tcp-stream-bulk.yaml (1 scenario)`,
      `ok  ${VALID}/tcp-vs-udp-loss.yaml (1 scenario)`,
      `ok  ${VALID}/udp-stream-timeline.yaml (1 scenario)`,
      `ok  ${VALID}/wire-path.yaml (1 scenario)`,
    ]);
  });

  it('prints every problem of every file as file:line:col: path: message and exits 2', async () => {
    const { code, stdout, stderr } = await faultline(['validate', VALID, INVALID]);
    expect(code).toBe(2);
    const lines = stdout.trim().split('\n');
    const expected = readdirSync(join(ROOT, INVALID))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(ROOT, INVALID, f), 'utf8').match(/^# expect: /gm)!.length)
      .reduce((a, b) => a + b, 0);
    expect(lines.filter((l) => l.startsWith(`${INVALID}/`))).toHaveLength(expected);
    expect(lines.filter((l) => l.startsWith('ok  '))).toHaveLength(8);
    expect(lines).toContain(`${INVALID}/timeline.yaml:10:48: workloads.ping.duration: workload "ping" runs until 11000ms, past the scenario timeout (10000ms) (hint: raise the scenario timeout)`);
    expect(lines).toContain(`${INVALID}/duplicate-keys.yaml:8:55: duplicate key "messages": a key may appear only once in a map`);
    expect(lines).toContain(`${INVALID}/unknown-references.yaml:9:32: workloads.ping.via: unknown proxy "pth" (hint: did you mean "path"? proxies in this scenario: path)`);
    expect(stderr).toBe(`faultline: ${expected} problems in 12 of 20 files\n`);
  });

  it('defaults to scenarios/ and exits 2 with NOT_FOUND when it is missing', async () => {
    const dir = join(scratch, 'default');
    mkdirSync(join(dir, 'scenarios'), { recursive: true });
    writeFileSync(join(dir, 'scenarios', 'one.yaml'), MINIMAL);
    expect(await faultline(['validate'], dir)).toEqual({ code: 0, stdout: 'ok  scenarios/one.yaml (1 scenario)\n', stderr: '' });
    const missing = await faultline(['validate', 'nope.yaml'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('NOT_FOUND');
    expect(missing.stderr).toContain('no such file or directory: nope.yaml');
  });

  it('reports nesting too deep for the YAML parser as one problem, and still judges the other files', async () => {
    // Before: the parser overflowed the stack (exit 70) and no file got a verdict.
    const dir = join(scratch, 'deep');
    mkdirSync(dir, { recursive: true });
    const levels = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}a:\n`).join('');
    writeFileSync(join(dir, 'deep.yaml'), `name: deep\nzzz:\n${levels}${MINIMAL}`);
    writeFileSync(join(dir, 'fine.yaml'), `name: fine\n${MINIMAL}`);
    const { code, stdout, stderr } = await faultline(['validate', '.'], dir);
    expect(stderr).toBe('faultline: 1 problem in 1 of 2 files\n');
    expect(code).toBe(2);
    expect(stdout.trim().split('\n')).toEqual([
      'deep.yaml:65:65: nested more than 64 levels deep (hint: a scenario rarely needs more than 10; look for an indentation that keeps growing or brackets that are never closed)',
      'ok  fine.yaml (1 scenario)',
    ]);
  });

  it('prints one syntax error and a count for a stray bracket, not a line per token after it', async () => {
    const { code, stdout } = await faultline(['validate', `${INVALID}/stray-bracket.yaml`]);
    expect(code).toBe(2);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe(`${INVALID}/stray-bracket.yaml:11:98: Unexpected flow-seq-end token in YAML stream: "]"`);
    expect(lines[4]).toMatch(/: … and 59 more syntax errors up to line 21, often consequences of the first; the parser did not recover before the end of the document \(hint: fix the first error of the document and validate again\)$/);
  });

  it('flags a scenario name used in two files', async () => {
    const dir = join(scratch, 'dupes');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.yaml'), `name: same\n${MINIMAL}`);
    writeFileSync(join(dir, 'b.yaml'), `name: same\n${MINIMAL}`);
    const { code, stdout } = await faultline(['validate', '.'], dir);
    expect(code).toBe(2);
    expect(stdout).toContain(`b.yaml:1:1: name: scenario name "same" is also used in ${join(dir, 'a.yaml')}:1 (hint: scenario names must be unique within a run)`);
  });
});

describe('faultline list', () => {
  it('prints one line per scenario: name, tags, file:line, description', async () => {
    const { code, stdout } = await faultline(['list', VALID]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^running-redis\s+\[tcp, external\]\s+fixtures\/scenarios\/valid\/address-and-upstream\.yaml:5$/);
    expect(lines).toContainEqual(expect.stringMatching(/^udp-stream-timeline\s+\[udp, timeline, jitter\]\s+\S+udp-stream-timeline\.yaml:5\s+One-way datagrams to the sink/));
  });

  it('filters with --grep and --tag, and prints JSON with --json', async () => {
    const { code, stdout } = await faultline(['list', VALID, '--grep', '^latency', '--tag', 'loss,nothing', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        name: 'latency-50ms-with-loss',
        tags: ['latency', 'loss'],
        file: `${VALID}/list-of-scenarios.yaml`,
        line: 19,
        expect: 'pass',
        workloads: ['ping'],
      },
    ]);
    const tagged = await faultline(['list', VALID, '--tag', 'udp', '--tag', 'raw', '--json']);
    expect(JSON.parse(tagged.stdout).map((s: { name: string }) => s.name)).toEqual(['naive-server-breaks-under-slicing', 'udp-stream-timeline']);
  });

  it('lists what loaded, reports the rest on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await faultline(['list', `${VALID}/tcp-vs-udp-loss.yaml`, `${INVALID}/timeline.yaml`]);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^tcp-vs-udp-random-loss /);
    expect(stderr.trim().split('\n')).toHaveLength(6);
  });

  it('an invalid --grep exits 2', async () => {
    const { code, stderr } = await faultline(['list', VALID, '--grep', '(']);
    expect(code).toBe(2);
    expect(stderr).toContain('INVALID_ARGUMENT');
  });
});

describe('faultline schema', () => {
  it('prints the JSON Schema that scenarios/faultline.schema.json holds', async () => {
    const { code, stdout } = await faultline(['schema']);
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(join(ROOT, 'scenarios', 'faultline.schema.json'), 'utf8'));
    expect(JSON.parse(stdout).$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});
