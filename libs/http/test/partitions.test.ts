import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompletionWatermark, readPartitions } from '../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CompletionWatermark', () => {
  it('moves only over a contiguous run of completed partitions', () => {
    const w = new CompletionWatermark<string>();
    expect(w.watermark()).toBe(-1);
    w.complete(1, 'b');
    expect(w.watermark()).toBe(-1);
    expect(w.value()).toBeUndefined();
    w.complete(0, 'a');
    expect(w.watermark()).toBe(1);
    expect(w.value()).toBe('b');
    w.complete(3, 'd');
    expect(w.watermark()).toBe(1);
    expect(w.isComplete(3)).toBe(true);
    expect(w.isComplete(2)).toBe(false);
  });

  it('never passes an unfinished partition, whatever the completion order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: 0, maxLength: n },
            ),
          ),
        ),
        ([n, order]) => {
          const w = new CompletionWatermark<number>();
          const done = new Set<number>();
          for (const index of order) {
            w.complete(index, index * 10);
            done.add(index);
            const mark = w.watermark();
            for (let i = 0; i <= mark; i++) expect(done.has(i)).toBe(true);
            // and it is as far as it can go
            expect(mark + 1 >= n || !done.has(mark + 1)).toBe(true);
            if (mark >= 0) expect(w.value()).toBe(mark * 10);
          }
        },
      ),
    );
  });
});

describe('readPartitions', () => {
  it('reads with bounded concurrency, merging items as they come, and reports each partition done', async () => {
    let running = 0;
    let maxRunning = 0;
    const events: string[] = [];
    for await (const event of readPartitions([30, 5, 15, 1], {
      concurrency: 2,
      read: async function* (delay) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(delay);
        yield `item-${delay}`;
        running--;
      },
    }))
      events.push(event.kind === 'item' ? `${event.index}:${event.value}` : `${event.index}:done`);
    expect(maxRunning).toBe(2);
    expect(events).toHaveLength(8);
    // partition 1 (5 ms) finishes before partition 0 (30 ms)
    expect(events.indexOf('1:done')).toBeLessThan(events.indexOf('0:done'));
  });

  it('an error in one read cancels the others and is rethrown', async () => {
    const aborted: number[] = [];
    const read = async function* (p: number, signal: AbortSignal) {
      if (p === 1) {
        await sleep(5);
        throw new Error('partition 1 broke');
      }
      signal.addEventListener('abort', () => aborted.push(p));
      await sleep(50);
      yield p;
    };
    const run = async () => {
      for await (const _ of readPartitions([0, 1, 2], { concurrency: 3, read })) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow('partition 1 broke');
    expect(aborted.sort()).toEqual([0, 2]);
  });

  it('takes partitions lazily from an async iterable (substreams: partitions from parent records)', async () => {
    async function* parents() {
      for (const id of ['a', 'b', 'c']) yield id;
    }
    const seen: string[] = [];
    for await (const event of readPartitions(parents(), {
      concurrency: 2,
      read: async function* (id) {
        yield `child-of-${id}`;
      },
    }))
      if (event.kind === 'item') seen.push(event.value);
    expect(seen.sort()).toEqual(['child-of-a', 'child-of-b', 'child-of-c']);
  });

  it('keeps state correct when windows finish out of order', async () => {
    const windowEnds = [100, 200, 300, 400];
    const watermark = new CompletionWatermark<number>();
    const states: (number | undefined)[] = [];
    for await (const event of readPartitions(windowEnds, {
      concurrency: 4,
      read: async function* (end) {
        await sleep(end === 100 ? 40 : 5);
        yield end;
      },
    })) {
      if (event.kind === 'done') {
        watermark.complete(event.index, event.partition);
        states.push(watermark.value());
      }
    }
    // the first window finished last: no state may claim 200-400 before it was done
    expect(states).toEqual([undefined, undefined, undefined, 400]);
  });
});
