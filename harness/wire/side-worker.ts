/**
 * The first module of a worker thread started by `WireSide.startWorker`: it moves its own thread
 * into the side's network namespace (setns applies to the calling thread only, so the rest of
 * the process stays where it was), and only then loads the module that opens sockets.
 *
 * workerData: { nsFd, moduleUrl, data }. The module's default export, if a function, is called
 * with `data`; the module talks to its parent through `parentPort` as any worker does.
 */
import { workerData } from 'node:worker_threads';
import { sourceModuleUrl } from '../workload/servers/start-worker.js';
import { wireAddon } from './native.js';

const { nsFd, moduleUrl, data } = workerData as { nsFd: number; moduleUrl: string; data: unknown };
wireAddon().enterNetns(nsFd);
const module = (await import(sourceModuleUrl(new URL(moduleUrl)).href)) as { default?: unknown };
if (typeof module.default === 'function') await (module.default as (data: unknown) => unknown)(data);
