/**
 * The package as users get it, from the outside: `npm pack` (once for the file), installed from
 * the tarball into a fresh project (offline: dependencies come from the npm cache), then
 *
 *  - its contents: what users need and nothing else (no test support, no tests, no build
 *    leftovers), and every server the built-in scenarios start;
 *  - its size, as docs/api.md states it;
 *  - every example of docs/api.md (a ```ts block whose first line is `// example: FILE`),
 *    type-checked under strict settings against the installed declarations and run: plain files
 *    with node, `*.test.ts` with node:test or Vitest;
 *  - the CLI from the installed package, on its built-in scenarios.
 *
 * The project's own dev tools — TypeScript, @types/node, Vitest — are this repository's, linked
 * in as a user's would be installed; only faultline comes from the tarball.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripAnsi } from '../report/escape.js';
import { requireBuild, ROOT, scratchDir } from './e2e-cli.js';

const run = promisify(execFile);

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string }>;
}

/** The examples of docs/api.md: file name → code. */
function docExamples(markdown: string): Map<string, string> {
  const examples = new Map<string, string>();
  for (const match of markdown.matchAll(/```ts\n\/\/ example: (\S+)\n([\s\S]*?)```/g)) {
    if (examples.has(match[1]!)) throw new Error(`docs/api.md has two examples named ${match[1]}`);
    examples.set(match[1]!, match[2]!);
  }
  return examples;
}

const API_DOC = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
const EXAMPLES = docExamples(API_DOC);

let scratch: ReturnType<typeof scratchDir>;
let packed: Packed;
let project: string;

beforeAll(async () => {
  requireBuild();
  scratch = scratchDir('package');
  // --ignore-scripts: dist/ is built (pretest); `prepare` would build it again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch.path], { cwd: ROOT });
  packed = (JSON.parse(stdout) as Packed[])[0]!;

  project = join(scratch.path, 'consumer');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', join(scratch.path, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project });
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
  symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(project, 'node_modules', 'vitest'));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        outDir: 'out',
        rootDir: 'src',
        skipLibCheck: true,
      },
      include: ['src'],
    }),
  );
  for (const [file, code] of EXAMPLES) writeFileSync(join(project, 'src', file), code);
}, 120_000);

afterAll(() => scratch?.remove());

describe('the package', () => {
  it('holds what users need and nothing else', () => {
    const files = packed.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'bin/faultline.js', 'dist/api/index.js', 'dist/api/index.d.ts', 'dist/api/vitest.js', 'dist/cli/main.js', 'docs/api.md', 'docs/ci.md', 'harness/proxy/native/udp_batch.c']) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter((f) => /(^|\/)testing\/|\.test\.|^harness\/test\/|^dist\/test\/|^dist\/bench\/|native\/build\/|\.map$|^reports\/|^docs\/images\//.test(f));
    expect(unwanted).toEqual([]);
    // The built-in scenarios' servers ship (the explore demonstrations' too), and no other fixture.
    const scenarioFiles = files.filter((f) => /^scenarios\/.*\.yaml$/.test(f));
    const started = scenarioFiles.flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/fixtures\/servers\/[\w.-]+/g)].map((m) => m[0]));
    expect(scenarioFiles).toContain('scenarios/explore/retry-budget.yaml');
    expect(files.filter((f) => f.startsWith('fixtures/')).sort()).toEqual([...new Set(started)].sort());
  });

  it('is the size docs/api.md says', () => {
    const stated = /The package is about (\d+) kB \(([\d.]+) MB unpacked/.exec(API_DOC);
    expect(stated, 'docs/api.md states the package size').not.toBeNull();
    expect(packed.size / 1000).toBeGreaterThan(Number(stated![1]) * 0.9);
    expect(packed.size / 1000).toBeLessThan(Number(stated![1]) * 1.1);
    expect(packed.unpackedSize / 1e6).toBeCloseTo(Number(stated![2]), 0);
  });

  it('installs, and every example of docs/api.md type-checks under strict against it and runs', async () => {
    expect([...EXAMPLES.keys()].length).toBeGreaterThanOrEqual(8);
    expect(existsSync(join(project, 'node_modules', 'faultline', 'dist', 'api', 'index.js'))).toBe(true);
    // The examples take a backend from TOXIPROXY_URL; here they run on the embedded one.
    const { TOXIPROXY_URL: _url, ...env } = process.env;
    const isVitest = (file: string) => file.endsWith('.test.ts') && EXAMPLES.get(file)!.includes("from 'vitest'");
    // Vitest compiles its own: it runs while tsc type-checks and compiles the rest. A failing
    // example fails its command (and this test); the test runners also say they passed.
    const vitestRuns = [...EXAMPLES.keys()].filter(isVitest).map(async (file) => {
      const vitest = await run(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', join('src', file)], { cwd: project, env });
      expect(stripAnsi(vitest.stdout), file).toMatch(/Tests\s+\d+ passed \(\d+\)\n/);
    });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const typecheck = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((e: { stdout: string }) => e);
    expect(typecheck.stdout, 'tsc output').toBe('');

    const compiled = [...EXAMPLES.keys()].filter((file) => !isVitest(file));
    const runOne = async (file: string) => {
      const js = join('out', file.replace(/\.ts$/, '.js'));
      if (!file.endsWith('.test.ts')) return void (await run(process.execPath, [js], { cwd: project, env }));
      const nodeTest = await run(process.execPath, ['--test', js], { cwd: project, env });
      expect(nodeTest.stdout, file).toMatch(/# pass [1-9]\d*\n# fail 0\n/);
    };
    // One at a time: the other test worker has timing-sensitive tests on the other core.
    for (const file of compiled) await runOne(file);
    await Promise.all(vitestRuns);
  }, 90_000);

  it('runs its CLI and its built-in scenarios, with the servers they start, from the installed package', async () => {
    const bin = join(project, 'node_modules', '.bin', 'faultline');
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    expect((await run(bin, ['--version'], { cwd: project })).stdout.trim()).toBe(version);
    const framing = join('node_modules', 'faultline', 'scenarios', '10-framing-bug.yaml');
    const result = await run(bin, ['run', framing, '--reporter', 'json', '--out', 'reports'], { cwd: project, env: { ...process.env, NO_COLOR: '1' } });
    expect(result.stderr).toContain('reports/results.json');
    const results = JSON.parse(readFileSync(join(project, 'reports', 'results.json'), 'utf8')) as { summary: { total: number; passed: number } };
    expect(results.summary).toMatchObject({ total: 2, passed: 2 });
  }, 60_000);

  it('does not load Vitest unless faultline/vitest is imported', () => {
    // A resolve hook that fails the import of 'vitest', then the package's main entry.
    const refuseVitest = 'export async function resolve(s, c, next) { if (s === "vitest") throw new Error("faultline loaded vitest"); return next(s, c); }';
    const script = [
      "import { register } from 'node:module';",
      `register('data:text/javascript,${encodeURIComponent(refuseVitest)}');`,
      "const api = await import('faultline');",
      "console.log(typeof api.createFaultProxy);",
      "await import('faultline/vitest').then(() => console.log('vitest entry loaded'), (e) => console.log(e.message));",
    ].join('\n');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    expect(output.trim().split('\n')).toEqual(['function', 'faultline loaded vitest']);
  });
});
