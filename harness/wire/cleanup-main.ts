/**
 * `node cleanup-main.js <run record>`: what the supervisor runs once the process that owned the
 * record has ended. The owner's descriptors close a little before the kernel reports it gone, so
 * this waits (up to two seconds) for the owner to be gone before it removes anything.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cleanupWire, ownerAlive, type RunRecord } from './run-registry.js';

const file = process.argv[2];
if (file) {
  let record: RunRecord | undefined;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch {
    // removed meanwhile: the owner cleaned up after all
  }
  if (record) {
    const deadline = Date.now() + 2000;
    while (ownerAlive(record) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    cleanupWire({ runId: record.runId, dir: dirname(file) });
  }
}
