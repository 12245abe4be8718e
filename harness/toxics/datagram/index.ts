/** Every UDP datagram toxic, in the order docs list them. */
import type { DatagramToxicType } from '../types.js';
import { bandwidth } from './bandwidth.js';
import { corrupt } from './corrupt.js';
import { duplicate } from './duplicate.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { loss } from './loss.js';
import { noop } from './noop.js';
import { reorder } from './reorder.js';
import { timeout } from './timeout.js';

export const datagramToxicTypes = [
  noop,
  latency,
  loss,
  reorder,
  duplicate,
  corrupt,
  bandwidth,
  timeout,
  limitData,
] as const satisfies readonly DatagramToxicType[];
