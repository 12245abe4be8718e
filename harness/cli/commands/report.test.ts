/**
 * `faultline report render|merge`, driven in-process through runCli (same parsing, same exit
 * codes as the binary) on the sample results in fixtures/results.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunResult } from '../../report/json.js';
import { SAMPLE_FIXTURES_DIR } from '../../report/testing/sample-results.js';
import { runCli } from '../program.js';

class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-report-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}) {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await runCli(args, { stdout, stderr, env, cwd: dir, interrupt: new AbortController().signal });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('faultline report render', () => {
  it('writes the default reports and prints the summary', async () => {
    const result = await cli(['report', 'render', join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), '--out', 'out']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['index.html', 'junit.xml', 'results.json']);
    expect(result.stdout).toContain('✘ 7 scenarios: 3 passed, 1 failed, 1 errored, 1 interrupted, 1 skipped');
    expect(result.stdout).toContain('reports: out/results.json, out/junit.xml, out/index.html');
    expect(result.stdout).toContain("replay: npx faultline run scenarios/duplicates.yaml --grep '^udp-duplicates$' --seed 1234");
  });

  it('honours --reporter, and appends to GITHUB_STEP_SUMMARY with markdown', async () => {
    const summary = join(dir, 'step.md');
    writeFileSync(summary, '');
    const result = await cli(['report', 'render', join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), '-o', 'md', '--reporter', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
    expect(result.code).toBe(0);
    expect(readdirSync(join(dir, 'md'))).toEqual(['summary.md']);
    expect(result.stdout).toBe('reports: md/summary.md\n');
    expect(readFileSync(summary, 'utf8')).toContain('## ✘ faultline: 7 scenarios');
  });

  it.each([
    [['report', 'render', 'missing.json'], 'NOT_FOUND', 'missing.json does not exist'],
    [['report', 'render', join(SAMPLE_FIXTURES_DIR, 'invalid/truncated.json')], 'PARSE_ERROR', 'is not valid JSON'],
    [['report', 'render', join(SAMPLE_FIXTURES_DIR, 'invalid/too-new.json')], 'INVALID_INPUT', 'newer faultline'],
    [['report', 'render', join(SAMPLE_FIXTURES_DIR, 'invalid/wrong-shape.json')], 'INVALID_INPUT', 'scenarios[0].status: expected one of'],
    [['report', 'render', join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), '--reporter', 'json,pdf'], 'INVALID_ARGUMENT', 'unknown reporter "pdf"'],
  ])('exits 2 with a clear message: %j', async (args, code, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`[${code}]`);
    expect(result.stderr).toContain(message);
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  });

  it('exits 3 when the output folder cannot be written', async () => {
    writeFileSync(join(dir, 'file'), '');
    const result = await cli(['report', 'render', join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), '--out', 'file/sub']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('[ENVIRONMENT]: cannot write reports to');
  });
});

describe('faultline report merge', () => {
  it('merges shard folders back into the whole run', async () => {
    const result = await cli(['report', 'merge', join(SAMPLE_FIXTURES_DIR, 'shards/shard-1'), join(SAMPLE_FIXTURES_DIR, 'shards/shard-2/results.json'), '--out', 'merged', '--reporter', 'json,junit']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/merged 2 result files: .*shard-1\/results\.json, .*shard-2\/results\.json/);
    const merged = parseRunResult(readFileSync(join(dir, 'merged', 'results.json'), 'utf8'));
    const whole = parseRunResult(readFileSync(join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), 'utf8'));
    expect(merged.scenarios.map((s) => s.id)).toEqual(whole.scenarios.map((s) => s.id).sort());
    expect(merged.summary).toEqual(whole.summary);
    expect(merged.run.shard).toBeUndefined();
    expect(readFileSync(join(dir, 'merged', 'junit.xml'), 'utf8')).toContain('tests="7"');
  });

  it('finds shards one level down, as artifact downloads lay them out, and warns about a missing one', async () => {
    cpSync(join(SAMPLE_FIXTURES_DIR, 'shards'), join(dir, 'artifacts'), { recursive: true });
    expect((await cli(['report', 'merge', 'artifacts', '--reporter', 'json'])).code).toBe(0);
    expect(parseRunResult(readFileSync(join(dir, 'reports', 'results.json'), 'utf8')).scenarios).toHaveLength(7);

    rmSync(join(dir, 'artifacts', 'shard-2'), { recursive: true });
    const partial = await cli(['report', 'merge', 'artifacts', '--reporter', 'json', '--out', 'partial']);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toContain('warning: shard 2 of 2 is missing');
  });

  it('exits 2 on conflicting results, a missing input, or a folder without results', async () => {
    const sample = readFileSync(join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), 'utf8');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'results.json'), sample);
    writeFileSync(join(dir, 'b', 'results.json'), sample.replace('"durationMs": 5410', '"durationMs": 5411'));
    const conflict = await cli(['report', 'merge', 'a', 'b']);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toContain('scenario "scenarios/loss.yaml#tcp-vs-udp-random-loss" is also in a/results.json with a different result');

    const missing = await cli(['report', 'merge', 'a', 'nowhere']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[NOT_FOUND]: no such file or folder: nowhere');

    mkdirSync(join(dir, 'empty'));
    const empty = await cli(['report', 'merge', 'empty']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no results.json in empty or in its subfolders');
  });
});
