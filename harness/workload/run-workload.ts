/**
 * The one entry point the scenario runner calls: runs a resolved workload with its type's
 * definition and returns its result. Network failures are data inside the result; only a bug in
 * faultline rejects.
 */
import type { WorkloadResult } from '../core/result.js';
import type { WorkloadContext } from './context.js';
import type { WorkloadSpecBase } from './definition.js';
import { workloadType } from './registry.js';

export function runWorkload(spec: WorkloadSpecBase, ctx: WorkloadContext): Promise<WorkloadResult> {
  return workloadType(spec.type).run(spec, ctx);
}
