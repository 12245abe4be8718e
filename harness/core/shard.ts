/**
 * CI sharding: `faultline run --shard 2/3` runs one third of the scenarios; `report merge` joins
 * the shards' results. The runner selects with `selectShard`, which must give every machine the
 * same split whatever the order it discovered files in, and split as evenly as possible.
 *
 * Method: sort the ids by UTF-16 code units (locale-independent, unlike localeCompare), deal them
 * round-robin: the k-th id in that order goes to shard (k mod total) + 1. Shard sizes differ by
 * at most one (a hash of the id would be as stable but uneven for small suites). Adding a
 * scenario may move others to another shard; nothing depends on a scenario staying put.
 */
import { FaultlineError } from './errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

/** The largest shard count accepted: more shards than that is a typo, not a CI matrix. */
export const MAX_SHARDS = 1000;

const SHARD = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** Parses `2/3` (shard 2 of 3). Throws FaultlineError INVALID_ARGUMENT saying what was wrong. */
export function parseShard(text: string, flag = '--shard'): Shard {
  const match = SHARD.exec(text);
  const where = { path: flag };
  if (!match) {
    throw new FaultlineError('INVALID_ARGUMENT', `${flag} must be INDEX/TOTAL such as 2/3, got ${JSON.stringify(text)}`, {
      where,
      hint: 'shards count from 1: --shard 1/3, --shard 2/3, --shard 3/3',
    });
  }
  const index = Number(match[1]);
  const total = Number(match[2]);
  if (total < 1 || total > MAX_SHARDS) {
    throw new FaultlineError('INVALID_ARGUMENT', `${flag} total must be between 1 and ${MAX_SHARDS}, got ${total} in ${JSON.stringify(text)}`, { where });
  }
  if (index < 1 || index > total) {
    throw new FaultlineError('INVALID_ARGUMENT', `${flag} index must be between 1 and ${total}, got ${index} in ${JSON.stringify(text)}`, {
      where,
      hint: 'shards count from 1, so the first of three is --shard 1/3',
    });
  }
  return { index, total };
}

/**
 * The items of shard `index` of `total` (1-based), in their original order. Pure and
 * deterministic: depends only on the ids (see the header for the method). Items with equal ids
 * keep their relative order.
 */
export function selectShard<T extends { id: string }>(items: readonly T[], index: number, total: number): T[] {
  if (!Number.isInteger(total) || total < 1 || !Number.isInteger(index) || index < 1 || index > total) {
    throw new FaultlineError('INVALID_ARGUMENT', `shard must be INDEX/TOTAL with 1 ≤ INDEX ≤ TOTAL, got ${index}/${total}`, { where: { path: '--shard' } });
  }
  const order = items.map((item, position) => ({ id: item.id, position }));
  order.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.position - b.position));
  const chosen = new Set<number>();
  order.forEach((entry, k) => {
    if (k % total === index - 1) chosen.add(entry.position);
  });
  return items.filter((_, position) => chosen.has(position));
}
