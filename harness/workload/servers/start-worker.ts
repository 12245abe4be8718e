/**
 * Starts a worker thread on one of faultline's modules, whether faultline runs built (`dist/`,
 * plain `.js`) or from its TypeScript sources (the tests): a `.js` module that does not exist
 * beside its `.ts` source is run from the source through ts-source-hooks.mjs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * `new Worker(moduleUrl, options)`, with `moduleUrl` given as the built `.js` file next to the
 * caller (`new URL('./x-worker.js', import.meta.url)`).
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const source = sourceModuleUrl(moduleUrl);
  if (source === moduleUrl) return new Worker(moduleUrl, options);
  const hooks = new URL('./ts-source-hooks.mjs', import.meta.url).href;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(hooks)});`;
  return new Worker(source, {
    ...options,
    execArgv: [...(options.execArgv ?? process.execArgv), '--import', `data:text/javascript,${encodeURIComponent(register)}`],
  });
}

/**
 * The module to load for `moduleUrl`, a built `.js` file: itself, or, running from sources
 * (tests), the `.ts` file beside it when the `.js` one is not there.
 */
export function sourceModuleUrl(moduleUrl: URL): URL {
  if (moduleUrl.protocol !== 'file:' || !moduleUrl.pathname.endsWith('.js') || existsSync(fileURLToPath(moduleUrl))) return moduleUrl;
  const source = new URL(moduleUrl.href.replace(/\.js$/, '.ts'));
  return existsSync(fileURLToPath(source)) ? source : moduleUrl;
}
