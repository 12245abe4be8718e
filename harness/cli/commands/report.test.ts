/**
 * `faultline report render|merge`, driven in-process through runCli (same parsing, same exit
 * codes as the binary) on the sample results in fixtures/results.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRunResult } from '../../report/json.js';
import { SAMPLE_FIXTURES_DIR } from '../../report/testing/sample-results.js';
import { runCliCaptured } from '../testing/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-report-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string> = {}) => runCliCaptured(args, { cwd: dir, env });

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

describe('faultline report render on a damaged results.json', () => {
  /** The sample run, changed by `edit`, written to dir/results.json. */
  function damaged(edit: (run: any) => void): string {
    const run = JSON.parse(readFileSync(join(SAMPLE_FIXTURES_DIR, 'sample-run.json'), 'utf8'));
    edit(run);
    const file = join(dir, 'results.json');
    writeFileSync(file, JSON.stringify(run, null, 2));
    return file;
  }

  it('exits 2 listing every field a renderer would trip on, each with its JSON path', async () => {
    // Each of these made a renderer throw (exit 70, a stack trace) in a file the reader accepted.
    const file = damaged((run) => {
      run.scenarios[0].assertions[0].subject = 5;
      run.scenarios[0].workloads[0].histograms.rtt_ms.buckets = 'none';
      run.scenarios[0].workloads[0].series.columns.sent = 'none';
      run.scenarios[1].startedAt = 'yesterday';
      run.scenarios[1].targets = [{ name: 'app', kind: 'command', exitCode: 'x' }];
      run.run.shard = { index: 1, total: 1e9 };
    });
    const result = await cli(['report', 'render', file, '--out', 'out']);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('internal error');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('faultline: error [INVALID_INPUT]: 6 problems');
    expect(lines.slice(1)).toEqual([
      `  ${file}: run.shard: expected a shard INDEX/TOTAL with 1 ≤ INDEX ≤ TOTAL ≤ 1000, got 1/1000000000`,
      `  ${file}: scenarios[0].workloads[0].histograms.rtt_ms.buckets: expected an array, got "none"`,
      `  ${file}: scenarios[0].workloads[0].series.columns.sent: expected an array, got "none"`,
      `  ${file}: scenarios[0].assertions[0].subject: expected a string, got number 5`,
      `  ${file}: scenarios[1].startedAt: expected an ISO-8601 timestamp, got "yesterday"`,
      `  ${file}: scenarios[1].targets[0].exitCode: expected an integer, got "x"`,
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 2, not 70, on nesting 10,000 deep, before anything recursive reads it', async () => {
    const file = damaged((run) => {
      run.scenarios[0].extra = 'NEST';
    });
    writeFileSync(file, readFileSync(file, 'utf8').replace('"NEST"', `${'['.repeat(10_000)}${']'.repeat(10_000)}`));
    const result = await cli(['report', 'render', file, '--out', 'out']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is not a faultline results file: at line \d+, column \d+ it is nested more than 64 levels deep/);
  });

  it('names the line and column of a syntax error, not a position', async () => {
    const file = join(dir, 'results.json');
    writeFileSync(file, '{\n  "schemaVersion": 1,\n  "run": { "seed": 1, }\n}\n');
    const result = await cli(['report', 'render', file, '--out', 'out']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`[PARSE_ERROR]: ${file} is not valid JSON at line 3, column 23: expected a property name in double quotes, got "}"`);
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
