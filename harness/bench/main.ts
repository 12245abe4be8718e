/**
 * `npm run bench [-- --quick] [-- suite…]`: runs the benchmark suites one after another (never in
 * parallel: they would measure each other), prints a table, and saves JSON under reports/bench/.
 * The soak suite (minutes) runs only when named: `npm run bench -- soak`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { suites } from './suites.js';
import type { BenchSuiteResult } from './types.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const selected = only.length > 0 ? suites.filter((s) => only.includes(s.name)) : suites.filter((s) => !s.onlyWhenNamed);
if (only.length > 0 && selected.length !== only.length) {
  const known = suites.map((s) => s.name).join(', ');
  process.stderr.write(`bench: unknown suite in ${only.join(', ')}; known: ${known}\n`);
  process.exit(2);
}

const results: BenchSuiteResult[] = [];
for (const suite of selected) {
  process.stderr.write(`bench: ${suite.name}…\n`);
  const result = await suite.run({ quick, log: (line) => process.stderr.write(`  ${line}\n`) });
  results.push(result);
  printSuite(result);
}

const outDir = join('reports', 'bench');
mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const record = {
  at: new Date().toISOString(),
  node: process.version,
  os: `${platform()} ${release()}`,
  cpus: cpus().length,
  loadavg: loadavg(),
  quick,
  results,
};
writeFileSync(join(outDir, `bench-${stamp}.json`), `${JSON.stringify(record, null, 2)}\n`);
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(record, null, 2)}\n`);
process.stderr.write(`bench: saved ${join(outDir, 'latest.json')}\n`);

function printSuite(result: BenchSuiteResult): void {
  const rows = result.figures.map((f) => [
    f.name,
    `${formatValue(f.value)} ${f.unit}`,
    f.target ?? '',
    f.met === undefined ? '' : f.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'value', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`\n${result.suite}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  for (const note of result.notes ?? []) process.stdout.write(`  note: ${note}\n`);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
}
