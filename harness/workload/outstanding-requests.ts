/**
 * Requests waiting for their reply, each with a deadline. Deadlines grow in send order (send time
 * plus one fixed timeout), so one timer on the oldest request serves them all: when it fires,
 * everything due expires, and the timer moves on to the next oldest.
 */
import type { Clock, Timer } from '../core/clock.js';

export interface OutstandingRequest {
  /** Wire time the request was sent, ns. */
  sentNs: number;
  /** Clock ms after which it is given up. */
  deadlineMs: number;
}

export class OutstandingRequests {
  private readonly bySeq = new Map<number, OutstandingRequest>();
  private order: number[] = [];
  private head = 0;
  private timer: Timer | undefined;
  private cancelled = false;

  constructor(
    private readonly clock: Clock,
    /** Called once per request whose deadline passed without a reply. */
    private readonly onExpired: (seq: number, request: OutstandingRequest) => void,
  ) {}

  get size(): number {
    return this.bySeq.size;
  }

  add(seq: number, sentNs: number, deadlineMs: number): void {
    this.bySeq.set(seq, { sentNs, deadlineMs });
    this.order.push(seq);
    if (this.timer === undefined && !this.cancelled) this.arm();
  }

  /** Removes and returns the request, or undefined if it is not waiting (answered or expired). */
  take(seq: number): OutstandingRequest | undefined {
    const request = this.bySeq.get(seq);
    if (request !== undefined) this.bySeq.delete(seq);
    return request;
  }

  /** Stops the timer; nothing expires after this. */
  cancel(): void {
    this.cancelled = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private oldest(): number | undefined {
    while (this.head < this.order.length && !this.bySeq.has(this.order[this.head]!)) this.head++;
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    return this.order[this.head];
  }

  private arm(): void {
    const seq = this.oldest();
    if (seq === undefined) {
      this.timer = undefined;
      return;
    }
    this.timer = this.clock.scheduleAt(this.bySeq.get(seq)!.deadlineMs, () => {
      this.timer = undefined;
      const now = this.clock.now();
      for (let next = this.oldest(); next !== undefined && !this.cancelled; next = this.oldest()) {
        const request = this.bySeq.get(next)!;
        if (request.deadlineMs > now) break;
        this.bySeq.delete(next);
        this.onExpired(next, request);
      }
      if (!this.cancelled) this.arm();
    });
  }
}
