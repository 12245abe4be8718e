/**
 * What the sink's worker thread tells the main thread: one ordered stream of small fixed-size
 * records (a Float64Array, EVENT_SLOTS numbers each) plus the rare strings they refer to, posted in
 * batches. The worker does the per-byte work (reading sockets, re-framing, CRC32C of every
 * payload); the main thread turns each record into the same accounting calls the in-thread sink
 * made (flow-receiver.ts), so what is measured does not change, only where the bytes are read.
 *
 *   worker: socket data ─▶ FrameReader ─▶ SinkEventWriter.write(kind, …) ─▶ [batch] ─▶ postMessage
 *   main:   'message' ─▶ for each record: switch (kind) ─▶ FlowReceiver.frame / tcpBytes / …
 *
 * Why records and not objects: structured-cloning an object per frame costs more than reading the
 * frame; one Float64Array per batch is a single copy. A batch is posted when full, or at most
 * FLUSH_AFTER_MS after its first record, so the main thread's view lags by about a millisecond
 * (`flush` round trips make it exact where that matters: a workload collecting its results).
 * Every number carried fits a double exactly (u32 ids, sequence numbers and nanosecond times
 * below 2^53).
 */
import type { HostPort } from '../../core/address.js';

/** Record kinds (slot 0). Slots 1.. as listed; unused slots are 0. */
export const SinkEventKind = {
  /** 1 connection id, 2 string: remote `host:port`. */
  tcpOpen: 1,
  /** 1 connection id, 2 bytes read, 3 arrival (wire ns). */
  tcpBytes: 2,
  /** 1 connection id, 2 workload id, 3 flow id, 4 seq, 5 sent (wire ns), 6 payload length × 2 + intact, 7 arrival (wire ns). */
  tcpFrame: 3,
  /** 1 connection id, 2 bytes of a run that did not parse as frames. */
  tcpGarbage: 4,
  /** 1 connection id, 2 string: code, 3 string: message, 4 when (wire ns). */
  tcpError: 5,
  /** 1 connection id: the socket closed. */
  tcpClose: 6,
  /** 1 remote id, 2 string: address, 3 port. Sent before the remote's first datagram. */
  udpRemote: 7,
  /** 1 remote id, then as tcpFrame from slot 2. */
  udpFrame: 8,
  /** 1 remote id, 2 datagram bytes, 3 arrival (wire ns): a datagram whose header is damaged. */
  udpUnidentified: 9,
  /**
   * 1 connection id, 2 bytes of a frame cut off by the end of the stream. The stream ended (the
   * peer's FIN, or a close without one); written before the sink's own FIN goes out, so a sender
   * that has seen that FIN and then collects finds it.
   */
  tcpEnd: 10,
} as const;

export const EVENT_SLOTS = 8;
/** Records per batch before it is posted without waiting. */
export const BATCH_EVENTS = 2048;
/** The longest a record waits in a partial batch, ms. */
export const FLUSH_AFTER_MS = 1;

export interface SinkEventBatch {
  /** `count × EVENT_SLOTS` numbers. */
  events: Float64Array;
  strings: string[];
}

/** Where the sink listens (its worker gets this as workerData); a port, or false for none. */
export interface SinkListenOptions {
  host: string;
  /** Port, or false for no TCP listener. */
  tcp: number | false;
  udp: number | false;
  /** Sockets already opened and bound elsewhere (a wire path's target side), to listen on instead. */
  fds?: { tcp?: number; udp?: number };
}

/** A listen failure, as plain data (errors do not cross threads with their fields). */
export interface ListenFailure {
  /** A FaultlineError's code (ADDRESS_IN_USE…), or undefined for anything else. */
  faultlineCode?: string;
  message: string;
  hint?: string;
}

export type SinkWorkerMessage =
  | { type: 'listening'; tcp?: HostPort; udp?: HostPort }
  | { type: 'listen-failed'; failure: ListenFailure }
  | ({ type: 'events' } & SinkEventBatch)
  | { type: 'flushed'; id: number }
  | { type: 'closed' };

export type SinkControlMessage =
  | { type: 'flush'; id: number }
  | { type: 'close' };

/** Packs a frame's payload length and verdict into one slot. */
export function packLength(payloadLength: number, intact: boolean): number {
  return payloadLength * 2 + (intact ? 1 : 0);
}

/** Where the sink's socket side writes its records. */
export interface SinkEventOutput {
  write(kind: number, a: number, b?: number, c?: number, d?: number, e?: number, f?: number, g?: number): void;
  /** Adds a string for the next record to refer to; returns its index. */
  string(text: string): number;
}

/** Worker side: collects records and posts them in batches. */
export class SinkEventWriter implements SinkEventOutput {
  private events = new Float64Array(BATCH_EVENTS * EVENT_SLOTS);
  private used = 0;
  private strings: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly post: (batch: SinkEventBatch) => void) {}

  write(kind: number, a: number, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0): void {
    const events = this.events;
    const at = this.used;
    events[at] = kind;
    events[at + 1] = a;
    events[at + 2] = b;
    events[at + 3] = c;
    events[at + 4] = d;
    events[at + 5] = e;
    events[at + 6] = f;
    events[at + 7] = g;
    this.used = at + EVENT_SLOTS;
    if (this.used === events.length) this.flush();
    // A plain timer, not the precise Clock: this only bounds how stale the main thread's view is.
    else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
  }

  string(text: string): number {
    return this.strings.push(text) - 1;
  }

  /** Posts what is buffered now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used === 0) return;
    const batch = { events: this.events.slice(0, this.used), strings: this.strings };
    this.used = 0;
    this.strings = [];
    this.post(batch);
  }
}
