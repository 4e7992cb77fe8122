/**
 * The engine's book of calls: each call's record, the sequence numbers in use, and the
 * socket's one dump slot with the dumps waiting for it. No I/O and no timers: the
 * connection decides when things happen; this file keeps the tables consistent and
 * settles a call's promise with its value.
 */
import type { NlMsg } from './message';
import type { AsyncQueue } from './queue';
import type { DecodedRequestSpec, DumpSpec } from './request-spec';
import { SeqTable } from './seqtable';

/**
 * A call's replies before the first (Pending.replies): one shared empty array, where each
 * call had one of its own; the first reply makes the call's own array (reply.ts), and a
 * call that ends with none resolves with a new empty one (resolveCall).
 */
export const NO_REPLIES: NlMsg[] = Object.freeze([]) as unknown as NlMsg[];

/** A call's life: waiting to be sent, sent, given up on while the kernel still answers, settled. */
export const enum State { QUEUED, SENT, DRAINING, SETTLED }

/** One call in the engine. */
export interface Pending {
  seq: number;
  readonly dump: boolean;
  readonly spec: DumpSpec & Partial<Pick<DecodedRequestSpec<unknown>, 'decode' | 'onError'>>;
  state: State;
  /** The replies; with `spec.each`, what it made of each. */
  replies: NlMsg[];
  /** What `spec.each` threw (the first throw): the call rejects with it when the kernel has finished. */
  failed: unknown;
  /** Streamed dump: replies go here instead of `replies`. */
  stream?: AsyncQueue<NlMsg>;
  interrupted: boolean;
  attempts: number;
  /** Sent before a receive overrun: its reply may have been lost. */
  atRisk: boolean;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /**
   * When the call times out (the monotonic clock, ms); 0 for never; UNSTAMPED until the
   * deadline timer stamps it (deadline-timer.ts). A dump given up on
   * while the kernel still sends it (DRAINING) always has one: when it passes, the
   * dump slot is freed.
   */
  deadline: number;
  timeoutMs: number;
  /** The listener on spec.signal; a streamed dump's stays until its consumer is done with it. */
  onAbort?: () => void;
}


/**
 * Calls in flight by sequence number, and the dump slot: a netlink socket runs one dump
 * at a time, so a dump launched while another holds the slot waits in `dumpQueue`.
 */
export class CallTable {
  private seq = 0;
  private readonly pending = new SeqTable<Pending>();
  private dumpHolder: Pending | undefined;
  private readonly dumpQueue: Pending[] = [];

  /** `launch` sends a call: the next dump waiting, when the dump slot frees. */
  constructor(private readonly launch: (p: Pending) => void) {}

  /** Calls launched and not yet forgotten. */
  get size(): number {
    return this.pending.size;
  }

  /** The launched call with this sequence number. */
  get(seq: number): Pending | undefined {
    return this.pending.get(seq);
  }

  /** The launched calls (draining dumps among them). */
  values(): Pending[] {
    return this.pending.values();
  }

  /** The dumps waiting for the dump slot. */
  get waiting(): readonly Pending[] {
    return this.dumpQueue;
  }

  /**
   * Send `p` now, or, a dump while another holds the slot, once the slot is free (`first`:
   * ahead of the others waiting, as a retried dump goes).
   */
  launchOrWait(p: Pending, first = false): void {
    if (!p.dump || !this.dumpHolder) this.launch(p);
    else if (first) this.dumpQueue.unshift(p);
    else this.dumpQueue.push(p);
  }

  /** A call goes out: it takes the dump slot (a dump) and a fresh sequence number. */
  start(p: Pending): void {
    if (p.dump) this.dumpHolder = p;
    p.seq = this.nextSeq();
    p.attempts++;
    this.pending.add(p);
  }

  /** Sequence numbers: per connection, wrapping, never 0, never one still pending. */
  private nextSeq(): number {
    this.pending.reserve();
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    } while (!this.pending.isFree(this.seq));
    return this.seq;
  }

  private releaseDump(): void {
    this.dumpHolder = undefined;
    const next = this.dumpQueue.shift();
    if (next) this.launch(next);
  }

  /** Take a call out of the engine's tables: its sequence number, the dump queue, the dump slot. */
  forget(p: Pending): void {
    this.pending.delete(p.seq);
    if (!p.dump) return;
    const i = this.dumpQueue.indexOf(p);
    if (i >= 0) this.dumpQueue.splice(i, 1);
    if (this.dumpHolder === p) this.releaseDump();
  }

  /** Forget every call at once (the connection closed). */
  clear(): void {
    this.pending.clear();
    this.dumpQueue.length = 0;
    this.dumpHolder = undefined;
  }
}

/** Settle a call's promise: with what its decode makes of the replies (or the replies), or with `err`. */
export function resolveCall(p: Pending, err: unknown): void {
  const spec = p.spec;
  if (err === undefined) {
    if (spec.decode === undefined) return p.resolve(p.replies === NO_REPLIES ? [] : p.replies);
    let value: unknown;
    try {
      value = spec.decode(p.replies);
    } catch (e) {
      spec.onError?.(e);
      return p.reject(e);
    }
    p.resolve(value);
  } else {
    spec.onError?.(err);
    p.reject(err);
  }
}
