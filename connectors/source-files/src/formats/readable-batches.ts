// Pulling an object-mode Readable in batches. `for await` over the stream would cost a promise per
// object; here objects are taken synchronously with read() while the stream has them buffered,
// and the generator only waits when the buffer is empty.

import type { Readable } from 'node:stream';

export async function* readableBatches<T>(readable: Readable, batchSize: number): AsyncGenerator<T[]> {
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
  for (;;) {
    if (failure !== undefined) throw failure;
    let item: T | null = null;
    while (batch.length < batchSize && (item = readable.read() as T | null) !== null) batch.push(item);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
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
