/**
 * One timer for every deadline of a connection: armed for the earliest it knows of,
 * and when it fires the connection looks through its calls (`onFire`) and says when the
 * next deadline is. It holds the process up only while calls wait for their answer (the
 * `waiting` count): a dump given up on, still draining, has a deadline but no caller.
 *
 * A call's deadline is not stamped when it is made but when the event loop next turns
 * (or the timer fires, whichever comes first), for every call made since, with one read
 * of the clock: most calls (a get answered inside its send) are settled by then and never
 * need one. Reading the clock is a system call where there is no vDSO (User-Mode Linux:
 * one `performance.now()` cost as much as the get's own send and receive there). A
 * deadline so stamped is late by what the process ran in between (one turn of the event
 * loop), never early.
 */

/** A monotonic clock in milliseconds. */
export const now = (): number => performance.now();

/** A call's deadline until it is stamped (see the top of this file). */
export const UNSTAMPED = -1;

/** See DeadlineTimer.add(). */
const COMPACT_AT = 1024;

/** What the timer stamps: `deadline` (ms on now()'s clock; 0 for none) from `timeoutMs`. */
export interface Timed {
  deadline: number;
  readonly timeoutMs: number;
}

export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;
  private refed = false;
  /** Calls with a deadline whose caller waits. */
  private waiting = 0;
  /** Calls added since the last stamp, their deadline UNSTAMPED (some settled since). */
  private unstamped: Timed[] = [];
  /** The length of `unstamped` at which add() drops the calls settled meanwhile. */
  private compactAt = COMPACT_AT;
  private stampImmediate: NodeJS.Immediate | undefined;
  /**
   * The clearImmediate of the setImmediate that made stampImmediate, and the clearTimeout
   * of the timer's setTimeout: under a fake clock (sinon) that is uninstalled before the
   * connection closes, Node's own clearImmediate given the fake's handle would corrupt
   * Node's count of pending immediates, and no immediate would run again.
   */
  private clearStamp: (i: NodeJS.Immediate) => void = clearImmediate;
  private clearTimer: (t: NodeJS.Timeout) => void = clearTimeout;
  private readonly stampTask = (): void => {
    this.stampImmediate = undefined;
    this.stamp(now());
  };
  private readonly fire = (): void => {
    this.timer = undefined;
    this.at = Infinity;
    const t = now();
    this.stamp(t);
    const next = this.onFire(t);
    if (next !== Infinity) this.arm(next, t);
  };

  /** `onFire(now)` handles what is due and returns the next deadline, or Infinity. */
  constructor(private readonly onFire: (t: number) => number) {}

  /** A caller now waits for call `c`, due `c.timeoutMs` from now: its deadline is stamped at the loop's next turn. */
  add(c: Timed): void {
    this.waiting++;
    c.deadline = UNSTAMPED;
    if (this.unstamped.length >= this.compactAt) {
      // settled calls (deadline 0) out: a burst of calls in flight at a time, never a turn of the loop, stays bounded
      this.unstamped = this.unstamped.filter((x) => x.deadline === UNSTAMPED);
      this.compactAt = Math.max(COMPACT_AT, 2 * this.unstamped.length);
    }
    this.unstamped.push(c);
    if (this.stampImmediate === undefined) {
      this.clearStamp = clearImmediate;
      this.stampImmediate = setImmediate(this.stampTask);
    }
  }

  /**
   * A caller stopped waiting: call `c` settled. One never stamped needs no deadline now
   * (0; a dump left draining is given one by the connection), and is let go of: else a
   * loop of awaited calls answered inside their sends, which never turns the event loop,
   * kept every call and its value (a whole dump) reachable until it did. The timer may
   * stay armed, but unreferenced when none waits.
   */
  remove(c: Timed): void {
    this.waiting--;
    if (c.deadline === UNSTAMPED) {
      c.deadline = 0;
      const list = this.unstamped;
      // the common case, the call just added; others are dropped when the list is next compacted (add)
      if (list[list.length - 1] === c) list.pop();
    }
    this.hold();
  }

  /** Fire at `at` at the latest (for a deadline nobody waits for: a draining dump); `t`: now(), if just read. */
  arm(at: number, t?: number): void {
    if (this.timer === undefined || at < this.at) {
      if (this.timer !== undefined) this.clearTimer(this.timer);
      this.at = at;
      this.clearTimer = clearTimeout;
      this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - (t ?? now()))));
      this.refed = true;
    }
    this.hold();
  }

  /** At close(): no more firing. */
  cancel(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    if (this.stampImmediate !== undefined) this.clearStamp(this.stampImmediate);
    this.timer = this.stampImmediate = undefined;
    this.unstamped = [];
    this.at = Infinity;
  }

  /** Give every call added since the last stamp its deadline, `t` + its timeout, and arm for the earliest. */
  private stamp(t: number): void {
    const list = this.unstamped;
    if (list.length === 0) return;
    this.unstamped = [];
    let first = Infinity;
    for (const c of list) {
      if (c.deadline !== UNSTAMPED) continue;
      c.deadline = t + c.timeoutMs;
      if (c.deadline < first) first = c.deadline;
    }
    if (first !== Infinity) this.arm(first, t);
  }

  /** Referenced while a caller waits, so an idle connection does not hold the process up. */
  private hold(): void {
    const hold = this.waiting > 0;
    if (this.timer === undefined || hold === this.refed) return;
    if (hold) this.timer.ref();
    else this.timer.unref();
    this.refed = hold;
  }
}
