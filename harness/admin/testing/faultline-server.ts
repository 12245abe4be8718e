/**
 * For tests: a `faultline proxy` admin server in the test's process, over an embedded proxy, on a
 * free loopback port — what a remote backend talks to. `close()` stops both.
 */
import { createEmbeddedProxy, type EmbeddedProxy } from '../../proxy/embedded-proxy.js';
import { createAdminServer } from '../server.js';

export interface FaultlineServer {
  readonly url: string;
  /** The proxy behind the API, to look at what a client left there. */
  readonly embedded: EmbeddedProxy;
  close(): Promise<void>;
}

export async function startFaultlineServer(seed = 1): Promise<FaultlineServer> {
  const embedded = createEmbeddedProxy({ seed });
  const server = await createAdminServer({ backend: embedded, port: 0 }).catch(async (error: unknown) => {
    await embedded.close();
    throw error;
  });
  return {
    url: server.url,
    embedded,
    close: async () => {
      await server.close();
      await embedded.close();
    },
  };
}
