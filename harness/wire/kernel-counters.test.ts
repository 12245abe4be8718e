import { describe, expect, it } from 'vitest';
import { parseProcNetCounters } from '../core/proc-net-counters.js';
import { parseProcNetDev, summarizeKernelCounters } from './kernel-counters.js';
import { pathAddresses } from './topology.js';

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
