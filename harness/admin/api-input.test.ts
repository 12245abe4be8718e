import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import type { ProxyState, ToxicSpec } from '../core/spec.js';
import { errorBody } from './api-error.js';
import { DEFAULT_LISTEN, populateInputFrom, proxyInputFrom, proxyPatchFrom, toxicInputFrom, toxicPatchFrom } from './api-input.js';
import { loadProxyConfig } from './proxy-config.js';

async function rejected(promise: Promise<unknown>): Promise<FaultlineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof FaultlineError) return error;
  throw new Error(`expected a FaultlineError, got ${String(error)}`);
}

function thrown(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FaultlineError) return error;
    throw error;
  }
  throw new Error('expected a FaultlineError');
}

const state: ProxyState = { name: 'db', protocol: 'tcp', listen: '127.0.0.1:1', upstream: '127.0.0.1:2', enabled: true, toxics: [] };
const toxic: ToxicSpec = { name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } };

describe('proxyInputFrom', () => {
  it("uses Toxiproxy's words for missing fields, name before upstream", () => {
    const error = thrown(() => proxyInputFrom({ listen: ':0' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe('missing required field: name (and 1 more)');
    expect(error.problems.map((p) => p.path)).toEqual(['name', 'upstream']);
    expect(thrown(() => proxyInputFrom({ name: 'db', upstream: '' })).message).toBe('missing required field: upstream');
  });

  it('defaults listen to loopback on a free port and keeps extensions', () => {
    expect(proxyInputFrom({ name: 'db', upstream: 'x:1', protocol: 'udp', session_idle_timeout: 5, Logger: {} })).toEqual({
      name: 'db',
      upstream: 'x:1',
      listen: DEFAULT_LISTEN,
      protocol: 'udp',
      session_idle_timeout: 5,
    });
  });

  it('ignores an empty toxics list (the Go client sends null) but rejects toxics it would drop', () => {
    expect(() => proxyInputFrom({ name: 'db', upstream: 'x:1', toxics: null })).not.toThrow();
    expect(() => proxyInputFrom({ name: 'db', upstream: 'x:1', toxics: [] })).not.toThrow();
    const error = thrown(() => proxyInputFrom({ name: 'db', upstream: 'x:1', toxics: [{ type: 'latency' }] }));
    expect(error.problems[0]).toMatchObject({ path: 'toxics' });
    expect(error.hint).toMatch(/toxics/);
  });

  it('rejects a body that is not an object with "bad request body"', () => {
    const error = thrown(() => proxyInputFrom([]));
    expect(error.message).toBe('bad request body: expected a proxy as a JSON object, got an array');
  });
});

describe('populateInputFrom', () => {
  it('checks every entry first and says "at proxy N" (1-based) like Toxiproxy', () => {
    const error = thrown(() => populateInputFrom([{ name: 'a', upstream: 'x:1' }, { upstream: 'x:2' }, 'oops']));
    expect(error.message).toBe('missing required field: name at proxy 2 (and 1 more)');
    expect(error.problems.map((p) => p.path)).toEqual(['[1].name', '[2]']);
  });

  it('rejects an object with the expected shape in the hint', () => {
    const error = thrown(() => populateInputFrom({ proxies: [] }));
    expect(error.message).toMatch(/^bad request body: expected a JSON array of proxies, got an object/);
  });
});

describe('patches', () => {
  it('proxy patch passes what can change and ignores toxics', () => {
    expect(proxyPatchFrom({ name: 'db', enabled: false, listen: 'x:1', toxics: [toxic] }, state)).toEqual({ enabled: false, listen: 'x:1' });
  });

  it('proxy patch rejects a rename or a protocol change', () => {
    const error = thrown(() => proxyPatchFrom({ name: 'other', protocol: 'udp' }, state));
    expect(error.problems.map((p) => p.path)).toEqual(['name', 'protocol']);
  });

  it('toxic input passes only toxic fields', () => {
    expect(toxicInputFrom({ type: 'latency', attributes: { latency: 1 }, extra: 1 })).toEqual({ type: 'latency', attributes: { latency: 1 } });
  });

  it('toxic patch accepts the whole toxic back when unchanged (stream case-insensitive)', () => {
    expect(toxicPatchFrom({ ...toxic, stream: 'DOWNSTREAM', toxicity: 0.5 }, toxic)).toEqual({ toxicity: 0.5, attributes: toxic.attributes });
  });

  it('toxic patch rejects a different type or stream, naming the field', () => {
    const error = thrown(() => toxicPatchFrom({ type: 'bandwidth', stream: 'upstream' }, toxic));
    expect(error.problems.map((p) => p.path)).toEqual(['type', 'stream']);
    expect(error.message).toMatch(/^type cannot change: it is "latency"/);
  });
});

describe('errorBody', () => {
  it('starts with Toxiproxy phrases and keeps faultline detail', () => {
    expect(errorBody(new FaultlineError('NOT_FOUND', 'no proxy named "x"'), 'proxy')).toEqual({
      error: 'proxy not found: no proxy named "x"',
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(errorBody(new FaultlineError('ALREADY_EXISTS', 'toxic already exists: "lat"'), 'toxic').error).toBe('toxic already exists: "lat"');
    const stream = new FaultlineError('INVALID_TOXIC_ATTRIBUTE', 'stream: got "x"', { problems: [{ path: 'stream', message: 'got "x"' }] });
    expect(errorBody(stream, 'toxic')).toMatchObject({
      error: 'stream was invalid, can be either upstream or downstream: stream: got "x"',
      status: 400,
      problems: [{ path: 'stream' }],
    });
  });

  it('maps an internal error to 500 INTERNAL', () => {
    expect(errorBody(new Error('boom'), 'proxy')).toEqual({ error: 'internal error: boom', status: 500, code: 'INTERNAL' });
  });
});

describe('loadProxyConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a JSON array of proxies, protocol included', async () => {
    const file = join(dir, 'ok.json');
    await writeFile(file, JSON.stringify([{ name: 'dns', upstream: '127.0.0.1:53', protocol: 'udp' }]));
    expect(await loadProxyConfig(file)).toEqual([{ name: 'dns', upstream: '127.0.0.1:53', listen: DEFAULT_LISTEN, protocol: 'udp' }]);
  });

  it('names the file and the position of a JSON syntax error', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '[\n  {"name": "db",\n   }\n]');
    const error = await rejected(loadProxyConfig(file));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(file);
    expect(error.where?.file).toBe(file);
  });

  it('names the file on shape errors and a missing file', async () => {
    const file = join(dir, 'shape.json');
    await writeFile(file, '[{"upstream": "127.0.0.1:1"}]');
    const error = await rejected(loadProxyConfig(file));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.problems[0]).toMatchObject({ file, path: '[0].name', message: 'missing required field: name at proxy 1' });
    const missing = await rejected(loadProxyConfig(join(dir, 'nope.json')));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('nope.json');
  });
});
