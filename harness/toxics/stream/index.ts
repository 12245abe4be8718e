/** Every TCP stream toxic, in the order docs list them. */
import type { StreamToxicType } from '../types.js';

export const streamToxicTypes: readonly StreamToxicType[] = [];
