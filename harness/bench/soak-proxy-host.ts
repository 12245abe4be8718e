/**
 * The soak benchmark's proxy: the embedded proxy behind the admin API, as `faultline proxy` runs
 * it, in a process of its own that reports what it holds over IPC (process-usage.ts).
 */
import { createAdminServer } from '../admin/server.js';
import { BusyPoll } from '../proxy/busy-poll.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { serveChild } from './ipc-child.js';
import { createUsageMeter } from './process-usage.js';

const meter = createUsageMeter();
const proxy = createEmbeddedProxy({ seed: 18, busyPoll: new BusyPoll() });
const server = await createAdminServer({ backend: proxy, port: 0 });

serveChild(
  {
    url: () => server.url,
    usage: () => meter.sample(),
  },
  async () => {
    await server.close();
    await proxy.close();
  },
);
