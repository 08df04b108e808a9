// A bounded queue between the source reader and the destination writer: the reader waits when it
// is full (back-pressure), the writer waits when it is empty; a failure on either side ends both,
// except that what a failed source sent before failing (records, and the states covering them) is
// still delivered, so its last checkpoints can still be committed under the usual rule.

export class BoundedChannel<T> {
  private readonly items: T[] = [];
  private closed = false;
  private error: unknown;
  private hasError = false;
  /** the writer's failure, delivered once the items before it are drained */
  private endError: { error: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.hasError) {
      await new Promise<void>((resolve) => {
        this.wakeWriter = resolve;
      });
    }
    if (this.hasError) throw this.error;
    this.items.push(item);
    this.wake('reader');
  }

  close(): void {
    this.closed = true;
    this.wake('reader');
  }

  /** The writer side failed: what it pushed before the failure is still delivered, then the failure. */
  failAfterDrain(error: unknown): void {
    if (this.hasError || this.closed) return;
    this.endError = { error };
    this.close();
  }

  /** Ends both sides now: items not yet pulled are dropped. */
  fail(error: unknown): void {
    if (this.hasError) return;
    this.hasError = true;
    this.error = error;
    this.wake('reader');
    this.wake('writer');
  }

  /** The next item, or undefined once closed and drained. Throws the failure, if any. */
  async pull(): Promise<T | undefined> {
    while (this.items.length === 0 && !this.closed && !this.hasError) {
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
    if (this.hasError) throw this.error;
    if (this.items.length === 0 && this.endError) throw this.endError.error;
    const item = this.items.shift();
    this.wake('writer');
    return item;
  }

  private wake(side: 'reader' | 'writer'): void {
    const wake = side === 'reader' ? this.wakeReader : this.wakeWriter;
    if (side === 'reader') this.wakeReader = undefined;
    else this.wakeWriter = undefined;
    wake?.();
  }
}
