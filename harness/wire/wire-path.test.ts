/**
 * Real namespaces, real TUN devices, real kernel TCP: a wire path with workloads in worker threads
 * on its client side and servers on its target side, faults in the native engine between them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { sumCounter } from './engine.js';
import { diffKernelCounters } from './kernel-counters.js';
import { createWirePath, type WirePath } from './topology.js';
import { readPcap } from './pcap-reader.js';
import { runTask } from './run-side-task.js';
import { ipNetnsList } from './testing/namespaces.js';
import { engineSettled, faultCounter, stableReport } from './testing/settle.js';
import { describeWire } from './testing/wire-gate.js';

let path: WirePath | undefined;

afterEach(() => {
  path?.close();
  path = undefined;
});

describeWire('wire path', () => {
  it('lives in two namespaces of its own, with a TUN device each, and leaves nothing behind', () => {
    path = createWirePath({ rng: createRng(1) });
    const { client, target } = path;
    expect(client.address).toMatch(/^198\.1[89]\./);
    expect(ipNetnsList()).toContain(client.namespace);
    expect(ipNetnsList()).toContain(target.namespace);
    const links = execFileSync('ip', ['-n', target.namespace, '-o', 'addr', 'show', 'dev', target.device], { encoding: 'utf8' });
    expect(links).toContain(`inet ${target.address} peer ${client.address}/32`);
    // Nothing in the host's own namespace.
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(client.device);
    const names = [client.namespace, target.namespace];
    path.close();
    path = undefined;
    const after = ipNetnsList();
    for (const name of names) {
      expect(after).not.toContain(name);
      expect(existsSync(`/run/netns/${name}`)).toBe(false);
    }
  });

  it('carries TCP and UDP from a worker on the client side to servers on the target side, and TCP under 5 % loss arrives intact', async () => {
    path = createWirePath({ rng: createRng(2) });
    const { client, target, engine } = path;
    engine.addFault({ name: 'lossy_up', type: 'loss', stream: 'upstream', protocol: 'tcp', attributes: { probability: 0.05 } });
    engine.addFault({ name: 'lossy_down', type: 'loss', stream: 'downstream', protocol: 'tcp', attributes: { probability: 0.05 } });
    const before = client.kernelCounters();
    const sink = runTask<{ bytes: number; sha256: string }>(target, { task: 'tcp-sink', host: target.address });
    const port = await sink.ready;
    const received = sink.result();
    const sent = await runTask<{ sha256: string; error?: string; tcpInfo: Record<string, number> }>(client, {
      task: 'tcp-send',
      host: target.address,
      port,
      bytes: 2_000_000,
    }).result();
    expect(sent.error).toBeUndefined();
    expect(await received).toEqual({ bytes: 2_000_000, sha256: sent.sha256 });
    const kernel = diffKernelCounters(before, client.kernelCounters());
    const ledger = engine.ledger();
    expect(faultCounter(ledger, 'lossy_up', 'dropped_loss')).toBeGreaterThan(0);
    // Real TCP: the kernel retransmitted what the engine dropped.
    expect(kernel.Tcp!.RetransSegs).toBeGreaterThan(0);
    expect(kernel.Tcp!.RetransSegs).toBeGreaterThanOrEqual(faultCounter(ledger, 'lossy_up', 'dropped_loss') / 2);
    expect(sent.tcpInfo.totalRetrans).toBeGreaterThan(0);
    expect(sent.tcpInfo.rttUs).toBeGreaterThan(0);
    // Nothing was lost before the engine: the TUN devices dropped nothing.
    expect(client.deviceCounters()!.txDropped).toBe(0);
    expect(target.deviceCounters()!.txDropped).toBe(0);
  });

  it("counts exactly the UDP datagrams a receiver missed, and captures exactly the ledger's packets", async () => {
    path = createWirePath({ rng: createRng(3) });
    const { client, target, engine } = path;
    const dir = mkdtempSync(join(tmpdir(), 'faultline-wire-pcap-'));
    try {
      engine.startCapture(join(dir, 'in.pcap'), join(dir, 'out.pcap'));
      engine.addFault({ name: 'udp_loss', type: 'loss', stream: 'upstream', protocol: 'udp', attributes: { probability: 0.1, burst: 2 } });
      engine.addFault({ name: 'twice', type: 'duplicate', stream: 'upstream', protocol: 'udp', attributes: { probability: 0.05 } });
      const sink = runTask<{ counts: Array<[number, number]> }>(target, { task: 'udp-sink', host: target.address });
      const port = await sink.ready;
      const count = 2000;
      await runTask(client, { task: 'udp-send', host: target.address, port, count, size: 200, burst: 50, intervalMs: 2 }).result();
      await engineSettled(path, count);
      const counts = new Map((await stableReport(() => sink.report(), (r) => r.counts.length)).counts);
      engine.stopCapture();
      const ledger = engine.ledger();
      const missed = count - counts.size;
      const copies = [...counts.values()].reduce((a, b) => a + b, 0) - counts.size;
      expect(faultCounter(ledger, 'udp_loss', 'dropped_loss')).toBe(missed);
      expect(missed).toBeGreaterThan(count * 0.05);
      expect(faultCounter(ledger, 'twice', 'duplicated')).toBe(copies);
      expect(ledger.events.filter((e) => e.action === 'dropped_loss').map((e) => e.packet).length).toBe(missed);

      const entered = readPcap(join(dir, 'in.pcap'));
      const left = readPcap(join(dir, 'out.pcap'));
      expect(entered.linkType).toBe(101);
      expect(entered.nanosecond).toBe(true);
      const seen = ['upstream', 'downstream'].reduce((n, d) => n + sumCounter(ledger.directions[d as 'upstream'], 'seen'), 0);
      const out = ['upstream', 'downstream'].reduce((n, d) => n + sumCounter(ledger.directions[d as 'upstream'], 'forwarded') + sumCounter(ledger.directions[d as 'upstream'], 'injected'), 0);
      expect(entered.records.length).toBe(seen);
      expect(left.records.length).toBe(out);
      // Every record is an IPv4 packet of the path, in time order.
      for (const { records } of [entered, left]) {
        for (let i = 0; i < records.length; i++) {
          expect(records[i]!.data[0]! >> 4).toBe(4);
          if (i > 0) expect(records[i]!.timeNs >= records[i - 1]!.timeNs).toBe(true);
        }
      }
      const udpIn = entered.records.filter((r) => r.data[9] === 17 && r.data.subarray(16, 20).equals(Buffer.from(target.address.split('.').map(Number))));
      expect(udpIn.length).toBe(count);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the most recent packets in memory and saves them on request', async () => {
    path = createWirePath({ rng: createRng(7) });
    const { client, target, engine } = path;
    // Each datagram is a 16-byte record header + 228 bytes of IPv4/UDP: 16 of them fit in 4000.
    engine.keepRecent(4000);
    const sink = runTask<{ counts: Array<[number, number]> }>(target, { task: 'udp-sink', host: target.address });
    const port = await sink.ready;
    await runTask(client, { task: 'udp-send', host: target.address, port, count: 200, size: 200, burst: 20, intervalMs: 1 }).result();
    await engineSettled(path, 200);
    const dir = mkdtempSync(join(tmpdir(), 'faultline-wire-recent-'));
    try {
      engine.saveRecent(join(dir, 'in.pcap'), join(dir, 'out.pcap'));
      for (const file of ['in.pcap', 'out.pcap']) {
        const { records } = readPcap(join(dir, file));
        expect(records.map((r) => r.data.readUInt32BE(28))).toEqual(Array.from({ length: 16 }, (_, i) => 184 + i));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forges an RST that the client sees as ECONNRESET', async () => {
    path = createWirePath({ rng: createRng(4) });
    const { client, target, engine } = path;
    const server = runTask(target, { task: 'tcp-reply', host: target.address });
    const port = await server.ready;
    engine.addFault({ name: 'cut', type: 'reset', stream: 'downstream', port, attributes: { timeout: 100 } });
    const { error } = await runTask<{ error: string }>(client, { task: 'tcp-until-reset', host: target.address, port, timeoutMs: 5000 }).result();
    expect(error).toBe('ECONNRESET');
    const ledger = engine.ledger();
    expect(faultCounter(ledger, 'cut', 'reset_sent')).toBeGreaterThanOrEqual(1);
    expect(ledger.directions.downstream.tcp.injected).toBeGreaterThanOrEqual(1);
  });

  it('forges an RST towards the target on upstream: the server sees ECONNRESET, the client then too', async () => {
    path = createWirePath({ rng: createRng(6) });
    const { client, target, engine } = path;
    const server = runTask<{ error?: string }>(target, { task: 'tcp-reply', host: target.address });
    const port = await server.ready;
    const serverSaw = server.result();
    const clientSaw = runTask<{ error: string }>(client, { task: 'tcp-until-reset', host: target.address, port, timeoutMs: 10_000 }).result();
    // Once replies flow (the server has accepted the connection), the fault meets it. A fixed
    // wait raced the worker threads' start on a loaded machine: a fault that met the handshake
    // forged an RST the server never took.
    for (const deadline = Date.now() + 10_000; (engine.ledger().directions.downstream.tcp.bytes_seen ?? 0) < 1000 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    engine.addFault({ name: 'cut_server', type: 'reset', stream: 'upstream', protocol: 'tcp', port });
    expect((await serverSaw).error).toBe('ECONNRESET');
    // The server's kernel, reset, answers the client's next request with an RST of its own.
    expect((await clientSaw).error).toBe('ECONNRESET');
    expect(engine.ledger().directions.upstream.tcp.injected).toBeGreaterThanOrEqual(1);
  });

  it('mtu drops only packets larger than the limit: small replies pass, large ones stall', async () => {
    path = createWirePath({ rng: createRng(5) });
    const { client, target, engine } = path;
    engine.addFault({ name: 'hole', type: 'mtu', stream: 'downstream', attributes: { mtu: 1000 } });
    const server = runTask(target, { task: 'tcp-reply', host: target.address });
    const port = await server.ready;
    const small = await runTask<{ got: number; error?: string }>(client, { task: 'tcp-request', host: target.address, port, replyBytes: 500, timeoutMs: 3000 }).result();
    expect(small).toEqual({ got: 500, error: undefined });
    const large = await runTask<{ got: number; error?: string }>(client, { task: 'tcp-request', host: target.address, port, replyBytes: 20_000, timeoutMs: 700 }).result();
    expect(large.error).toBe('timeout');
    expect(large.got).toBeLessThan(20_000);
    const ledger = engine.ledger();
    expect(faultCounter(ledger, 'hole', 'dropped_mtu')).toBeGreaterThan(0);
    expect(ledger.events.every((e) => e.action !== 'dropped_mtu' || e.bytes > 1000)).toBe(true);
  });
  it('twelve paths at once keep to themselves: addresses, engines, faults and cleanup are per path', async () => {
    const paths = Array.from({ length: 12 }, (_, i) => createWirePath({ rng: createRng(100 + i) }));
    const names = paths.flatMap((p) => [p.client.namespace, p.target.namespace]);
    try {
      expect(new Set(paths.map((p) => p.client.address)).size).toBe(12);
      expect(new Set(names).size).toBe(24);
      // Every other path drops all of its UDP: traffic that crossed into another path's engine
      // would show up in the wrong ledger or the wrong sink.
      paths.forEach((p, i) => {
        if (i % 2 === 1) p.engine.addFault({ name: 'all_lost', type: 'loss', stream: 'upstream', protocol: 'udp', attributes: { probability: 1 } });
      });
      const count = 200;
      const outcomes = await Promise.all(
        paths.map(async (p) => {
          const sink = runTask<{ counts: Array<[number, number]> }>(p.target, { task: 'udp-sink', host: p.target.address });
          const port = await sink.ready;
          await runTask(p.client, { task: 'udp-send', host: p.target.address, port, count, size: 100, burst: 20, intervalMs: 1 }).result();
          await engineSettled(p, count);
          const received = (await stableReport(() => sink.report(), (r) => r.counts.length)).counts.length;
          return { received, seen: sumCounter(p.engine.ledger().directions.upstream, 'seen') };
        }),
      );
      outcomes.forEach(({ received, seen }, i) => {
        expect(seen, `path ${i}`).toBe(count);
        expect(received, `path ${i}`).toBe(i % 2 === 1 ? 0 : count);
      });
    } finally {
      for (const p of paths) p.close();
    }
    const after = ipNetnsList();
    for (const name of names) expect(after).not.toContain(name);
  }, 30_000);
});
