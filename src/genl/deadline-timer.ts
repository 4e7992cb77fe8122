/**
 * One timer for every deadline of a connection: armed for the earliest it knows of,
 * and when it fires the connection looks through its calls (`onFire`) and says when the
 * next deadline is. It holds the process up only while calls wait for their answer (the
 * `waiting` count): a dump given up on, still draining, has a deadline but no caller.
 */

/** A monotonic clock in milliseconds. */
export const now = (): number => performance.now();

export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;
  private refed = false;
  /** Calls with a deadline whose caller waits. */
  private waiting = 0;
  private readonly fire = (): void => {
    this.timer = undefined;
    this.at = Infinity;
    const next = this.onFire(now());
    if (next !== Infinity) this.arm(next);
  };

  /** `onFire(now)` handles what is due and returns the next deadline, or Infinity. */
  constructor(private readonly onFire: (t: number) => number) {}

  /** A caller now waits for a call due at `at`. */
  add(at: number): void {
    this.waiting++;
    this.arm(at);
  }

  /** A caller stopped waiting (its call settled); the timer may stay armed, but unreferenced when none waits. */
  remove(): void {
    this.waiting--;
    this.hold();
  }

  /** Fire at `at` at the latest (for a deadline nobody waits for: a draining dump). */
  arm(at: number): void {
    if (this.timer === undefined || at < this.at) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.at = at;
      this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - now())));
      this.refed = true;
    }
    this.hold();
  }

  /** At close(): no more firing. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
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
