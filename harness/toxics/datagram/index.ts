/** Every UDP datagram toxic, in the order docs list them. */
import type { DatagramToxicType } from '../types.js';

export const datagramToxicTypes: readonly DatagramToxicType[] = [];
