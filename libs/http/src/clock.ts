// Time for the HTTP family. Everything that waits (retries, budgets, token expiry) asks a Clock, so
// tests pass a virtual one and run instantly; connectors use the system clock.

import type { Clock } from './types.js';

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** Real time: Date.now and setTimeout (cancelled by the signal). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock for tests: `sleep` moves time forward at once; `sleeps` lists every wait asked for. */
export interface VirtualClock extends Clock {
  readonly sleeps: number[];
  /** move time forward without sleeping (a token expiring while the connector does other work) */
  advance(ms: number): void;
}

export function virtualClock(startMs = Date.UTC(2024, 0, 1)): VirtualClock {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw abortReason(signal);
      sleeps.push(ms);
      now += Math.max(0, ms);
      // let other tasks run, as a real sleep would
      await Promise.resolve();
    },
  };
}
