/**
 * docs/ci.md's recipes, parsed and run: the `faultline` commands of each, as its CI would run them
 * — every shard with the CI's variables, each job in a checkout of its own (a workspace of small
 * scenarios), then the merge — with the CI's artifact hand-over emulated, and every file a later
 * step uploads or reads checked to be where it looks. A recipe whose shard count, paths or flags
 * drift apart fails here.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIN, PASSING, requireBuild, ROOT, scratchDir } from './e2e-cli.js';

const exec = promisify(execFile);
const CI_DOC = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');

/** The fenced block of `language` under the `## heading` of docs/ci.md. */
function recipe(heading: string, language: string): string {
  const section = CI_DOC.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section && new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section);
  if (!block) throw new Error(`docs/ci.md has no ${language} block under "## ${heading}"`);
  return block[1]!;
}

/** Runs a CI shell line in `cwd` the way the runner would, with faultline as this build. */
async function shell(line: string, cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  expect(line, 'a faultline command').toMatch(/^npx faultline /);
  const command = line.replace(/^npx faultline /, `"${process.execPath}" "${BIN}" `);
  try {
    const { stdout } = await exec('sh', ['-c', command], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout + failed.stderr };
  }
}

/** Replaces `${{ … }}` with `values`; an expression the test does not know fails it. */
function expand(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    if (!(expression in values)) throw new Error(`unexpected expression \${{ ${expression} }} in "${text}"`);
    return values[expression]!;
  });
}

/** The junit.xml's totals. */
function junitTotals(path: string): { tests: number; failures: number } {
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(path, 'utf8')) as { testsuites: { tests: string; failures: string } };
  return { tests: Number(xml.testsuites.tests), failures: Number(xml.testsuites.failures) };
}

/** A workspace with three small, quick scenarios, as a repository's `scenarios/`. */
function workspace(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'scenarios'), { recursive: true });
  for (const n of [1, 2, 3]) writeFileSync(join(dir, 'scenarios', `tiny-${n}.yaml`), PASSING.replace('name: tiny-pass', `name: tiny-${n}`));
  return dir;
}

let scratch: ReturnType<typeof scratchDir>;
beforeAll(() => {
  requireBuild();
  scratch = scratchDir('ci-recipes');
});
afterAll(() => scratch.remove());

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix: { shard: number[] } };
  steps: Step[];
}

describe('docs/ci.md', () => {
  it('GitHub Actions: shards run, their artifacts merge, and the HTML, the job summary and the JUnit annotations find their files', async () => {
    const workflow = parse(recipe('GitHub Actions', 'yaml')) as { jobs: Record<string, Job> };
    const [shardJobName, shardJob] = Object.entries(workflow.jobs).find(([, job]) => job.strategy?.matrix.shard)!;
    const [, reportJob] = Object.entries(workflow.jobs).find(([, job]) => job.needs === shardJobName || job.needs?.includes(shardJobName))!;
    const shards = shardJob.strategy!.matrix.shard;
    expect(shardJob.strategy!['fail-fast']).toBe(false);
    expect(reportJob.if).toContain('!cancelled()');
    const dir = workspace(scratch.path, 'github-report');
    const summary = join(scratch.path, 'github-step-summary.md');
    writeFileSync(summary, '');

    // Every run step is `npm ci` or faultline; the faultline ones are what this test runs.
    const runs = (job: Job) => job.steps.filter((s) => s.run !== undefined && s.run !== 'npm ci');
    const [shardRun] = runs(shardJob);
    expect(runs(shardJob)).toHaveLength(1);
    expect(shardRun!.run).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
    const upload = shardJob.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toContain('!cancelled()');
    const download = reportJob.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!.with as { pattern: string; path: string };

    const outcomes = await Promise.all(
      shards.map(async (shard) => {
        const values = { 'matrix.shard': String(shard), 'github.run_number': '17' };
        const job = workspace(scratch.path, `github-shard-${shard}`);
        const outcome = await shell(expand(shardRun!.run!, values), job, { GITHUB_STEP_SUMMARY: summary });
        // upload-artifact `path` under `name`, downloaded by the report job into `path/<name>/`.
        const name = expand(String(upload.with!.name), values);
        expect(name).toMatch(new RegExp(`^${download.pattern.replace(/\*/g, '.*')}$`));
        cpSync(join(job, expand(String(upload.with!.path), values)), join(dir, download.path, name), { recursive: true });
        return outcome;
      }),
    );
    expect(outcomes.map((o) => o.code)).toEqual(shards.map(() => 0));
    // Every scenario ran in exactly one shard.
    expect(readdirSync(join(dir, download.path)).map((shard) => junitTotals(join(dir, download.path, shard, 'junit.xml')).tests).reduce((a, b) => a + b)).toBe(3);
    expect(readFileSync(summary, 'utf8')).toBe(''); // the shards leave the job summary to the merge

    const [merge] = runs(reportJob);
    expect(runs(reportJob)).toHaveLength(1);
    expect((await shell(expand(merge!.run!, {}), dir, { GITHUB_STEP_SUMMARY: summary })).code).toBe(0);
    const report = reportJob.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact@')).map((s) => String(s.with!.path));
    expect(report).toHaveLength(1);
    expect(existsSync(join(dir, report[0]!, 'index.html'))).toBe(true);
    expect(readFileSync(summary, 'utf8')).toMatch(/^## ✔ faultline: 3 scenarios: 3 passed/);
    const junitAction = reportJob.steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'))!;
    const junit = join(dir, String(junitAction.with!.report_paths));
    expect(junitTotals(junit)).toEqual({ tests: 3, failures: 0 });
    expect(readFileSync(junit, 'utf8')).toMatch(/<testcase [^>]*file="scenarios\/tiny-1\.yaml"/); // what annotations point at
  }, 60_000);

  it('GitLab CI: parallel shards with CI_NODE_INDEX/CI_NODE_TOTAL, their junit reports, then the merge', async () => {
    interface GitlabJob {
      parallel?: number;
      needs?: string[];
      when?: string;
      script: string[];
      artifacts: { when?: string; paths: string[]; reports?: { junit?: string }; expose_as?: string };
    }
    const pipeline = parse(recipe('GitLab CI', 'yaml')) as Record<string, GitlabJob>;
    const [shardJobName, shardJob] = Object.entries(pipeline).find(([, job]) => typeof job === 'object' && !Array.isArray(job) && job.parallel)!;
    const [, reportJob] = Object.entries(pipeline).find(([, job]) => typeof job === 'object' && !Array.isArray(job) && job.needs?.includes(shardJobName))!;
    expect(shardJob.artifacts.when).toBe('always');
    expect(reportJob.when).toBe('always');
    const dir = workspace(scratch.path, 'gitlab-report');
    const faultlineLines = (job: GitlabJob) => job.script.filter((line) => line !== 'npm ci');

    // Each shard in its own checkout; `needs` brings their artifacts' paths into the report job's.
    const total = shardJob.parallel!;
    const codes = await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const job = workspace(scratch.path, `gitlab-shard-${i + 1}`);
        const env = { CI_NODE_INDEX: String(i + 1), CI_NODE_TOTAL: String(total), CI_PIPELINE_IID: '5' };
        const outcomes = [];
        for (const line of faultlineLines(shardJob)) outcomes.push(await shell(line, job, env));
        for (const path of shardJob.artifacts.paths) if (existsSync(join(job, path))) cpSync(join(job, path), join(dir, path), { recursive: true });
        return outcomes;
      }),
    );
    expect(codes.flat().map((c) => c.code)).toEqual(Array.from({ length: total }, () => 0));
    // artifacts:reports:junit finds one junit.xml per shard, inside the artifact's paths.
    const [prefix, suffix] = shardJob.artifacts.reports!.junit!.split('*') as [string, string];
    const found = readdirSync(join(dir, prefix.slice(0, prefix.lastIndexOf('/'))))
      .map((entry) => `${prefix.slice(0, prefix.lastIndexOf('/') + 1)}${entry}`)
      .filter((path) => path.startsWith(prefix) && existsSync(join(dir, `${path}${suffix}`)));
    expect(found).toHaveLength(total);
    expect(found.every((path) => shardJob.artifacts.paths.some((p) => path.startsWith(p)))).toBe(true);
    expect(found.map((path) => junitTotals(join(dir, `${path}${suffix}`)).tests).reduce((a, b) => a + b)).toBe(3);

    for (const line of faultlineLines(reportJob)) expect((await shell(line, dir)).code).toBe(0);
    for (const path of reportJob.artifacts.paths) expect(existsSync(join(dir, path, 'index.html')), path).toBe(true);
    expect(reportJob.artifacts.expose_as).toBeTruthy();
  }, 60_000);

  it('Jenkins: the run leaves junit.xml where the junit step reads it', async () => {
    const pipeline = recipe('Jenkins', 'groovy');
    const commands = [...pipeline.matchAll(/^sh '(.*)'$/gm)].map((m) => m[1]!);
    const [junit] = [...pipeline.matchAll(/^junit '(.*)'$/gm)].map((m) => m[1]!);
    const dir = workspace(scratch.path, 'jenkins');
    for (const command of commands) expect((await shell(command, dir, { BUILD_NUMBER: '3' })).code).toBe(0);
    expect(junitTotals(join(dir, junit!))).toEqual({ tests: 3, failures: 0 });
  }, 60_000);
});
