import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExploredSchedule } from '../core/exploration.js';
import { loadScenarioFile, loadScenarioText } from '../scenario/load.js';
import { renderMinimalScenario } from './minimal-scenario.js';

const scratch = mkdtempSync(join(tmpdir(), 'faultline-minimal-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Two scenarios sharing definitions through anchors, with paths relative to their file.
const SOURCE = `
- name: first
  targets: &targets
    app: { command: "python3 servers/app.py --port {tcp_port}", tcp: auto, cwd: .. }
  proxies: &proxies
    path: { protocol: tcp, target: app }
  workloads: &workloads
    raw: { type: tcp-raw, via: path, requests: [{ send_file: data/req.bin, expect: ok }] }
  faults:
    - { proxy: path, toxic: { type: latency, attributes: { latency: 5 } }, at: 0ms, for: 50ms }
  explore: { faults: { slicer: {} } }
- name: second
  seed: 9
  targets: *targets
  proxies: *proxies
  workloads: *workloads
  assert: { raw: [responses_mismatched_total == 0] }
`;

const schedule: ExploredSchedule = {
  seed: 42,
  faults: [
    { proxy: 'path', atMs: 0, forMs: 100, kind: 'toxic', toxic: { name: 'slicer_upstream', type: 'slicer', stream: 'upstream', toxicity: 1, attributes: { average_size: 5, size_variation: 0, delay: 0 } } },
    { proxy: 'path', atMs: 20, forMs: 30, kind: 'down' },
  ],
};

describe('renderMinimalScenario', () => {
  const home = join(scratch, 'project', 'scenarios');
  mkdirSync(join(home, 'data'), { recursive: true });
  writeFileSync(join(home, 'data', 'req.bin'), 'hello');
  const file = join(home, 'suite.yaml');
  writeFileSync(file, SOURCE);
  const specs = loadScenarioFile(file);

  it('writes the one scenario, renamed, with its seed pinned, the schedule after its own faults, and without explore:', () => {
    const outFile = join(scratch, 'reports', 'explore', 'first.min.yaml');
    const text = renderMinimalScenario({ spec: specs[0]!, sourceText: SOURCE, schedule, outFile, header: ['found by a test', 'line two'] });
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*scenarios\/faultline\.schema\.json\n\n# found by a test\n# line two\n/);
    const [min] = loadScenarioText(text, outFile);
    expect(min).toMatchObject({ name: 'first-min', seed: 42 });
    expect(min!.explore).toBeUndefined();
    expect(min!.faults.map((f) => [f.kind, f.atMs, f.forMs])).toEqual([
      ['toxic', 0, 50],
      ['toxic', 0, 100],
      ['down', 20, 30],
    ]);
    expect(text).not.toContain('name: slicer_upstream'); // the default name is not written out
  });

  it('keeps relative paths pointing where they did, wherever the file is written', () => {
    for (const outFile of [join(scratch, 'elsewhere', 'deep', 'second.min.yaml'), join(home, 'second.min.yaml')]) {
      const [min] = loadScenarioText(renderMinimalScenario({ spec: specs[1]!, sourceText: SOURCE, schedule, outFile, header: [] }), outFile);
      const original = specs[1]!;
      expect(min!.name).toBe('second-min');
      expect(min!.targets[0]).toEqual(original.targets[0]); // the same absolute cwd
      const [request] = (min!.workloads[0]!.spec as unknown as { requests: Array<{ send: Buffer }> }).requests;
      expect(request!.send.toString()).toBe('hello'); // send_file still found
    }
  });
});
