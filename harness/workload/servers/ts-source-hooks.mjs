/**
 * Module hooks (node:module `register`) that let a worker thread run faultline's TypeScript
 * sources, for when faultline itself runs from source (the tests, under vitest). Vitest transforms
 * the modules of the thread it runs in, not those of a worker that thread starts, and Node 20
 * cannot load `.ts` files; the built package never needs this (its workers are plain `.js`).
 *
 *   import './x.js' from a .ts module ──▶ resolve: ./x.ts when there is no ./x.js
 *   load x.ts ──▶ cached output for this exact source? ──▶ yes: use it
 *                                                   └──▶ no: typescript.transpileModule, cache it
 *
 * Transpiling only strips types (no type check: tsc does that), one file at a time. The output is
 * cached on disk by the source's hash, so a worker start costs a file read per module instead of
 * loading the TypeScript compiler (≈ 0.3 s) every time.
 *
 * Plain JavaScript on purpose: it must run before anything can load TypeScript.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the transpile options change, so stale cache entries are not reused. */
const CACHE_VERSION = '1';
const CACHE_DIR = join(tmpdir(), 'faultline-ts-worker-cache');

let typescript;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent !== undefined && parent.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const asJs = new URL(specifier, parent);
    if (!existsSync(fileURLToPath(asJs))) {
      const asTs = new URL(`${specifier.slice(0, -3)}.ts`, parent);
      if (existsSync(fileURLToPath(asTs))) return { url: asTs.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const key = createHash('sha256').update(CACHE_VERSION).update('\0').update(path).update('\0').update(source).digest('hex').slice(0, 40);
  const cached = join(CACHE_DIR, `${key}.js`);
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {
    // Not cached yet.
  }
  typescript ??= (await import('typescript')).default;
  const output = typescript.transpileModule(source, {
    fileName: path,
    compilerOptions: {
      module: typescript.ModuleKind.ESNext,
      target: typescript.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
    },
  }).outputText;
  await mkdir(CACHE_DIR, { recursive: true });
  // Write then rename: two workers transpiling the same file never see half of it.
  const partial = `${cached}.${randomUUID()}.tmp`;
  await writeFile(partial, output);
  await rename(partial, cached);
  return { format: 'module', source: output, shortCircuit: true };
}
