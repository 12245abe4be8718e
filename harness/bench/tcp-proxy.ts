/**
 * The TCP proxy's performance targets (issue "Foundation and the embedded TCP fault proxy"),
 * each measured against a baseline in the same run:
 *
 *   64-byte ping-pong            added p50 RTT                   ≤ 30 µs
 *   latency toxic, 50 ms         mean error ≤ 0.5 ms, p99 ≤ 1 ms, never early (Toxiproxy +0.7/+1.3)
 *   bandwidth toxic, 100 MB/s    |achieved / asked − 1|          ≤ 3 %   (Toxiproxy −19.7 %)
 *   backpressure, 1 MB/s limit   proxy RSS growth pushing 1 GiB for 5 s < 64 MiB
 *
 * The proxy runs in its own process (proxy-process.ts); client and servers share this one, as in
 * the reference measurements of Toxiproxy. Throughput without toxics is measured in
 * tcp-forwarding.ts, with client and source in a process of their own and Toxiproxy beside.
 */
import { bulkTransfer, connectTo, mean, median, percentile, pingPong, startCountingSink, startEchoServer } from './loopback.js';
import { portOf, startProxyProcess } from './proxy-process.js';
import type { BenchContext, BenchFigure, BenchSuite, BenchSuiteResult } from './types.js';

const MiB = 1024 * 1024;

export const tcpProxySuite: BenchSuite = {
  name: 'tcp-proxy',
  async run(ctx: BenchContext): Promise<BenchSuiteResult> {
    const figures: BenchFigure[] = [];
    const notes: string[] = [];
    const proxy = await startProxyProcess();
    const sink = await startCountingSink();
    const echo = await startEchoServer();
    try {
      const sinkProxy = await proxy.createProxy({ name: 'sink', listen: '127.0.0.1:0', upstream: `127.0.0.1:${sink.port}` });
      const echoProxy = await proxy.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
      const sinkPort = portOf(sinkProxy.listen);
      const echoPort = portOf(echoProxy.listen);

      // ── added round-trip time, 64-byte ping-pong ──
      const samples = ctx.quick ? 2000 : 5000;
      const directRtt = await pingPong(echo.port, { samples, warmup: 500 });
      const proxiedRtt = await pingPong(echoPort, { samples, warmup: 500 });
      const addedP50 = (median(proxiedRtt) - median(directRtt)) * 1000;
      const addedP99 = (percentile(proxiedRtt, 99) - percentile(directRtt, 99)) * 1000;
      figures.push({
        name: 'RTT added by the proxy, p50 (64 B ping-pong)',
        value: addedP50,
        unit: 'µs',
        target: '<= 30 µs',
        met: addedP50 <= 30,
        detail: { directP50us: median(directRtt) * 1000, proxiedP50us: median(proxiedRtt) * 1000, samples },
      });
      figures.push({ name: 'RTT added by the proxy, p99', value: addedP99, unit: 'µs', detail: { samples } });

      // ── latency toxic accuracy ──
      // Judged like the Toxiproxy reference: error = RTT − 50 ms, base path included, so nothing is
      // subtracted in our favour. For context the detail gives the same path's RTT after 50 ms of
      // idleness without the toxic: on this kind of VM a loopback round trip after ≥ 10 ms idle
      // costs 0.2–0.3 ms even with no proxy (direct, one process: 50–80 µs back to back, ~280 µs
      // after a 50 ms gap), and most of the error below is that. Warm-up pings let the proxy's
      // JIT settle (the first dozen carry 1–5 ms of compilation).
      const pings = ctx.quick ? 60 : 150;
      const afterIdle = await pingPong(echoPort, { samples: pings, warmup: 20, gapMs: 50 });
      await proxy.addToxic('echo', { name: 'lat', type: 'latency', stream: 'downstream', attributes: { latency: 50, jitter: 0 } });
      const errors: number[] = [];
      for (let run = 0; run < 3; run++) {
        for (const rtt of await pingPong(echoPort, { samples: pings, warmup: 20 })) errors.push(rtt - 50);
      }
      await proxy.removeToxic('echo', 'lat');
      const meanError = mean(errors);
      const p99Error = percentile(errors, 99);
      const minError = Math.min(...errors);
      const detail = { samples: errors.length, idlePathRttP50Ms: median(afterIdle), idlePathRttP99Ms: percentile(afterIdle, 99) };
      figures.push({ name: 'latency 50 ms: mean error, RTT − 50 (Toxiproxy: +0.7)', value: meanError, unit: 'ms', target: '<= 0.5 ms', met: meanError <= 0.5, detail });
      figures.push({ name: 'latency 50 ms: p99 error (Toxiproxy: +1.3)', value: p99Error, unit: 'ms', target: '<= 1 ms', met: p99Error <= 1 });
      figures.push({ name: 'latency 50 ms: min error (never early)', value: minError, unit: 'ms', target: '>= 0', met: minError >= 0 });
      figures.push({ name: 'for context: the same path, no toxic, RTT after 50 ms idle (p50)', value: median(afterIdle), unit: 'ms' });

      // ── bandwidth toxic accuracy at 100 MB/s ──
      const rateKBps = 100_000;
      await proxy.addToxic('sink', { name: 'bw', type: 'bandwidth', stream: 'upstream', attributes: { rate: rateKBps } });
      const seconds = ctx.quick ? 1 : 2;
      const achieved = await bulkTransfer(sinkPort, sink, seconds * rateKBps * 1000, 64 * 1024);
      await proxy.removeToxic('sink', 'bw');
      const bwError = (achieved / (rateKBps * 1000) - 1) * 100;
      figures.push({
        name: 'bandwidth 100 MB/s: achieved vs asked',
        value: bwError,
        unit: '%',
        target: 'within ±3 %',
        met: Math.abs(bwError) <= 3,
        detail: { achievedMBps: achieved / 1e6, seconds },
      });

      // ── memory under backpressure ──
      figures.push(await backpressureMemory(ctx, sink.port));
      notes.push('client and servers share the bench process; the proxy runs in its own process');
    } finally {
      await proxy.stop();
      await sink.close();
      await echo.close();
    }
    return { suite: 'tcp-proxy', figures, notes };

    /**
     * A fresh proxy process, so the throughput runs above cannot have grown its heap already
     * (RSS rarely shrinks) and hide what backpressure would otherwise cost.
     */
    async function backpressureMemory(ctx: BenchContext, sinkPort: number): Promise<BenchFigure> {
      const proc = await startProxyProcess();
      try {
        const state = await proc.createProxy({ name: 'slow', listen: '127.0.0.1:0', upstream: `127.0.0.1:${sinkPort}` });
        await proc.addToxic('slow', { name: 'slow', type: 'bandwidth', stream: 'upstream', attributes: { rate: 1000 } });
        return await push(proc, portOf(state.listen));
      } finally {
        await proc.stop();
      }
    }

    async function push(proc: Awaited<ReturnType<typeof startProxyProcess>>, port: number): Promise<BenchFigure> {
      const before = (await proc.usage()).rssBytes;
      let peak = before;
      const socket = await connectTo(port);
      const block = Buffer.alloc(256 * 1024, 0x63);
      const pushSeconds = ctx.quick ? 3 : 5;
      const deadline = performance.now() + pushSeconds * 1000;
      let offered = 0;
      const sampler = setInterval(() => {
        void proc.usage().then((u) => {
          peak = Math.max(peak, u.rssBytes);
        });
      }, 100);
      // Offer up to 1 GiB as fast as the socket accepts it; backpressure decides how much moves.
      while (performance.now() < deadline && offered < 1024 * MiB) {
        offered += block.length;
        if (!socket.write(block)) {
          const drained = await Promise.race([
            new Promise<boolean>((resolve) => socket.once('drain', () => resolve(true))),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadline - performance.now())),
          ]);
          if (!drained) break;
        }
      }
      clearInterval(sampler);
      peak = Math.max(peak, (await proc.usage()).rssBytes);
      socket.destroy();
      const growthMiB = (peak - before) / MiB;
      ctx.log(`backpressure: offered ${(offered / MiB).toFixed(0)} MiB in ${pushSeconds}s, proxy RSS +${growthMiB.toFixed(1)} MiB`);
      return {
        name: `proxy memory growth pushing at a 1 MB/s connection for ${pushSeconds} s`,
        value: growthMiB,
        unit: 'MiB',
        target: '< 64 MiB',
        met: growthMiB < 64,
        detail: { acceptedByKernelMiB: offered / MiB },
      };
    }
  },
};
