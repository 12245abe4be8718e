/**
 * Workloads close what they open: after each run (and the servers' close) no socket of theirs is
 * left in the process.
 */
import { describe, expect, it, vi } from 'vitest';
import { createEchoServer } from './servers/echo-server.js';
import { createSinkServer } from './servers/sink-server.js';
import { runTcpEcho } from './tcp-echo.js';
import { runTcpStream } from './tcp-stream.js';
import { closedPort, startMisbehavingServer } from './testing/misbehaving-servers.js';
import { common, testContext } from './testing/workload-harness.js';
import { runUdpEcho } from './udp-echo.js';
import { runUdpStream } from './udp-stream.js';

const SOCKETS = ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap'];
const sockets = () => process.getActiveResourcesInfo().filter((r) => SOCKETS.includes(r)).length;

describe('no sockets left behind', () => {
  it('after every workload kind, failures included', async () => {
    const before = sockets();
    const echo = await createEchoServer();
    const sink = await createSinkServer();
    const silent = await startMisbehavingServer('silent');
    await runTcpEcho({ ...common({ connections: 3 }), type: 'tcp-echo' }, testContext(echo.tcp!));
    await runTcpEcho({ ...common({ timeoutMs: 50 }), type: 'tcp-echo' }, testContext(silent.address));
    await runTcpEcho({ ...common(), type: 'tcp-echo' }, testContext(await closedPort()));
    await runUdpEcho({ ...common({ connections: 2 }), type: 'udp-echo' }, testContext(echo.udp!));
    await runTcpStream({ ...common({ connections: 2 }), type: 'tcp-stream' }, testContext(sink.tcp!, { sink }));
    await runUdpStream({ ...common({ rate: 10_000 }), type: 'udp-stream' }, testContext(sink.udp!, { sink }));
    await Promise.all([echo.close(), sink.close(), silent.close()]);
    // Closed handles leave the list a loop turn or two after their close callback.
    await vi.waitFor(() => expect(sockets()).toBe(before), { timeout: 1000 });
  });
});
