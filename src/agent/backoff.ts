/**
 * Per-SF retry delays after a failure: exponential from `initialMs`, capped at `maxMs`,
 * with ±`jitter` (a fraction) so that many SFs failing at once do not retry in step.
 */
export interface BackoffOptions {
  /** The delay after the first failure (default 500 ms). */
  readonly initialMs?: number;
  /** The longest delay (default 60 s). */
  readonly maxMs?: number;
  /** 0..1: the delay is spread over [d·(1−jitter), d·(1+jitter)]. */
  readonly jitter?: number;
}

export const BACKOFF_KEYS = ['initialMs', 'maxMs', 'jitter'] as const;

/** Retry delays: `delay(n)` after n failures in a row. */
export class Backoff {
  /** The delay after the first failure. */
  readonly initialMs: number;
  /** The longest delay. */
  readonly maxMs: number;
  /** The spread, as a fraction of the delay. */
  readonly jitter: number;

  constructor(o: BackoffOptions = {}, private readonly random: () => number = Math.random) {
    this.initialMs = o.initialMs ?? 500;
    this.maxMs = o.maxMs ?? 60_000;
    this.jitter = o.jitter ?? 0.2;
  }

  /** The delay before attempt `failures + 1`, after `failures` failures in a row (1 or more). */
  delay(failures: number): number {
    const d = Math.min(this.maxMs, this.initialMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
    return Math.max(1, Math.round(d * (1 + this.jitter * (2 * this.random() - 1))));
  }
}
