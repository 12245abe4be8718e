/**
 * The dependency direction of ARCHITECTURE.md §3, checked on every import in harness/.
 * A module may import its own layer and the layers listed for it; nothing else.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
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
  wire: ['toxics', 'workload', 'core'],
  cli: ['*'],
  bench: ['*'],
  test: ['*'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

describe('layering', () => {
  it('every internal import follows the dependency direction', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(HARNESS)) {
      const layer = relative(HARNESS, file).split('/')[0]!;
      const allowed = ALLOWED[layer];
      if (!allowed) {
        violations.push(`${relative(HARNESS, file)}: unknown layer "${layer}" (add it to ALLOWED and ARCHITECTURE.md)`);
        continue;
      }
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        const target = relative(HARNESS, resolve(dirname(file), match[1]!)).split('/')[0]!;
        if (target === layer || allowed.includes('*') || allowed.includes(target)) continue;
        violations.push(`${relative(HARNESS, file)} imports ${match[1]} (${layer} → ${target} is not allowed)`);
      }
    }
    expect(violations).toEqual([]);
  });
});
