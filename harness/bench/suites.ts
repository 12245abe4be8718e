/** Every benchmark suite, in the order `npm run bench` runs them. */
import { exploreSuite } from './explore.js';
import { tcpForwardingSuite } from './tcp-forwarding.js';
import { tcpProxySuite } from './tcp-proxy.js';
import { udpProxySuite } from './udp-proxy.js';
import { soakSuite } from './soak.js';
import type { BenchSuite } from './types.js';
import { wireSuite } from './wire.js';
import { workloadsSuite } from './workloads.js';

export const suites: BenchSuite[] = [tcpProxySuite, tcpForwardingSuite, udpProxySuite, workloadsSuite, wireSuite, soakSuite, exploreSuite];
