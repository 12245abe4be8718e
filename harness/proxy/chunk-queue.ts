/**
 * The FIFO between two stages of a TCP toxic chain, and the sink interface every stage writes to.
 *
 *   previous stage ──push()──▶ [ChunkQueue] ──iterate(signal)──▶ toxic ──push()──▶ next sink
 *
 * The producer side (`push`, `end`) is synchronous, so the engine can redirect a stage's output
 * between two pushes without anything interleaving. The consumer side is an async iterable that
 * ends either at the end marker (the source sent FIN) or as soon as the stage's signal aborts — in
 * which case whatever is still queued stays here for the engine to pass on (`drainInto`).
 */
import type { Chunk } from '../toxics/types.js';

/** Where a stage (or the socket reader) delivers chunks. `end` is idempotent. */
export interface ChunkSink {
  push(chunk: Chunk): void;
  /** No more chunks: the source sent FIN, or the stage before finished. */
  end(): void;
  /** True once `end` was called. */
  readonly ended: boolean;
}

export class ChunkQueue implements ChunkSink {
  private items: Chunk[] = [];
  private head = 0;
  private endMarked = false;
  /** Set once the consumer finished for good: later pushes are discarded. */
  private closed = false;
  private wake: (() => void) | null = null;

  get ended(): boolean {
    return this.endMarked;
  }

  /** Chunks waiting to be pulled. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(chunk: Chunk): void {
    if (this.endMarked || this.closed) return;
    this.items.push(chunk);
    this.notify();
  }

  end(): void {
    if (this.endMarked) return;
    this.endMarked = true;
    this.notify();
  }

  /** Discards queued chunks and everything pushed later (the consumer is gone for good). */
  close(): void {
    this.closed = true;
    this.items = [];
    this.head = 0;
    this.notify();
  }

  /** Wakes a consumer waiting for input, so it can notice that its signal aborted. */
  notify(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = null;
      wake();
    }
  }

  /**
   * Moves every queued chunk into `sink`, in order, followed by the end marker if it was queued.
   * Used when the stage reading this queue is removed or deactivated.
   */
  drainInto(sink: ChunkSink): void {
    for (let i = this.head; i < this.items.length; i++) sink.push(this.items[i]!);
    this.items = [];
    this.head = 0;
    if (this.endMarked) sink.end();
  }

  /**
   * The consumer's view. Pulls in order; finishes at the end marker, or when `signal` aborts
   * (leaving the rest queued). One consumer at a time. `onPull` sees each chunk as it leaves.
   */
  iterate(signal: AbortSignal, onPull?: (chunk: Chunk) => void): AsyncIterable<Chunk> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Chunk>> => {
          for (;;) {
            if (signal.aborted || this.closed) return { done: true, value: undefined };
            if (this.head < this.items.length) {
              const chunk = this.shift();
              onPull?.(chunk);
              return { done: false, value: chunk };
            }
            if (this.endMarked) return { done: true, value: undefined };
            await new Promise<void>((resolve) => {
              this.wake = resolve;
            });
          }
        },
        // A consumer that stops early (break, return) leaves the rest queued.
        return: async (): Promise<IteratorResult<Chunk>> => ({ done: true, value: undefined }),
      }),
    };
  }

  private shift(): Chunk {
    const chunk = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as Chunk;
    this.head++;
    // Compact once the consumed prefix dominates, keeping push/shift amortised O(1).
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return chunk;
  }
}
