// Pulling an object-mode Readable in batches. `for await` over the stream would cost a promise per
// object; here objects are taken synchronously with read() while the stream has them buffered,
// and the generator only waits when the buffer is empty.

import type { Readable } from 'node:stream';

/** `firstBatchSize` lets a caller that consumes a header row still hand out full batches. */
export async function* readableBatches<T>(
  readable: Readable,
  batchSize: number,
  firstBatchSize = batchSize,
): AsyncGenerator<T[]> {
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  readable.on('readable', notify);
  readable.on('end', () => {
    ended = true;
    notify();
  });
  readable.on('error', (error: unknown) => {
    failure ??= error;
    notify();
  });

  let batch: T[] = [];
  let size = firstBatchSize;
  for (;;) {
    if (failure !== undefined) throw failure;
    while (batch.length < size) {
      const item = readable.read() as T | null;
      if (item === null) break;
      batch.push(item);
    }
    if (batch.length >= size) {
      yield batch;
      batch = [];
      size = batchSize;
      continue;
    }
    if (ended) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  if (failure !== undefined) throw failure;
  if (batch.length > 0) yield batch;
}
