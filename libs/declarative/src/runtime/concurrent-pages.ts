// Reading several partitions of a stream at once: up to `limit` slices are read concurrently and
// their pages are handed on as they arrive. Slices are pulled from their source one at a time (a
// substream's slices come from reading its parent). The first failure stops the other readers and
// is rethrown. Order across slices is not kept; within a slice pages stay in order.

export async function* pagesOfSlices<S, P>(
  slices: AsyncIterable<S>,
  read: (slice: S) => AsyncIterable<P>,
  limit: number,
): AsyncGenerator<P> {
  const source = slices[Symbol.asyncIterator]();
  const active = new Map<
    number,
    { iterator: AsyncIterator<P>; next: Promise<{ id: number; result: IteratorResult<P> }> }
  >();
  let nextId = 0;
  let exhausted = false;
  const pull = (id: number, iterator: AsyncIterator<P>) => iterator.next().then((result) => ({ id, result }));
  const fill = async () => {
    while (!exhausted && active.size < limit) {
      const slice = await source.next();
      if (slice.done) {
        exhausted = true;
        return;
      }
      const id = nextId++;
      const iterator = read(slice.value)[Symbol.asyncIterator]();
      active.set(id, { iterator, next: pull(id, iterator) });
    }
  };
  try {
    await fill();
    while (active.size > 0) {
      const { id, result } = await Promise.race([...active.values()].map((a) => a.next));
      const entry = active.get(id)!;
      if (result.done) {
        active.delete(id);
        await fill();
        continue;
      }
      entry.next = pull(id, entry.iterator);
      yield result.value;
    }
  } finally {
    // A failure (or the consumer stopping) ends every reader still running, and the slice source,
    // without waiting for their requests in flight; what those still produce is dropped.
    for (const { iterator, next } of active.values()) {
      next.catch(() => undefined);
      iterator.return?.().catch(() => undefined);
    }
    active.clear();
    if (!exhausted) source.return?.().catch(() => undefined);
  }
}
