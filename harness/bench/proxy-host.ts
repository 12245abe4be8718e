/**
 * Child-process host for the embedded proxy in benchmarks. The proxy must not share an event loop
 * (or a core) with the traffic it measures, exactly as a `faultline proxy` or a Toxiproxy server
 * would not; so benchmarks fork this module and drive the proxy over IPC (ipc-child.ts).
 * Besides the ProxyBackend methods, `usage` returns the host's memory and CPU counters.
 */
import { BusyPoll } from '../proxy/busy-poll.js';
import { createEmbeddedProxy } from '../proxy/embedded-proxy.js';
import { defaultUdpIo } from '../proxy/udp-io-choice.js';
import { serveChild } from './ipc-child.js';

export interface HostUsage {
  rssBytes: number;
  heapUsedBytes: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

// Configured as `faultline proxy` runs it: a process of its own, busy polling on.
const proxy = createEmbeddedProxy({ seed: Number(process.env.FAULTLINE_BENCH_SEED ?? 1), busyPoll: new BusyPoll() });

serveChild(
  {
    createProxy: (input) => proxy.createProxy(input),
    addToxic: (name, toxic) => proxy.addToxic(name, toxic),
    removeToxic: (name, toxic) => proxy.removeToxic(name, toxic),
    ledger: (name) => proxy.ledger(name),
    usage: (): HostUsage => {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      return { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system };
    },
    udpIo: () => defaultUdpIo().kind,
  },
  () => proxy.close(),
);
