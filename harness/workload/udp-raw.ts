/**
 * `udp-raw`: for UDP servers that do not speak faultline's framing. Each of `connections` flows
 * (its own connected socket) sends the `requests` list `repeat` times (or for `durationMs`), one
 * datagram at a time, and takes the next datagram that comes back as the response, checking it
 * against the expectation. No response within `timeoutMs` means the exchange was lost (loss is
 * data, not an error); a response that arrives later is taken as the answer to a later request,
 * exactly as a naive client would, and shows up as a mismatch.
 */
import type dgram from 'node:dgram';
import type { Timer } from '../core/clock.js';
import type { WorkloadResult } from '../core/result.js';
import { assembleWorkloadResult } from '../metrics/assemble-workload-result.js';
import { InterarrivalJitter } from '../metrics/interarrival-jitter.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import { classifyError } from './classify-error.js';
import { BASE_METRICS, COMMON_OPTIONS, DEFAULT_REPEAT, defineWorkload, RAW_METRICS, RAW_OPTIONS, RAW_REJECTS, UDP_TIMING_METRICS } from './definition.js';
import type { WorkloadContext } from './context.js';
import { RawTally } from './raw-tally.js';
import { SignalBox } from './signal-box.js';
import type { RawRequest, WorkloadCommon } from './spec.js';
import { closeUdp, openUdpFlow } from './udp-connect.js';
import { jitterOfFlows, udpNotes } from './udp-notes.js';
import { WorkloadRun } from './workload-run.js';

export interface UdpRawSpec extends WorkloadCommon {
  type: 'udp-raw';
  requests: RawRequest[];
  repeat: number;
}

const UDP_RAW = { type: 'udp-raw', protocol: 'udp', shape: 'raw' } as const;

export async function runUdpRaw(spec: UdpRawSpec, ctx: WorkloadContext): Promise<WorkloadResult> {
  const run = new WorkloadRun(spec, ctx);
  const tally = new RawTally(run);
  const flows: RawFlow[] = [];
  if (await run.waitForStart()) {
    run.watchKernelUdp();
    run.startProgress(() => ({ sent: tally.sent, received: tally.received }));
    for (let i = 0; i < spec.connections; i++) flows.push(new RawFlow(run, spec, ctx, tally, i));
    await Promise.all(flows.map((f) => f.run()));
    run.stopProgress();
  }
  const kernelUdp = run.kernelUdpDelta();
  const interarrival = new LatencyHistogram();
  for (const f of flows) interarrival.merge(f.jitter.interarrival);
  const lost = tally.sent - tally.received;
  if (lost > 0) run.notes.push(`${lost} requests got no response within ${spec.timeoutMs} ms`);
  run.notes.push(...udpNotes(kernelUdp, run.lateness, spec.rate));
  run.noteIfAborted('the request in flight was not waited for');
  return assembleWorkloadResult({
    ...run.resultBase(UDP_RAW, spec.rate !== 'max', kernelUdp),
    ...tally.measurements(),
    jitterMs: jitterOfFlows(flows.map((f) => f.jitter)),
    histograms: { rtt_ms: tally.rtt, interarrival_ms: interarrival },
  });
}

class RawFlow {
  readonly jitter = new InterarrivalJitter();
  private readonly inbox: Buffer[] = [];
  private readonly changed = new SignalBox();

  constructor(
    private readonly workload: WorkloadRun,
    private readonly spec: UdpRawSpec,
    private readonly ctx: WorkloadContext,
    private readonly tally: RawTally,
    private readonly index: number,
  ) {}

  async run(): Promise<void> {
    const { workload: run, ctx } = this;
    const opened = await openUdpFlow(ctx.endpoint, ctx.path?.client);
    if (!opened.ok) {
      run.error(opened.error.code, opened.error.message);
      return;
    }
    const socket = opened.socket;
    socket.on('message', (message: Buffer) => {
      this.tally.bytesReceived += message.length;
      this.inbox.push(message);
      this.changed.notify();
    });
    socket.on('error', (error) => {
      const { code, message } = classifyError(error);
      run.error(code, message);
    });
    await this.exchangeAll(socket);
    await closeUdp(socket);
  }

  private async exchangeAll(socket: dgram.Socket): Promise<void> {
    const { workload: run, spec } = this;
    const label = `flow ${this.index}`;
    const startMs = run.clock.now();
    const endAtMs = run.endAtMs;
    const onSent = (error: Error | null) => {
      if (error) {
        const { code, message } = classifyError(error);
        run.error(code, message);
      }
    };
    let k = 0;
    for (let round = 0; endAtMs !== undefined || round < spec.repeat; round++) {
      for (const request of spec.requests) {
        if (!(await run.paceRequest(k, startMs))) return;
        const sentAtMs = run.clock.now();
        this.tally.requestSent(request.send.length, sentAtMs);
        socket.send(request.send, onSent);
        const response = await this.nextDatagram(sentAtMs + spec.timeoutMs);
        if (response !== undefined) {
          const now = run.clock.now();
          this.jitter.record(sentAtMs, now);
          this.tally.response(request, response, k, label, sentAtMs);
        }
        k++;
      }
    }
  }

  private async nextDatagram(deadlineMs: number): Promise<Buffer | undefined> {
    const { workload: run, ctx } = this;
    for (;;) {
      const next = this.inbox.shift();
      if (next !== undefined) return next;
      if (ctx.signal.aborted || run.clock.now() >= deadlineMs) return undefined;
      const timer: Timer = run.clock.scheduleAt(deadlineMs, () => this.changed.notify());
      await this.changed.wait(ctx.signal);
      timer.cancel();
    }
  }
}

export const udpRaw = defineWorkload<UdpRawSpec>({
  ...UDP_RAW,
  summary: 'Requests and expected responses for a UDP server that does not speak faultline framing.',
  options: [...COMMON_OPTIONS, ...RAW_OPTIONS],
  amount: ['repeat', 'duration'],
  rejects: { ...RAW_REJECTS, framing: 'framing applies to tcp-raw only (UDP: each datagram is one response)' },
  load(options) {
    const requests = options.requests();
    const repeat = options.has('repeat') ? options.count('repeat') : DEFAULT_REPEAT;
    return requests && repeat !== undefined ? { requests, repeat } : undefined;
  },
  run: runUdpRaw,
  metrics: [...BASE_METRICS, ...RAW_METRICS, ...UDP_TIMING_METRICS],
  example: { requests: [{ send: 'PING', expect: 'PING' }] },
});
