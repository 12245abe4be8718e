import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultlineError } from './errors.js';
import { readUserFile } from './user-file.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-user-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(path: string): FaultlineError {
  try {
    readUserFile(path, 'config file', 'a hint');
  } catch (error) {
    if (error instanceof FaultlineError) return error;
    throw error;
  }
  throw new Error('expected readUserFile to throw');
}

describe('readUserFile', () => {
  it('reads a file as text', () => {
    writeFileSync(join(dir, 'a.json'), '[]');
    expect(readUserFile(join(dir, 'a.json'), 'config file')).toBe('[]');
  });

  it('names a missing file (also below a path that is a file) as NOT_FOUND, with the hint', () => {
    const missing = failure(join(dir, 'nope.json'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toBe(`config file ${join(dir, 'nope.json')} does not exist`);
    expect(missing.hint).toBe('a hint');
    expect(failure(join(dir, 'a.json', 'child')).code).toBe('NOT_FOUND');
  });

  it('calls a folder an invalid argument', () => {
    const folder = failure(dir);
    expect(folder.code).toBe('INVALID_ARGUMENT');
    expect(folder.message).toBe(`config file ${dir} is a folder, not a file`);
  });
});
