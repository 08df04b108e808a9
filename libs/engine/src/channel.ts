// A bounded queue between the source reader and the destination writer: the reader waits when it
// is full (back-pressure), the writer waits when it is empty; a failure on either side ends both.

export class BoundedChannel<T> {
  private readonly items: T[] = [];
  private closed = false;
  private error: unknown;
  private hasError = false;
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
