/** `noop`: passes every chunk through unchanged (Toxiproxy registers it too; useful in tests). */
import type { StreamToxicType } from '../types.js';

export const noop: StreamToxicType = {
  type: 'noop',
  protocol: 'tcp',
  summary: 'Passes bytes through unchanged.',
  attributes: {},
  create: () =>
    async function* noopToxic(input) {
      yield* input;
    },
};
