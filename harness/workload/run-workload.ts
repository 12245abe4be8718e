/**
 * The one entry point the scenario runner calls: runs a resolved workload and returns its result.
 * Network failures are data inside the result; only a bug in faultline rejects.
 */
import type { WorkloadResult } from '../core/result.js';
import type { WorkloadContext } from './context.js';
import type { WorkloadSpec } from './spec.js';
import { runTcpEcho } from './tcp-echo.js';
import { runTcpRaw } from './tcp-raw.js';
import { runTcpStream } from './tcp-stream.js';
import { runUdpEcho } from './udp-echo.js';
import { runUdpRaw } from './udp-raw.js';
import { runUdpStream } from './udp-stream.js';

export function runWorkload(spec: WorkloadSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  switch (spec.type) {
    case 'tcp-echo':
      return runTcpEcho(spec, ctx);
    case 'tcp-stream':
      return runTcpStream(spec, ctx);
    case 'udp-echo':
      return runUdpEcho(spec, ctx);
    case 'udp-stream':
      return runUdpStream(spec, ctx);
    case 'tcp-raw':
      return runTcpRaw(spec, ctx);
    case 'udp-raw':
      return runUdpRaw(spec, ctx);
  }
}
