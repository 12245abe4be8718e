/** `noop`: passes every datagram on unchanged (a placeholder, and a baseline for benchmarks). */
import { defineDatagramToxic } from '../types.js';

export const noop = defineDatagramToxic({
  type: 'noop',
  summary: 'Passes every datagram on unchanged.',
  attributes: {},
  effects: () => [],
  create: () => (datagram, emit) => emit(datagram),
});
