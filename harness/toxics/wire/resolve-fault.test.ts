import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../core/errors.js';
import { patchWireFault, resolveWireFault } from './resolve-fault.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FaultlineError);
    return (error as FaultlineError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a FaultlineError');
}

describe('wire faults', () => {
  it('take the datagram toxics’ attributes, defaults and the optional match', () => {
    expect(resolveWireFault({ type: 'loss', stream: 'upstream', protocol: 'tcp', port: 80, attributes: { probability: 0.05 } })).toEqual({
      name: 'loss_upstream',
      type: 'loss',
      stream: 'upstream',
      toxicity: 1,
      protocol: 'tcp',
      port: 80,
      attributes: { probability: 0.05, burst: 1 },
    });
    expect(resolveWireFault({ type: 'latency' }).attributes).toEqual({ latency: 0, jitter: 0, allow_reorder: 0 });
    expect(resolveWireFault({ type: 'bandwidth' }).attributes).toEqual({ rate: 1000, queue: 1000, queue_bytes: 0, bucket: 0 });
  });

  it('suggest the type a misspelt one was probably meant to be', () => {
    const hintOf = (type: unknown) => {
      try {
        resolveWireFault({ type });
      } catch (error) {
        return (error as FaultlineError).hint;
      }
      throw new Error('expected a FaultlineError');
    };
    expect(hintOf('mtus')).toBe('did you mean "mtu"?');
    expect(hintOf('blackhol')).toBe('did you mean "blackhole"?');
    expect(hintOf('warp')).toBeUndefined();
    expect(hintOf(3)).toBeUndefined();
  });

  it('have names of at most 256 characters, as toxics and proxies do', () => {
    expect(problemsOf(() => resolveWireFault({ type: 'loss', name: 'x'.repeat(257) }, [], 'faults[0]'))).toEqual(['faults[0].name: name is too long: 257 characters, at most 256']);
    expect(problemsOf(() => resolveWireFault({ type: 'loss', name: 7 }))).toEqual(['name: expected a string, got 7 (number)']);
    expect(resolveWireFault({ type: 'loss', name: 'x'.repeat(256) }).name).toHaveLength(256);
  });

  it('report every problem at once, with the field', () => {
    expect(
      problemsOf(() => resolveWireFault({ type: 'loss', stream: 'sideways', toxicity: 2, protocol: 'icmp', port: 70000, attributes: { probability: 0.9, burst: 2, nope: 1 } })),
    ).toEqual([
      'stream: stream was invalid, can be either upstream or downstream; got "sideways" (a string)',
      'toxicity: toxicity must be a number from 0 to 1, got 2 (number)',
      'protocol: protocol must be tcp or udp, got "icmp" (a string)',
      'port: port must be an integer from 1 to 65535, got 70000 (number)',
      'attributes.nope: unknown attribute "nope"',
    ]);
    expect(problemsOf(() => resolveWireFault({ type: 'loss', attributes: { probability: 0.9, burst: 2 } }))).toEqual([
      'attributes.probability: with burst 2, probability can be at most burst/(1+burst) = 0.6667, got 0.9',
    ]);
    expect(problemsOf(() => resolveWireFault({ type: 'reset', protocol: 'udp' }))).toEqual(['protocol: a reset fault acts on TCP connections only, got protocol udp']);
    expect(() => resolveWireFault({ type: 'netem' })).toThrow(/invalid wire fault type: expected one of loss, latency, reorder, duplicate, corrupt, bandwidth, mtu, blackhole, reset/);
    expect(() => resolveWireFault({ type: 'mtu' }, ['mtu_downstream'])).toThrow(/already exists/);
  });

  it('merge updates and keep the match unless it is given', () => {
    const current = resolveWireFault({ type: 'latency', stream: 'downstream', port: 53, attributes: { latency: 50, jitter: 5 } });
    expect(patchWireFault(current, { attributes: { jitter: 10 } })).toEqual({ ...current, attributes: { latency: 50, jitter: 10, allow_reorder: 0 } });
    expect(patchWireFault(current, { protocol: 'udp' })).toEqual({ ...current, protocol: 'udp' });
    expect(problemsOf(() => patchWireFault(current, { attributes: { latency: -1 } }))).toEqual(['attributes.latency: must be at least 0 (ms), got -1']);
  });
});
