/**
 * The TCP engine: a listener, its live connections, and the proxy's ordered list of stream toxics
 * that every connection applies (see tcp-connection.ts and tcp-link.ts for the data path).
 *
 *   listener ──accept──▶ TcpConnection #n ──▶ upstream server
 *                         rng = proxy rng / conn:<n>, toxic rng = … / conn:<n> / <toxic name>
 *
 * Randomness is seeded per connection from its accept order `n` and per toxic from its name, so
 * the same seed and the same traffic give the same toxicity, jitter, slicing and loss decisions.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { parseHostPort, formatHostPort } from '../core/address.js';
import { FaultlineError } from '../core/errors.js';
import { LedgerCounter } from '../core/ledger.js';
import type { ToxicSpec } from '../core/spec.js';
import type { EngineDeps, ProxyEngine } from './engine.js';
import { defaultListenBacklog } from './listen-backlog.js';
import { TcpConnection } from './tcp-connection.js';

/** Creates a TCP engine for one proxy; nothing is opened until `listen`. */
export function createTcpEngine(deps: EngineDeps): ProxyEngine {
  return new TcpEngine(deps);
}

class TcpEngine implements ProxyEngine {
  private server: Server | undefined;
  private readonly connections = new Set<TcpConnection>();
  private readonly toxics: ToxicSpec[] = [];
  private readonly upstream: { host: string; port: number };
  private accepted = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: EngineDeps) {
    const upstream = parseHostPort(deps.upstream);
    if (!upstream) throw new Error(`tcp engine "${deps.name}": invalid upstream ${deps.upstream}`);
    this.upstream = upstream;
  }

  async listen(listen: string): Promise<string> {
    if (this.server || this.closing) throw new Error(`tcp engine "${this.deps.name}" is already listening or closed`);
    const address = parseHostPort(listen);
    if (!address) throw new Error(`tcp engine "${this.deps.name}": invalid listen address ${listen}`);
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    server.on('connection', (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.close();
        reject(listenError(formatHostPort(address), error));
      };
      server.once('error', onError);
      server.listen({ host: address.host, port: address.port, backlog: this.deps.listenBacklog ?? defaultListenBacklog() }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    // Errors after listening (rare: e.g. EMFILE on accept) are logged, never thrown.
    server.on('error', (error) => this.log('warn', `listener error: ${error.message}`));
    this.server = server;
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('tcp listener has no address');
    const resolved = formatHostPort({ host: bound.address, port: bound.port });
    this.log('info', `listening on ${resolved}, upstream ${this.deps.upstream}`);
    return resolved;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  addToxic(toxic: ToxicSpec): Promise<void> {
    this.toxics.push(toxic);
    // Listed in the ledger from now on, even before a connection uses it.
    this.deps.ledger.toxic(toxic.name, toxic.type, toxic.stream);
    return this.eachConnection((c) => c.addToxic(toxic));
  }

  updateToxic(toxic: ToxicSpec): Promise<void> {
    const index = this.toxics.findIndex((t) => t.name === toxic.name);
    if (index < 0) throw new Error(`tcp engine "${this.deps.name}": no toxic ${toxic.name}`);
    this.toxics[index] = toxic;
    return this.eachConnection((c) => c.updateToxic(toxic));
  }

  removeToxic(name: string): Promise<void> {
    const index = this.toxics.findIndex((t) => t.name === name);
    if (index < 0) return Promise.resolve();
    const [toxic] = this.toxics.splice(index, 1);
    return this.eachConnection((c) => c.removeToxic(toxic!));
  }

  liveCount(): number {
    return this.connections.size;
  }

  private async eachConnection(apply: (connection: TcpConnection) => Promise<void>): Promise<void> {
    await Promise.all([...this.connections].map(apply));
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const id = this.accepted++;
    const { ledger } = this.deps;
    ledger.countProxy(LedgerCounter.connectionsAccepted);
    ledger.countProxy(LedgerCounter.connectionsOpen);
    this.log('info', `accepted connection ${id} from ${formatHostPort({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 })}`);
    const connection = new TcpConnection({
      id,
      proxy: this.deps.name,
      client: socket,
      upstream: this.upstream,
      clock: this.deps.clock,
      rng: this.deps.rng.fork(`conn:${id}`),
      ledger,
      log: this.deps.log,
      ...(this.deps.busyPoll ? { busyPoll: this.deps.busyPoll } : {}),
      toxics: this.toxics,
      onClosed: (c) => {
        this.connections.delete(c);
        ledger.countProxy(LedgerCounter.connectionsOpen, -1);
      },
    });
    this.connections.add(connection);
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    await Promise.all([...this.connections].map((c) => c.destroy()));
    await serverClosed;
  }

  private log(level: 'info' | 'warn', message: string): void {
    this.deps.log({ proxy: this.deps.name, level, message });
  }
}

function listenError(listen: string, error: NodeJS.ErrnoException): FaultlineError {
  if (error.code === 'EADDRINUSE') {
    return new FaultlineError('ADDRESS_IN_USE', `listen ${listen}: address already in use`, {
      where: { path: 'listen' },
      hint: 'another process (or proxy) holds this port; pick another one, or port 0 for a free one',
      cause: error,
    });
  }
  return new FaultlineError('ADDRESS_UNAVAILABLE', `listen ${listen}: cannot bind (${error.code ?? error.message})`, {
    where: { path: 'listen' },
    hint: 'the host must be an address of this machine, e.g. 127.0.0.1 or ::1',
    cause: error,
  });
}
