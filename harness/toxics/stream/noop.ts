/** `noop`: passes every chunk through unchanged (Toxiproxy registers it too; useful in tests). */
import { defineStreamToxic } from '../types.js';

export const noop = defineStreamToxic({
  type: 'noop',
  summary: 'Passes bytes through unchanged.',
  attributes: {},
  effects: () => [],
  create: () =>
    async function* noopToxic(input) {
      yield* input;
    },
});
