/**
 * Choosing between a protocol's native socket I/O and its JavaScript fallback, as an environment
 * variable says: `native` fails loudly where the addon is missing, the fallback's name never loads
 * it, and auto (unset, empty or `auto`) takes native where it loads. tcp-io-choice.ts and
 * udp-io-choice.ts are this, with their own names and words.
 */
import { FaultlineError } from '../core/errors.js';

export interface IoChoice<Io> {
  /** FAULTLINE_TCP_IO, FAULTLINE_UDP_IO. */
  env: string;
  /** The fallback, by the name the variable takes (`js`, `dgram`). */
  fallback: { name: string; io: Io };
  loadNative(): { io?: Io; problem?: string };
  /** `the native addon`: what is not available, in the error for `native`. */
  nativeWhat: string;
  /** `forward through JavaScript`: what unsetting the variable does instead, in its hint. */
  fallbackDoes: string;
}

/** The I/O `wanted` asks for, with why native is unavailable when auto fell back. */
export function chooseIo<Io>(wanted: string | undefined, choice: IoChoice<Io>): { io: Io; problem?: string } {
  const { env, fallback } = choice;
  if (wanted === fallback.name) return { io: fallback.io };
  const native = choice.loadNative();
  if (wanted === undefined || wanted === '' || wanted === 'auto') {
    return native.io ? { io: native.io } : { io: fallback.io, problem: native.problem! };
  }
  if (wanted === 'native') {
    if (native.io) return { io: native.io };
    throw new FaultlineError('ENVIRONMENT', `${env}=native, but ${choice.nativeWhat} is not available: ${native.problem}`, {
      hint: `rebuild it with "node harness/proxy/native/build.mjs", or unset ${env} to ${choice.fallbackDoes}`,
    });
  }
  throw new FaultlineError('INVALID_ARGUMENT', `${env}="${wanted}" is not one of native, ${fallback.name}, auto`);
}
