/**
 * The wire backend through the ProxyBackend seam, on real namespaces: a path is a proxy of
 * protocol `ip`; faults are the engine's, validated with the toxics' words; `enabled: false`
 * partitions the path and its drops come back as the ledger's `dropped_down`; reset, delete and
 * close remove what they should; report and saveCapture say what the path saw.
 */
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import type { NetworkPlace } from '../core/network-place.js';
import { readPcap } from './pcap-reader.js';
import { ipNetnsList } from './testing/namespaces.js';
import { describeWire } from './testing/wire-gate.js';
import { createWireBackend, type WireBackend } from './wire-backend.js';

let backend: WireBackend | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await backend?.close();
  backend = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});


/** `count` datagrams from the client side to a socket on the target side; resolves with how many arrived. */
async function datagrams(client: NetworkPlace, target: NetworkPlace, count: number): Promise<number> {
  const receiver = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => receiver.bind({ fd: target.openSocket('udp', { host: target.address, port: 0 }).fd }, resolve));
  await new Promise<void>((resolve) => sender.bind({ fd: client.openSocket('udp').fd }, resolve));
  let arrived = 0;
  receiver.on('message', () => arrived++);
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => sender.send(Buffer.alloc(32), receiver.address().port, target.address, () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 100));
  sender.close();
  receiver.close();
  return arrived;
}

async function expectFaultline(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FaultlineError);
  expect((error as FaultlineError).code).toBe(code);
  expect((error as FaultlineError).message).toMatch(message);
}

describeWire('the wire backend', () => {
  it('makes a path a proxy of protocol ip, and refuses what a path cannot be', async () => {
    backend = createWireBackend({ seed: 1 });
    expect(backend.capabilities).toMatchObject({ protocols: ['tcp', 'udp'], ledger: true, tcpFaultLevel: 'segment' });
    expect(backend.capabilities.toxics!.udp).not.toContain('reset');
    const state = await backend.createProxy({ name: 'p' });
    expect(state).toMatchObject({ name: 'p', protocol: 'ip', listen: expect.stringMatching(/^198\.1[89]\.\d+\.\d+:0$/), enabled: true, toxics: [] });
    expect(await backend.listProxies()).toEqual([state]);
    await expectFaultline(backend.createProxy({ name: 'q', protocol: 'tcp', listen: '127.0.0.1:0' }), 'INVALID_INPUT', /protocol must be "ip".*takes no listen/);
    await expectFaultline(backend.createProxy({ name: 'p' }), 'ALREADY_EXISTS', /already exists/);
    await expectFaultline(backend.addToxic('p', { type: 'slicer' }), 'INVALID_TOXIC_TYPE', /expected one of loss, latency/);
    await expectFaultline(backend.addToxic('p', { name: '(down)upstream', type: 'blackhole' }), 'INVALID_TOXIC_ATTRIBUTE', /cannot start with "\("/);
    await expectFaultline(backend.addToxic('nowhere', { type: 'loss' }), 'NOT_FOUND', /wire path "nowhere" does not exist/);
    expect((await backend.ledger('p')).proxy).toBe('p');
    await backend.deleteProxy('p');
    expect(await backend.listProxies()).toEqual([]);
  });

  it('takes a path down as a partition and counts its drops as dropped_down; reset heals it and removes every fault', async () => {
    backend = createWireBackend({ seed: 2 });
    const { client, target } = await backend.paths.create('p', {});
    await backend.addToxic('p', { type: 'latency', stream: 'downstream', attributes: { latency: 1 } });
    expect((await backend.updateProxy('p', { enabled: false })).enabled).toBe(false);
    expect(await datagrams(client, target, 20)).toBe(0);
    const ledger = await backend.ledger('p');
    expect(ledger.protocol).toBe('ip');
    expect(ledger.directions.upstream.dropped_down).toBe(20);
    expect(ledger.toxics.map((t) => t.name)).toEqual(['latency_downstream']);
    expect(ledger.events.filter((e) => e.action === 'dropped_down')).toHaveLength(20);
    expect((await backend.getProxy('p')).toxics.map((t) => t.name)).toEqual(['latency_downstream']);
    await backend.reset();
    const state = await backend.getProxy('p');
    expect(state).toMatchObject({ enabled: true, toxics: [] });
    expect(await datagrams(client, target, 10)).toBe(10);
    await expectFaultline(backend.updateProxy('p', { listen: '1.2.3.4:5' }), 'INVALID_INPUT', /only be taken down and up/);
  });

  it('reports the kernels, the engine per transport and the capture, and closes every path', async () => {
    backend = createWireBackend({ seed: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'faultline-wire-backend-'));
    dirs.push(dir);
    const { client, target } = await backend.paths.create('p', { capture: { mode: 'on-failure', dir } });
    await backend.addToxic('p', { type: 'loss', stream: 'upstream', protocol: 'udp', attributes: { probability: 0.5 } });
    const arrived = await datagrams(client, target, 200);
    const report = await backend.paths.report('p', { originNs: 0 });
    expect(report.protocols.udp!.upstream.dropped_loss).toBe(200 - arrived);
    expect(report.kernel.target.udp_in_errors).toBe(0);
    expect(report.deviceDrops).toEqual({ client: 0, target: 0 });
    expect(report.capture).toBeUndefined();
    const saved = await backend.paths.saveCapture('p');
    expect(saved).toEqual({ entered: join(dir, 'p.entered.pcap'), left: join(dir, 'p.left.pcap') });
    expect(readPcap(saved!.entered).records.filter((r) => r.data[9] === 17)).toHaveLength(200);
    expect(readPcap(saved!.left).records.filter((r) => r.data[9] === 17)).toHaveLength(arrived);
    const names = [client, target].map((side) => side.description.match(/\((fl-[^)]+)\)/)![1]!);
    expect(names.every((name) => ipNetnsList().includes(name))).toBe(true);
    await backend.close();
    expect(names.some((name) => ipNetnsList().includes(name) || existsSync(`/run/netns/${name}`))).toBe(false);
  });
});
