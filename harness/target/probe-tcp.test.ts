import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { NetworkPlace } from '../core/network-place.js';
import { probeTcp } from './probe-tcp.js';

describe('probeTcp', () => {
  it('says whether something accepts connections, on real loopback sockets', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    expect(await probeTcp('127.0.0.1', port, 2000)).toEqual({ ok: true });
    await new Promise((resolve) => server.close(resolve));
    expect(await probeTcp('127.0.0.1', port, 2000)).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });

  it('resolves, never rejects, when its place cannot open a socket', async () => {
    // A place that has run out of descriptors: openSocket throws as the system call failed.
    const exhausted = {
      description: 'a place with no descriptors left',
      address: '198.18.0.2',
      openSocket: () => {
        throw Object.assign(new Error('socket: too many open files'), { code: 'EMFILE' });
      },
    } as unknown as NetworkPlace;
    expect(await probeTcp('198.18.0.2', 80, 2000, undefined, exhausted)).toEqual({ ok: false, code: 'EMFILE', message: 'socket: too many open files' });
  });
});
