import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGrep, filterScenarios, findScenarioFiles } from './discover.js';
import type { ScenarioSpec } from './spec.js';

const root = mkdtempSync(join(tmpdir(), 'faultline-discover-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findScenarioFiles', () => {
  for (const path of ['b.yaml', 'a.yml', 'notes.md', 'faultline.schema.json', 'sub/c.yaml', 'sub/deeper/d.yml', 'node_modules/x.yaml', '.git/y.yaml', 'other/e.yaml', 'plain.txt', 'explore/f.yaml', 'sub/explore/g.yaml']) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
  }
  symlinkSync(join(root, 'sub'), join(root, 'loop'));
  mkdirSync(join(root, 'empty'));

  it('finds *.yaml and *.yml recursively, sorted, skipping node_modules, .git and symlinked folders', () => {
    expect(findScenarioFiles(['.'], root)).toEqual(['a.yml', 'b.yaml', 'other/e.yaml', 'sub/c.yaml', 'sub/deeper/d.yml'].map((f) => join(root, f)));
  });

  it('skips explore/ folders unless asked, or named', () => {
    expect(findScenarioFiles(['.'], root, { includeExploreFolders: true })).toEqual(
      ['a.yml', 'b.yaml', 'explore/f.yaml', 'other/e.yaml', 'sub/c.yaml', 'sub/deeper/d.yml', 'sub/explore/g.yaml'].map((f) => join(root, f)),
    );
    expect(findScenarioFiles(['explore', 'sub/explore/g.yaml'], root)).toEqual(['explore/f.yaml', 'sub/explore/g.yaml'].map((f) => join(root, f)));
  });

  it('takes files named explicitly whatever their extension, and deduplicates', () => {
    expect(findScenarioFiles(['plain.txt', 'sub', 'sub/c.yaml'], root)).toEqual(['plain.txt', 'sub/c.yaml', 'sub/deeper/d.yml'].map((f) => join(root, f)));
  });

  it('NOT_FOUND for a missing path or a folder without scenarios', () => {
    expect(() => findScenarioFiles(['sub', 'missing.yaml'], root)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'no such file or directory: missing.yaml' }));
    expect(() => findScenarioFiles(['empty'], root)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'no scenario files (*.yaml, *.yml) in empty' }));
  });
});

describe('filterScenarios', () => {
  const spec = (name: string, tags: string[]) => ({ name, tags }) as unknown as ScenarioSpec;
  const specs = [spec('tcp-loss', ['loss', 'tcp']), spec('udp-loss', ['loss', 'udp']), spec('udp-jitter', ['udp'])];
  const names = (list: ScenarioSpec[]) => list.map((s) => s.name);

  it('keeps everything without filters', () => expect(names(filterScenarios(specs, {}))).toEqual(['tcp-loss', 'udp-loss', 'udp-jitter']));
  it('greps names with a regular expression', () => {
    expect(names(filterScenarios(specs, { grep: '^udp' }))).toEqual(['udp-loss', 'udp-jitter']);
    expect(names(filterScenarios(specs, { grep: /loss$/ }))).toEqual(['tcp-loss', 'udp-loss']);
  });
  it('keeps scenarios with any of the tags, and combines with grep', () => {
    expect(names(filterScenarios(specs, { tags: ['tcp', 'nothing'] }))).toEqual(['tcp-loss']);
    expect(names(filterScenarios(specs, { tags: ['udp'], grep: 'loss' }))).toEqual(['udp-loss']);
    expect(names(filterScenarios(specs, { tags: [] }))).toHaveLength(3);
  });
  it('an invalid --grep is INVALID_ARGUMENT', () => {
    expect(() => compileGrep('(')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
