import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.js';
import { parseProcNetCounters, parseProcNetDev, summarizeKernelCounters } from './kernel-counters.js';
import { patchWireFault, resolveWireFault } from './resolve-fault.js';
import { pathAddresses } from './topology.js';

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

describe('wire addresses and kernel counters', () => {
  it('give each path four addresses of 198.18.0.0/15', () => {
    expect(pathAddresses(0)).toEqual({ client: '198.18.0.1', target: '198.18.0.2' });
    expect(pathAddresses(64)).toEqual({ client: '198.18.1.1', target: '198.18.1.2' });
    expect(pathAddresses(32767)).toEqual({ client: '198.19.255.253', target: '198.19.255.254' });
  });

  it('parse /proc/net/snmp, netstat and dev', () => {
    const snmp = 'Tcp: RtoAlgorithm RetransSegs InCsumErrors\nTcp: 1 714 0\nUdp: InDatagrams InErrors RcvbufErrors InCsumErrors\nUdp: 10 3 1 2\n';
    const netstat = 'TcpExt: TCPTimeouts TCPFastRetrans TCPSackRecovery\nTcpExt: 2 700 51\n';
    const counters = parseProcNetCounters(netstat, parseProcNetCounters(snmp));
    expect(counters).toEqual({
      Tcp: { RtoAlgorithm: 1, RetransSegs: 714, InCsumErrors: 0 },
      Udp: { InDatagrams: 10, InErrors: 3, RcvbufErrors: 1, InCsumErrors: 2 },
      TcpExt: { TCPTimeouts: 2, TCPFastRetrans: 700, TCPSackRecovery: 51 },
    });
    expect(summarizeKernelCounters(counters)).toMatchObject({ tcp_retransmits: 714, tcp_rto: 2, tcp_fast_retransmits: 700, udp_in_checksum_errors: 2 });
    const dev = 'Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed\nfl1c: 100 2 0 1 0 0 0 0 300 4 0 5 0 0 0 0\n';
    expect(parseProcNetDev(dev, 'fl1c')).toEqual({ rxPackets: 2, rxDropped: 1, txPackets: 4, txDropped: 5 });
  });
});
