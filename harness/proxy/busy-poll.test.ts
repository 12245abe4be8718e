import { describe, expect, it } from 'vitest';
import { BusyPoll } from './busy-poll.js';

/** Immediates queued now: a spinning BusyPoll always has exactly one. */
function immediates(): number {
  return (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Immediate').length;
}

async function waitMs(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('BusyPoll', () => {
  it('spins after a touch and stops once the window has passed without activity', async () => {
    const poll = new BusyPoll(5);
    const before = immediates();
    poll.touch(64);
    poll.touch(64);
    expect(immediates()).toBe(before + 1);
    await waitMs(30);
    expect(immediates()).toBe(before);
  });

  it('keeps spinning while touched; a window of 0, or a bulk read, never starts a spin', async () => {
    const poll = new BusyPoll(20);
    const before = immediates();
    for (let i = 0; i < 5; i++) {
      poll.touch(64);
      await waitMs(5);
      expect(immediates()).toBe(before + 1);
    }
    new BusyPoll(0).touch(64);
    new BusyPoll(20).touch(64 * 1024);
    await waitMs(40);
    expect(immediates()).toBe(before);
  });
});
