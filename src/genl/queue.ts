/**
 * A push-to-pull bridge: the receive loop pushes, a `for await` loop pulls. Used for
 * streamed dumps and for notification subscribers. It ends normally (end), with an
 * error (fail: after the queued items; abort: instead of them), or when the consumer
 * stops iterating (the `onReturn` hook lets the producer release what it holds). The
 * `onFinish` hook says when the consumer is done with it: it saw the end or the error,
 * or it stopped. A bound on queued items protects long-lived processes from a consumer
 * that stopped reading: past it, `push` returns false and the producer decides what to
 * drop. Every next() settles: return() ends one still waiting.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private error: unknown;
  private failed = false;
  /** The consumer saw the end or the error, or stopped: onFinish was called. */
  private finished = false;

  constructor(
    private readonly limit = Infinity,
    private readonly onReturn?: () => void,
    private readonly onFinish?: () => void,
  ) {}

  /** Items waiting to be pulled. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** The item most recently queued and not yet pulled. */
  get last(): T | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  get ended(): boolean {
    return this.done;
  }

  /** Queue an item; false when the queue is full or ended (the item was not queued). */
  push(item: T): boolean {
    if (this.done) return false;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
      return true;
    }
    if (this.size >= this.limit) return false;
    this.items.push(item);
    return true;
  }

  /** Queue an item even past the limit (a marker that must not be lost). */
  force(item: T): void {
    if (this.done) return;
    if (this.waiter) {
      this.push(item);
      return;
    }
    this.items.push(item);
  }

  /** Drop queued items from the head while `pred` holds; returns how many were dropped. */
  shiftWhile(pred: (item: T) => boolean): number {
    let n = 0;
    while (this.size > 0 && pred(this.items[this.head])) {
      this.head++;
      n++;
    }
    return n;
  }

  /** No more items: the consumer sees the queued ones, then the end. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.settleWaiter();
  }

  /** The consumer sees the queued items, then `err`. */
  fail(err: unknown): void {
    if (!this.done) this.failWith(err);
  }

  /** Queued items are dropped and the consumer sees `err` next (an abort: what was buffered is not wanted). */
  abort(err: unknown): void {
    if (this.finished) return;
    this.items = [];
    this.head = 0;
    this.failWith(err);
  }

  private failWith(err: unknown): void {
    this.done = true;
    this.failed = true;
    this.error = err;
    this.settleWaiter();
  }

  private settleWaiter(): void {
    const w = this.waiter;
    if (!w || this.size > 0) return;
    this.waiter = undefined;
    this.finish();
    if (this.failed) {
      this.failed = false;
      w.reject(this.error);
    } else {
      w.resolve({ value: undefined, done: true });
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish?.();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head++];
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      this.finish();
      if (this.failed) {
        this.failed = false;
        return Promise.reject(this.error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new Error('AsyncQueue: next() called while a previous next() is pending'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The consumer stopped (break, return, throw in the loop body); a next() still waiting ends too. */
  return(): Promise<IteratorResult<T>> {
    const wasDone = this.done;
    this.done = true;
    this.failed = false;
    this.items = [];
    this.head = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
    if (!wasDone) this.onReturn?.();
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
