/**
 * Every workload type, registered by name (each defined beside its implementation, see
 * definition.ts). Adding a workload is its file plus a line here; registry.test.ts then holds it
 * to its declaration: its metrics are in the catalog, its keys have a schema, its example runs
 * and records only what it declares.
 */
import type { WorkloadDefinition } from './definition.js';
import { tcpConnect } from './tcp-connect.js';
import { tcpEcho } from './tcp-echo.js';
import { tcpRaw } from './tcp-raw.js';
import { tcpStream } from './tcp-stream.js';
import { udpEcho } from './udp-echo.js';
import { udpRaw } from './udp-raw.js';
import { udpStream } from './udp-stream.js';

/** In the order docs list them. */
export const WORKLOAD_DEFINITIONS = [tcpEcho, tcpStream, udpEcho, udpStream, tcpRaw, udpRaw, tcpConnect] as const satisfies readonly WorkloadDefinition[];

/** The name of every workload type, as a type. */
export type WorkloadTypeName = (typeof WORKLOAD_DEFINITIONS)[number]['type'];

const BY_TYPE = new Map<string, WorkloadDefinition>(WORKLOAD_DEFINITIONS.map((d) => [d.type, d]));

/** Every workload type name, in docs order. */
export const WORKLOAD_TYPES: readonly string[] = WORKLOAD_DEFINITIONS.map((d) => d.type);

export function findWorkloadType(type: string): WorkloadDefinition | undefined {
  return BY_TYPE.get(type);
}

/** The definition of a type the loader has already validated; a missing one is a bug. */
export function workloadType(type: string): WorkloadDefinition {
  const definition = BY_TYPE.get(type);
  if (!definition) throw new Error(`workload type "${type}" is not registered`);
  return definition;
}

/** The workload types that record `metric`, in docs order. */
export function typesRecording(metric: string): string[] {
  return WORKLOAD_DEFINITIONS.filter((d) => d.metrics.includes(metric)).map((d) => d.type);
}
