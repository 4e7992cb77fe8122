/**
 * The send side of the engine: calls launched in the same tick wait here and go out
 * together, up to MAX_BATCH messages a send; the socket is drained right after the send
 * (the kernel has answered inside the system call). A caller awaiting call after call
 * never lets the event loop turn, so after MAX_BURST flushes in a row the next one waits
 * for it.
 */
import { BatchWriter } from './batch';
import { wrapSendError } from './call-errors';
import { Pending, State } from './calls';
import type { ConnectionStats } from './request-spec';
import type { Transport } from './transport';

/** At most this many messages share one send. */
export const MAX_BATCH = 32;
/**
 * At most this many flushes in a row from microtasks; the next waits for the event loop
 * (timers, other sockets, signals) to turn once.
 */
const MAX_BURST = 64;

/** What the send queue asks of its connection. */
export interface SendQueueHooks {
  /** The connection is closed: stop sending. */
  readonly closed: () => boolean;
  /** poll()'s stop condition after a send: every request sent has its answer (the queue's `unsent` are not waited for). */
  readonly nothingPending: () => boolean;
  /** Nothing of the call went out (the send failed): forget it and reject it with `err`. */
  readonly refused: (p: Pending, err: unknown) => void;
}

export class SendQueue {
  /**
   * The calls waiting, in outq[0, queuedCount): an array that keeps its room (setting an
   * array's length to 0 frees it, and each call would then pay for a new one).
   */
  private readonly outq: (Pending | undefined)[] = [];
  private queuedCount = 0;
  private flushScheduled = false;
  private readonly flushTask = (): void => {
    this.flushImmediate = undefined;
    this.flush();
  };
  /**
   * The immediates the queue waits for, cancelled at close(): a pending one would keep a
   * closed connection (and what it holds) reachable until the event loop turns.
   */
  private flushImmediate: NodeJS.Immediate | undefined;
  private loopTurnImmediate: NodeJS.Immediate | undefined;
  /** The clearImmediate of the setImmediate that made them (a fake clock's may be gone by close(): deadline-timer.ts). */
  private clearFlush: (i: NodeJS.Immediate) => void = clearImmediate;
  private clearLoopTurn: (i: NodeJS.Immediate) => void = clearImmediate;
  /** Flushes since the event loop last turned (see push()). */
  private burst = 0;
  private readonly loopTurned = (): void => {
    this.loopTurnImmediate = undefined;
    this.burst = 0;
  };
  /** Where a batch is assembled for its one send. */
  private readonly batchWriter = new BatchWriter();
  /** During a flush, where the calls not yet taken into a batch start in outq (see unsent). */
  private flushIndex = 0;
  /** The calls of the batch being sent, batch[0, batchCount) (flush() is never re-entered: handlers only push). */
  private readonly batch: Pending[] = [];
  private batchCount = 0;
  /** Whether the batch went out (then an exception is a handler's, not the send's). */
  private batchSent = false;
  private readonly markSent = (): void => {
    this.batchSent = true;
    for (let k = 0; k < this.batchCount; k++) {
      const p = this.batch[k];
      if (p.state === State.QUEUED) p.state = State.SENT;
    }
    this.stats.sent += this.batchCount;
    this.stats.sends++;
  };

  constructor(
    private readonly transport: Transport,
    private readonly stats: ConnectionStats,
    private readonly hooks: SendQueueHooks,
  ) {}

  /**
   * How many calls of the queue have not gone out yet (during a flush, those after the
   * batch being sent): the socket holds no answer for them, so reading it again for them
   * after a send would only find it empty (one system call per batch of a burst).
   */
  get unsent(): number {
    return this.queuedCount - this.flushIndex;
  }

  /** The calls waiting to go out. */
  get queued(): readonly Pending[] {
    return this.outq.slice(0, this.queuedCount) as Pending[];
  }

  /** Queue a launched call; the flush is scheduled once for everything queued in this tick. */
  push(p: Pending): void {
    this.outq[this.queuedCount++] = p;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // a reply is usually read inside the send, so a caller awaiting call after call
      // never gives the event loop a turn: every MAX_BURST flushes, wait for one
      // queueMicrotask(), not a resolved promise's then() (cheaper): a fake clock (sinon) fakes the
      // former, and the engine's turns follow it (test/faketime.test.ts hung on the latter)
      if (this.burst < MAX_BURST) queueMicrotask(this.flushTask);
      else {
        this.clearFlush = clearImmediate;
        this.flushImmediate = setImmediate(this.flushTask);
      }
    }
  }

  /** The connection closed: drop what waits and cancel the immediates. */
  clear(): void {
    this.take(this.queuedCount);
    if (this.flushImmediate !== undefined) this.clearFlush(this.flushImmediate);
    if (this.loopTurnImmediate !== undefined) this.clearLoopTurn(this.loopTurnImmediate);
    this.flushImmediate = this.loopTurnImmediate = undefined;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.burst++ === 0) {
      this.clearLoopTurn = clearImmediate;
      this.loopTurnImmediate = setImmediate(this.loopTurned);
    }
    const hooks = this.hooks;
    const outq = this.outq;
    // one batch array and one markSent for every flush: nothing allocated per send
    const batch = this.batch;
    let i = 0;
    try {
      while (i < this.queuedCount && !hooks.closed()) {
        // the next batch: up to MAX_BATCH messages still waiting to go (an aborted one is skipped)
        let n = 0;
        while (i < this.queuedCount && n < MAX_BATCH) {
          const p = outq[i++]!;
          if (p.state === State.QUEUED) batch[n++] = p;
        }
        this.flushIndex = i;
        this.batchCount = n;
        if (n === 0) continue;
        this.batchSent = false;
        try {
          const bufs = this.batchWriter.write(batch, n);
          const t = this.transport;
          if (t.sendAndPoll) {
            t.sendAndPoll(bufs, this.markSent, hooks.nothingPending);
          } else {
            t.send(bufs);
            this.markSent();
            t.poll(hooks.nothingPending);
          }
        } catch (e) {
          // thrown after the send went out: a handler's error, not a failed send
          if (this.batchSent) throw e;
          // nothing went out: forget the sequence numbers and free the dump slot
          for (let k = 0; k < n; k++) hooks.refused(batch[k], wrapSendError(batch[k].spec.op, e));
          continue;
        }
      }
    } finally {
      batch.fill(undefined as unknown as Pending, 0, this.batchCount);
      this.batchCount = 0;
      // what was sent (or refused) leaves the queue, even if a handler threw
      this.flushIndex = 0;
      this.take(i);
    }
  }

  /** The first `n` queued calls leave the queue (fewer if clear() ran meanwhile); the rest move up. */
  private take(n: number): void {
    const outq = this.outq;
    const rest = Math.max(0, this.queuedCount - n);
    outq.copyWithin(0, n, this.queuedCount);
    outq.fill(undefined, rest, this.queuedCount);
    this.queuedCount = rest;
  }
}
