/**
 * The dependency direction of docs/architecture.md ("Layers"), checked on every internal import
 * in harness/ — static `import`/`export … from`, dynamic `import()` and `import('…')` types, in
 * .ts and .mjs files alike:
 *
 *  - a module may import its own layer and the layers listed for it, nothing else;
 *  - production code never imports test support (`testing/` folders, `*.test.ts`);
 *  - no import cycle inside a layer: a cycle means two modules are one, or a seam is missing.
 *
 * Test support (`<layer>/testing/`) belongs to its layer and follows the same direction, plus the
 * test layer's helpers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HARNESS = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const ALLOWED: Record<string, string[]> = {
  core: [],
  toxics: ['core'],
  metrics: ['core'],
  workload: ['core', 'metrics'],
  target: ['core'],
  proxy: ['toxics', 'core'],
  admin: ['proxy', 'toxics', 'core'],
  assert: ['metrics', 'core'],
  report: ['metrics', 'core'],
  scenario: ['toxics', 'workload', 'target', 'metrics', 'assert', 'core'],
  explore: ['scenario', 'toxics', 'workload', 'target', 'metrics', 'assert', 'core'],
  wire: ['toxics', 'workload', 'core'],
  cli: ['*'],
  api: ['*'],
  bench: ['*'],
  test: ['*'],
};

/** Every source file: .ts and .mjs, tests included (they are checked for cycles and for importing test support). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'build') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs)$/.test(path) ? [path] : [];
  });
}

const isTest = (file: string) => file.endsWith('.test.ts');
const isTestSupport = (file: string) => isTest(file) || relative(HARNESS, file).split('/').includes('testing') || relative(HARNESS, file).startsWith('test/');

/** Relative specifiers a file imports: `from '…'`, `import '…'`, `import('…')`. Comments are skipped. */
function importedSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specifiers: string[] = [];
  for (const match of code.matchAll(/(?:\bfrom\s+|\bimport\s+|\bimport\s*\(\s*)['"](\.[^'"]+)['"]/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** The file a relative specifier names: `./x.js` is `./x.ts` in the source tree. */
function resolveSpecifier(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  return target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : target;
}

const layerOf = (file: string) => relative(HARNESS, file).split('/')[0]!;

const files = sourceFiles(HARNESS);
const edges = new Map(files.map((file) => [file, importedSpecifiers(readFileSync(file, 'utf8')).map((s) => resolveSpecifier(file, s))]));

describe('layering', () => {
  it('every internal import follows the dependency direction', () => {
    const violations: string[] = [];
    for (const [file, targets] of edges) {
      if (isTest(file)) continue;
      const layer = layerOf(file);
      const allowed = ALLOWED[layer];
      if (!allowed) {
        violations.push(`${relative(HARNESS, file)}: unknown layer "${layer}" (add it to ALLOWED and docs/architecture.md)`);
        continue;
      }
      for (const target of targets) {
        const targetLayer = layerOf(target);
        if (targetLayer === layer || allowed.includes('*') || allowed.includes(targetLayer)) continue;
        if (isTestSupport(file) && targetLayer === 'test') continue;
        violations.push(`${relative(HARNESS, file)} imports ${relative(HARNESS, target)} (${layer} → ${targetLayer} is not allowed)`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('production code never imports test support', () => {
    const violations: string[] = [];
    for (const [file, targets] of edges) {
      if (isTestSupport(file) || layerOf(file) === 'bench') continue;
      for (const target of targets) {
        if (isTestSupport(target)) violations.push(`${relative(HARNESS, file)} imports test support ${relative(HARNESS, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no import cycle inside a layer', () => {
    const cycles = findCycles(edges, (from, to) => layerOf(from) === layerOf(to) && !isTest(from) && !isTest(to));
    expect(cycles.map((cycle) => cycle.map((f) => relative(HARNESS, f)).join(' → '))).toEqual([]);
  });

  it('sees static, dynamic and type-position imports, and ignores commented-out ones', () => {
    const text = [
      "import { a } from './a.js';",
      "export { b } from '../core/b.js';",
      "import './side-effect.js';",
      "const c = await import('./c.js');",
      "type D = import('../metrics/d.js').D;",
      "// import { e } from './e.js';",
      "/* import { f } from './f.js'; */",
      "import { g } from 'node:fs';",
    ].join('\n');
    expect(importedSpecifiers(text)).toEqual(['./a.js', '../core/b.js', './side-effect.js', './c.js', '../metrics/d.js']);
  });

  it('finds a cycle', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(findCycles(graph, () => true)).toEqual([['a', 'b', 'c', 'a']]);
  });
});

/** Each distinct cycle once (as the path from its first node found back to itself), depth-first. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>, follow: (from: string, to: string) => boolean): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string) => {
    if (done.has(node)) return;
    const at = stack.indexOf(node);
    if (at >= 0) {
      const cycle = [...stack.slice(at), node];
      const key = [...cycle.slice(0, -1)].sort().join('\n');
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push(cycle);
      }
      return;
    }
    stack.push(node);
    for (const next of graph.get(node) ?? []) if (graph.has(next) && follow(node, next)) visit(next);
    stack.pop();
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return cycles;
}
