import { describe, expect, it } from 'vitest';
import { diffKernelUdpCounters, parseSnmpUdp, readKernelUdpCounters } from './kernel-udp-counters.js';

const SNMP = `Ip: Forwarding DefaultTTL
Ip: 1 64
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 1000 3 7 990 7 0 0 0 0
UdpLite: InDatagrams NoPorts
UdpLite: 0 0
`;

describe('kernel UDP counters', () => {
  it('parses the Udp lines of /proc/net/snmp', () => {
    expect(parseSnmpUdp(SNMP)).toEqual({ InDatagrams: 1000, NoPorts: 3, InErrors: 7, OutDatagrams: 990, RcvbufErrors: 7, SndbufErrors: 0 });
    expect(parseSnmpUdp('nothing here')).toBeUndefined();
  });

  it('diffs two snapshots', () => {
    const before = parseSnmpUdp(SNMP)!;
    const after = { ...before, InDatagrams: 1500, RcvbufErrors: 9 };
    expect(diffKernelUdpCounters(before, after)).toMatchObject({ InDatagrams: 500, RcvbufErrors: 2, NoPorts: 0 });
    expect(diffKernelUdpCounters(undefined, after)).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('reads the live counters on Linux', () => {
    expect(readKernelUdpCounters()).toHaveProperty('InDatagrams');
  });

  it('is undefined where the file does not exist', () => {
    expect(readKernelUdpCounters('/nonexistent/snmp')).toBeUndefined();
  });
});
