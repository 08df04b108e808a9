import { describe, expect, it } from 'vitest';
import {
  HttpClient,
  type HttpRequest,
  requestBudget,
  scriptedTransport,
  virtualClock,
} from '../src/index.js';

const req = (path: string): HttpRequest => ({
  method: 'GET',
  url: `https://api.example.com${path}`,
  headers: {},
});

describe('requestBudget', () => {
  it('moving window: waits (does not fail) until the oldest request leaves the window', async () => {
    const clock = virtualClock(0);
    const budget = requestBudget({ policies: [{ limit: 2, intervalMs: 1000, kind: 'moving' }], clock });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await budget.acquire(req('/a'));
      times.push(clock.now());
      clock.advance(100);
    }
    // sent at 0 and 100; the third waits until 1000, the fourth until 1100, the fifth until 2000
    expect(times).toEqual([0, 100, 1000, 1100, 2000]);
  });

  it('fixed window: a full window waits for the next one', async () => {
    const clock = virtualClock(0);
    const budget = requestBudget({ policies: [{ limit: 3, intervalMs: 60_000, kind: 'fixed' }], clock });
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      await budget.acquire(req('/a'));
      times.push(clock.now());
    }
    expect(times).toEqual([0, 0, 0, 60_000, 60_000, 60_000, 120_000]);
  });

  it('the first matching policy governs; unmatched requests are not limited', async () => {
    const clock = virtualClock(0);
    const budget = requestBudget({
      policies: [{ matches: (r) => r.url.includes('/search'), limit: 1, intervalMs: 5000, kind: 'fixed' }],
      clock,
    });
    await budget.acquire(req('/search'));
    for (let i = 0; i < 10; i++) await budget.acquire(req('/items'));
    expect(clock.now()).toBe(0);
    await budget.acquire(req('/search'));
    expect(clock.now()).toBe(5000);
  });

  it('concurrent callers together stay under the limit', async () => {
    const clock = virtualClock(0);
    const budget = requestBudget({ policies: [{ limit: 2, intervalMs: 1000, kind: 'moving' }], clock });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () => budget.acquire(req('/a')).then(() => times.push(clock.now()))),
    );
    expect(times).toEqual([0, 0, 1000, 1000, 2000, 2000]);
  });

  it('the client acquires the budget before every attempt', async () => {
    const clock = virtualClock(0);
    const transport = scriptedTransport(() => ({ status: 200 }));
    const budget = requestBudget({ policies: [{ limit: 1, intervalMs: 250, kind: 'fixed' }], clock });
    const client = new HttpClient({ transport, clock, budget });
    for (let i = 0; i < 4; i++) await client.send(req('/a'));
    expect(clock.now()).toBe(750);
  });
});
