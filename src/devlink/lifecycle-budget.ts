/**
 * How one lifecycle call spends its time: a Budget (a deadline and an abort signal shared
 * by every step, each request getting what is left) and the KeyedQueue that runs the calls
 * for one SF one after another while calls for other SFs go in parallel.
 */
import { AbortError, ClosedError, TimeoutError } from '../genl/errors';
import { MAX_TIMEOUT_MS } from '../genl/call-options';

/** A deadline and an abort signal shared by every step of one call. */
export class Budget {
  private readonly deadline: number;
  constructor(readonly what: string, readonly timeoutMs: number, readonly signal: AbortSignal) {
    this.deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  }
  remaining(): number {
    return this.deadline - Date.now();
  }
  check(): void {
    if (this.signal.aborted) throw this.abortError();
    if (this.remaining() <= 0) throw new TimeoutError(this.what, this.timeoutMs);
  }
  abortError(): Error {
    const r: unknown = this.signal.reason;
    return r instanceof ClosedError ? r : new AbortError(this.what, r);
  }
  /** Options for one request within the budget. */
  call(): { timeoutMs: number; signal: AbortSignal } {
    this.check();
    return { timeoutMs: Math.max(1, Math.min(MAX_TIMEOUT_MS, this.remaining())), signal: this.signal };
  }
  /** At most `ms`, and never past the deadline. */
  slice(ms: number): number {
    return Math.max(1, Math.min(ms, this.remaining()));
  }
  /** Wait for `p` (the call ahead of this one for the same SF) within the budget. */
  wait(p: Promise<void>): Promise<void> {
    this.check();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(this.abortError());
      };
      const timer = this.deadline === Infinity ? undefined : setTimeout(() => {
        done();
        reject(new TimeoutError(this.what, this.timeoutMs, `${this.what}: still waiting for the call ahead of it for the same SF after ${this.timeoutMs} ms`));
      }, Math.min(MAX_TIMEOUT_MS, Math.max(1, this.remaining())));
      this.signal.addEventListener('abort', onAbort, { once: true });
      p.then(() => {
        done();
        resolve();
      });
    });
  }
}

/** Calls for one key run one after another. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** `fn` once the calls queued before for `key` have ended; `queued` makes the error of a call that ended while it waited. */
  async run<T>(key: string, budget: Budget, fn: () => Promise<T>, queued: (e: unknown) => unknown): Promise<T> {
    const prev = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev ? prev.then(() => mine) : mine;
    this.tails.set(key, tail);
    try {
      if (prev) {
        try {
          await budget.wait(prev);
        } catch (e) {
          throw queued(e);
        }
      }
      return await fn();
    } finally {
      release();
      // forgotten once every call before it has ended too: a call that left its place early
      // (aborted, timed out) must not let the next one past the call still running ahead
      void tail.then(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
    }
  }
}
