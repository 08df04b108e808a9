// A request budget: a rate limit every request of a connector shares, so concurrent partitions
// together stay under the API's limit. When the budget is spent, `acquire` waits until a request
// may go (it never fails). The first policy whose `matches` accepts a request governs it, as in the
// reference CDK; a request no policy matches is not limited.

import { systemClock } from './clock.js';
import type { Clock, HttpRequest, RequestBudget } from './types.js';

export interface BudgetPolicy {
  /** which requests this policy governs; default all */
  matches?(request: HttpRequest): boolean;
  /** requests allowed per interval */
  limit: number;
  intervalMs: number;
  /**
   * `moving`: at most `limit` requests in any `intervalMs` span.
   * `fixed`: at most `limit` requests per window; windows of `intervalMs` start with the first request.
   */
  kind: 'moving' | 'fixed';
}

interface PolicyState {
  policy: BudgetPolicy;
  /** moving: send times of the last `limit` requests */
  sent: number[];
  /** fixed: the current window's start and count */
  windowStart: number;
  count: number;
  /** acquisitions wait in line, so concurrent callers cannot overshoot the limit together */
  line: Promise<void>;
}

export function requestBudget(options: { policies: readonly BudgetPolicy[]; clock?: Clock }): RequestBudget {
  const clock = options.clock ?? systemClock;
  for (const p of options.policies)
    if (!(p.limit >= 1) || !(p.intervalMs > 0))
      throw new RangeError(
        `A budget policy needs a limit of at least 1 and a positive interval (got ${p.limit} per ${p.intervalMs} ms).`,
      );
  const states: PolicyState[] = options.policies.map((policy) => ({
    policy,
    sent: [],
    windowStart: Number.NEGATIVE_INFINITY,
    count: 0,
    line: Promise.resolve(),
  }));

  /** Milliseconds until one more request may go under `state`; 0 records the request. */
  function tryTake(state: PolicyState): number {
    const now = clock.now();
    const { limit, intervalMs, kind } = state.policy;
    if (kind === 'moving') {
      while (state.sent.length > 0 && (state.sent[0] as number) + intervalMs <= now) state.sent.shift();
      if (state.sent.length < limit) {
        state.sent.push(now);
        return 0;
      }
      return (state.sent[0] as number) + intervalMs - now;
    }
    if (now >= state.windowStart + intervalMs) {
      state.windowStart = now;
      state.count = 0;
    }
    if (state.count < limit) {
      state.count++;
      return 0;
    }
    return state.windowStart + intervalMs - now;
  }

  async function take(state: PolicyState, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = tryTake(state);
      if (wait <= 0) return;
      await clock.sleep(wait, signal);
    }
  }

  return {
    acquire(request, signal) {
      const state = states.find((s) => !s.policy.matches || s.policy.matches(request));
      if (!state) return Promise.resolve();
      const turn = state.line.then(() => take(state, signal));
      // a caller that gave up (aborted) must not block the ones behind it
      state.line = turn.catch(() => undefined);
      return turn;
    },
  };
}
