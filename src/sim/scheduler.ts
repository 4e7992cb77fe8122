/**
 * The simulator's clock for asynchronous steps (an SF attaching, firmware freeing a
 * function, a delayed reply). Steps run in order of due time, and steps due at the same
 * time in the order they were scheduled, whatever the timer wheel does: runs are
 * deterministic. A zero delay runs on setImmediate. `settle()` resolves once nothing is
 * pending; `close()` cancels everything.
 */

interface Task {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export interface Cancel {
  cancel(): void;
}

export class Scheduler {
  private readonly queue: Task[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private timerDue = Infinity;
  private closed = false;
  private waiters: (() => void)[] = [];
  /** Extra work the scheduler does not own but settle() must wait for (deliveries). */
  private external = 0;

  get pending(): number {
    return this.queue.length + this.external;
  }

  /** Run `fn` after `ms` milliseconds (0: on the next setImmediate). */
  after(ms: number, fn: () => void): Cancel {
    const t: Task = { due: Date.now() + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    if (this.closed) return { cancel() {} };
    // insert keeping (due, seq) order; appends are the common case
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].due > t.due) i--;
    this.queue.splice(i, 0, t);
    this.arm();
    return {
      cancel: () => {
        if (t.cancelled) return;
        t.cancelled = true;
        const k = this.queue.indexOf(t);
        if (k >= 0) this.queue.splice(k, 1);
        this.maybeSettled();
      },
    };
  }

  /** Count outside work (a queued delivery) until `done` is called. */
  hold(): () => void {
    this.external++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.external--;
      this.maybeSettled();
    };
  }

  /** Resolves when no step is pending (steps scheduled by steps included). */
  settle(): Promise<void> {
    if (this.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.queue) t.cancelled = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.external = 0;
    this.maybeSettled();
  }

  private arm(): void {
    if (this.closed || this.queue.length === 0) return;
    const first = this.queue[0];
    const delay = first.due - Date.now();
    if (delay <= 0) {
      if (!this.immediate) this.immediate = setImmediate(() => this.run());
      return;
    }
    if (this.timer && this.timerDue <= first.due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = first.due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.run();
    }, delay);
  }

  private run(): void {
    this.immediate = undefined;
    const now = Date.now();
    // run what is due now, in order; steps scheduled meanwhile for "now" run next turn
    const due: Task[] = [];
    while (this.queue.length > 0 && this.queue[0].due <= now) due.push(this.queue.shift() as Task);
    for (const t of due) {
      if (t.cancelled || this.closed) continue;
      t.fn();
    }
    this.arm();
    this.maybeSettled();
  }

  private maybeSettled(): void {
    if (this.pending !== 0 && !this.closed) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
