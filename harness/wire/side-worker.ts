/**
 * The first module of a worker thread started by `WireSide.startWorker`: it moves its own thread
 * into the side's network namespace (setns applies to the calling thread only, so the rest of
 * the process stays where it was), and only then loads the module that opens sockets.
 *
 * workerData: { nsFd, moduleUrl, data }. The module's default export, if a function, is called
 * with `data`; the module talks to its parent through `parentPort` as any worker does.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';
import { wireAddon } from './native.js';

const { nsFd, moduleUrl, data } = workerData as { nsFd: number; moduleUrl: string; data: unknown };
wireAddon().enterNetns(nsFd);
// Running from sources (tests), `./x.js` beside a caller is `./x.ts`.
const url = new URL(moduleUrl);
const source = url.protocol === 'file:' && url.pathname.endsWith('.js') && !existsSync(fileURLToPath(url)) ? new URL(url.href.replace(/\.js$/, '.ts')) : url;
const module = (await import(source.href)) as { default?: unknown };
if (typeof module.default === 'function') await (module.default as (data: unknown) => unknown)(data);
