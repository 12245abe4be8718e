/** `noop`: passes every datagram on unchanged (a placeholder, and a baseline for benchmarks). */
import type { DatagramToxicType } from '../types.js';

export const noop: DatagramToxicType = {
  type: 'noop',
  protocol: 'udp',
  summary: 'Passes every datagram on unchanged.',
  attributes: {},
  create: () => (datagram, emit) => emit(datagram),
};
