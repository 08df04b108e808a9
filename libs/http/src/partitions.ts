// Reading partitions (datetime windows, parent records, list values) concurrently, and keeping
// state correct when they finish out of order. `readPartitions` runs at most `concurrency` reads at
// once and merges what they yield as it comes, telling the caller when each partition is done; an
// error in one read cancels the others and is rethrown. `CompletionWatermark` tracks which
// partitions are done: its watermark only ever moves over a contiguous run of finished partitions,
// so a cursor saved from it never skips a window still being read.
//
// Reads should yield pages or batches, not single records: every yielded value is one event here.

export type PartitionEvent<P, T> =
  | { kind: 'item'; index: number; partition: P; value: T }
  | { kind: 'done'; index: number; partition: P };

export interface ReadPartitionsOptions<P, T> {
  /** reads at once; default 1 */
  concurrency?: number;
  read(partition: P, signal: AbortSignal): AsyncIterable<T>;
  signal?: AbortSignal;
}

type Settled<T> = { index: number; result?: IteratorResult<T>; error?: unknown; failed: boolean };

/** Partitions (an array, an iterable or an async iterable, read lazily) are numbered from 0 in order. */
export async function* readPartitions<P, T>(
  partitions: Iterable<P> | AsyncIterable<P>,
  options: ReadPartitionsOptions<P, T>,
): AsyncGenerator<PartitionEvent<P, T>, void, undefined> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const source: AsyncIterator<P> | Iterator<P> =
    Symbol.asyncIterator in partitions
      ? (partitions as AsyncIterable<P>)[Symbol.asyncIterator]()
      : (partitions as Iterable<P>)[Symbol.iterator]();
  const running = new Map<number, { partition: P; iterator: AsyncIterator<T> }>();
  const inFlight = new Map<number, Promise<Settled<T>>>();
  let nextIndex = 0;
  let exhausted = false;

  const pull = (index: number, iterator: AsyncIterator<T>) => {
    inFlight.set(
      index,
      iterator.next().then(
        (result) => ({ index, result, failed: false }),
        (error: unknown) => ({ index, error, failed: true }),
      ),
    );
  };

  async function fill(): Promise<void> {
    while (!exhausted && running.size < concurrency) {
      const next = await source.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const index = nextIndex++;
      const iterator = options.read(next.value, controller.signal)[Symbol.asyncIterator]();
      running.set(index, { partition: next.value, iterator });
      pull(index, iterator);
    }
  }

  try {
    controller.signal.throwIfAborted();
    await fill();
    while (inFlight.size > 0) {
      const settled = await Promise.race(inFlight.values());
      inFlight.delete(settled.index);
      const entry = running.get(settled.index) as { partition: P; iterator: AsyncIterator<T> };
      if (settled.failed) throw settled.error;
      if (settled.result?.done) {
        running.delete(settled.index);
        yield { kind: 'done', index: settled.index, partition: entry.partition };
        controller.signal.throwIfAborted();
        await fill();
      } else {
        yield {
          kind: 'item',
          index: settled.index,
          partition: entry.partition,
          value: settled.result?.value as T,
        };
        pull(settled.index, entry.iterator);
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (running.size > 0) controller.abort(new Error('partition reading stopped'));
    for (const { iterator } of running.values()) {
      // do not wait: a read stuck on something the signal cannot cancel must not hang the caller
      iterator.return?.().catch(() => undefined);
    }
    if (!exhausted) await (source.return?.() ?? Promise.resolve());
  }
}

/**
 * Which partitions (numbered 0, 1, 2, ... in the order they were cut) are complete. `watermark()`
 * is the greatest index such that it and every partition before it are complete (-1 when the first
 * is not), and `value()` the value given with that partition (a window's end, for state).
 */
export class CompletionWatermark<V = undefined> {
  private readonly done = new Map<number, V | undefined>();
  private next = 0;
  private last: V | undefined;

  complete(index: number, value?: V): void {
    if (!Number.isInteger(index) || index < 0)
      throw new RangeError(`Partition index ${index} is not a non-negative integer.`);
    if (index < this.next) return;
    this.done.set(index, value);
    while (this.done.has(this.next)) {
      this.last = this.done.get(this.next);
      this.done.delete(this.next);
      this.next++;
    }
  }

  isComplete(index: number): boolean {
    return index < this.next || this.done.has(index);
  }

  watermark(): number {
    return this.next - 1;
  }

  /** the value given with the watermark's partition; undefined before the first is complete */
  value(): V | undefined {
    return this.last;
  }
}
