/** Every TCP stream toxic, in the order docs list them. */
import type { StreamToxicType } from '../types.js';
import { bandwidth } from './bandwidth.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { loss } from './loss.js';
import { noop } from './noop.js';
import { resetAfter } from './reset-after.js';
import { resetPeer } from './reset-peer.js';
import { slicer } from './slicer.js';
import { slowClose } from './slow-close.js';
import { timeout } from './timeout.js';

export const streamToxicTypes = [
  noop,
  latency,
  bandwidth,
  slowClose,
  timeout,
  resetPeer,
  slicer,
  limitData,
  resetAfter,
  loss,
] as const satisfies readonly StreamToxicType[];
