import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { parseRunResult } from './json.js';
import { combineReporters, DEFAULT_REPORTERS, parseReporterList, REPORTER_NAMES } from './reporter.js';
import type { Reporter } from './reporter.js';
import { createSampleRun } from './testing/sample-results.js';
import { writeReports } from './write-reports.js';

describe('parseReporterList', () => {
  it('accepts known names, trims, dedupes and keeps order', () => {
    expect(parseReporterList('json, html,json ,markdown')).toEqual(['json', 'html', 'markdown']);
    expect(parseReporterList(REPORTER_NAMES.join(','))).toEqual([...REPORTER_NAMES]);
    expect(DEFAULT_REPORTERS).toEqual(['console', 'json', 'junit', 'html']);
  });

  it('rejects unknown names and empty lists with INVALID_ARGUMENT, listing the known ones', () => {
    for (const [text, message] of [
      ['json,xml,pdf', 'unknown reporters "xml", "pdf"; expected a comma-separated list of console, json, junit, html, markdown'],
      ['JSON', 'unknown reporter "JSON"'],
      [' , ', 'needs at least one reporter'],
    ] as const) {
      let error: unknown;
      try {
        parseReporterList(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FaultlineError);
      expect((error as FaultlineError).code).toBe('INVALID_ARGUMENT');
      expect((error as FaultlineError).message).toContain(message);
    }
  });
});

describe('combineReporters', () => {
  it('forwards every hook to each reporter, in order, and awaits every onRunEnd', async () => {
    const calls: string[] = [];
    const make = (tag: string): Reporter => ({
      onRunStart: () => calls.push(`${tag}:runStart`),
      onScenarioEnd: (s) => calls.push(`${tag}:end:${s.name}`),
      onRunEnd: async () => {
        await Promise.resolve();
        calls.push(`${tag}:runEnd`);
      },
    });
    const run = createSampleRun();
    const both = combineReporters(
      [
        { name: 'a', reporter: make('a') },
        { name: 'empty', reporter: {} },
        { name: 'b', reporter: make('b') },
      ],
      () => {
        throw new Error('no reporter fails here');
      },
    );
    both.onRunStart?.({ seed: 1, startedAt: run.run.startedAt, command: '', scenarios: [] });
    both.onScenarioProgress?.({ id: 'x', phase: 'running', elapsedMs: 0 });
    both.onScenarioEnd?.(run.scenarios[0]!);
    await both.onRunEnd?.(run);
    expect(calls).toEqual(['a:runStart', 'b:runStart', `a:end:${run.scenarios[0]!.name}`, `b:end:${run.scenarios[0]!.name}`, 'a:runEnd', 'b:runEnd']);
  });

  it('isolates a reporter that throws: it is reported once and silenced, the others carry on', async () => {
    const calls: string[] = [];
    const errors: string[] = [];
    const broken: Reporter = {
      onScenarioEnd: () => {
        throw new Error('bug in a reporter');
      },
      onRunEnd: () => {
        calls.push('broken:runEnd');
      },
    };
    const good: Reporter = { onScenarioEnd: (s) => calls.push(`good:end:${s.name}`), onRunEnd: async () => void calls.push('good:runEnd') };
    const run = createSampleRun();
    const both = combineReporters(
      [
        { name: 'broken', reporter: broken },
        { name: 'good', reporter: good },
      ],
      (name, hook, error) => errors.push(`${name} ${hook}: ${(error as Error).message}`),
    );
    both.onScenarioEnd?.(run.scenarios[0]!);
    both.onScenarioEnd?.(run.scenarios[1]!);
    await both.onRunEnd?.(run);
    expect(errors).toEqual(['broken onScenarioEnd: bug in a reporter']);
    expect(calls).toEqual([`good:end:${run.scenarios[0]!.name}`, `good:end:${run.scenarios[1]!.name}`, 'good:runEnd']);
  });
});

describe('writeReports', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-write-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the other reports when one cannot be written, then reports that one', async () => {
    const run = createSampleRun();
    mkdirSync(join(dir, 'junit.xml')); // a folder where the file should go: the rename fails
    const error = await writeReports(run, { outDir: dir, reporters: ['json', 'junit', 'html'], env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).message).toContain(join(dir, 'junit.xml'));
    expect(existsSync(join(dir, 'results.json'))).toBe(true);
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
  });

  it('creates the folder and writes each chosen file format, nothing else', async () => {
    const run = createSampleRun();
    const out = join(dir, 'a', 'b');
    const written = await writeReports(run, { outDir: out, reporters: ['console', 'json', 'junit', 'html'], env: {} });
    expect(written.files).toEqual({ json: join(out, 'results.json'), junit: join(out, 'junit.xml'), html: join(out, 'index.html') });
    expect(readdirSync(out).sort()).toEqual(['index.html', 'junit.xml', 'results.json']);
    expect(parseRunResult(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(run)));
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/^<\?xml/);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('appends the Markdown summary to GITHUB_STEP_SUMMARY when markdown is chosen', async () => {
    const summary = join(dir, 'step.md');
    writeFileSync(summary, '');
    const written = await writeReports(createSampleRun(), { outDir: dir, reporters: ['markdown'], env: { GITHUB_STEP_SUMMARY: summary } });
    expect(written.stepSummary).toBe(summary);
    expect(readFileSync(summary, 'utf8')).toBe(`${readFileSync(join(dir, 'summary.md'), 'utf8')}\n`);
    const without = await writeReports(createSampleRun(), { outDir: dir, reporters: ['json'], env: { GITHUB_STEP_SUMMARY: summary } });
    expect(without.stepSummary).toBeUndefined();
  });

  it('an unwritable folder is an ENVIRONMENT error naming it, and leaves no temporary file', async () => {
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    let error: unknown;
    try {
      await writeReports(createSampleRun(), { outDir: join(file, 'out'), reporters: ['json'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaultlineError);
    expect((error as FaultlineError).code).toBe('ENVIRONMENT');
    expect((error as FaultlineError).message).toContain(join(file, 'out'));
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['not-a-folder']);
  });
});
