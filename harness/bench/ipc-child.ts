/**
 * Request/reply over Node's IPC channel, for benchmark helpers that must run in their own process
 * (a proxy, a UDP sender, a UDP receiver): `startChild` on the parent side, `serveChild` in the child.
 *
 *   parent ──{id, method, args}──▶ child handler ──▶ {id, value | error} ──▶ parent
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Request {
  id: number;
  method: string;
  args: unknown[];
}

interface Reply {
  id: number;
  value?: unknown;
  error?: string;
}

export interface Child {
  call<T>(method: string, ...args: unknown[]): Promise<T>;
  /** Disconnects (the child cleans up and exits), killing it if it has not exited within 5 s. */
  stop(): Promise<void>;
}

export async function startChild(module: URL, env: Record<string, string> = {}, execArgv: string[] = []): Promise<Child> {
  const child = fork(fileURLToPath(module), [], { env: { ...process.env, ...env }, execArgv: [...process.execArgv, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error !== undefined) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply.value);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    call: <T>(method: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, method, args } satisfies Request);
      }),
    async stop() {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Child side: answers requests with `handlers[method](...args)`; runs `onDisconnect` then exits. */
export function serveChild(handlers: Record<string, (...args: any[]) => unknown>, onDisconnect: () => Promise<void> | void): void {
  process.on('message', (request: Request) => {
    const handler = handlers[request.method];
    void Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no method ${request.method}`);
        return handler(...request.args);
      })
      .then(
        (value) => process.send!({ id: request.id, value } satisfies Reply),
        (error: unknown) => process.send!({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
      );
  });
  process.on('disconnect', () => {
    void Promise.resolve(onDisconnect()).finally(() => process.exit(0));
  });
}
