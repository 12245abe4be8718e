/**
 * Waiting for a stream's buffered output to reach the kernel before the process exits.
 *
 * When stdout is a socket (what `spawn`, `execSync` and `spawnSync` give a child) or a pipe on
 * some systems, a write the kernel cannot take at once waits in the stream's buffer, and
 * `process.exit()` drops it. Waiting for `drain` is not enough: Node emits it only after the
 * buffer went above its high-water mark (16 KiB), so a tail smaller than that was lost.
 */

/** Resolves once everything written to `stream` so far has been handed to the kernel (or failed). */
export function flushStream(stream: NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean }): Promise<void> {
  if (!stream.writableLength || stream.destroyed) return Promise.resolve();
  // Writes complete in order: the callback of an empty write runs after every earlier one.
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}
