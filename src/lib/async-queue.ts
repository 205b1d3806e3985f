// An unbounded push queue consumed as an async iterator: the bridge between callback or polling
// producers (etcd watch streams, SQLite log polling) and `for await` consumers.

export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private readonly onReturn: () => void;

  /** `onReturn` runs once when the consumer stops early (break / return) or the queue ends. */
  constructor(onReturn: () => void = () => {}) {
    let done = false;
    this.onReturn = () => { if (!done) { done = true; onReturn(); } };
  }

  get size(): number { return this.items.length; }

  push(item: T): void {
    if (this.ended || this.failure) return;
    if (this.waiter) { const w = this.waiter; this.waiter = null; w.resolve({ value: item, done: false }); return; }
    this.items.push(item);
  }

  /** Queued items are still delivered; the error is thrown after them. */
  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { error };
    if (this.waiter && this.items.length === 0) {
      const w = this.waiter; this.waiter = null; this.onReturn(); w.reject(error);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiter && this.items.length === 0) {
      const w = this.waiter; this.waiter = null; this.onReturn(); w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.failure) { this.onReturn(); return Promise.reject(this.failure.error); }
    if (this.ended) { this.onReturn(); return Promise.resolve({ value: undefined, done: true }); }
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  return(): Promise<IteratorResult<T>> {
    this.ended = true;
    this.items.length = 0;
    this.onReturn();
    if (this.waiter) { const w = this.waiter; this.waiter = null; w.resolve({ value: undefined, done: true }); }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this { return this; }
}
