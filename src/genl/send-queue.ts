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
  /** poll()'s stop condition after a send: every request has its answer. */
  readonly nothingPending: () => boolean;
  /** Nothing of the call went out (the send failed): forget it and reject it with `err`. */
  readonly refused: (p: Pending, err: unknown) => void;
}

export class SendQueue {
  private readonly outq: Pending[] = [];
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
  /** Flushes since the event loop last turned (see push()). */
  private burst = 0;
  private readonly loopTurned = (): void => {
    this.loopTurnImmediate = undefined;
    this.burst = 0;
  };
  /** Where a batch is assembled for its one send. */
  private readonly batchWriter = new BatchWriter();

  constructor(
    private readonly transport: Transport,
    private readonly stats: ConnectionStats,
    private readonly hooks: SendQueueHooks,
  ) {}

  /** The calls waiting to go out. */
  get queued(): readonly Pending[] {
    return this.outq;
  }

  /** Queue a launched call; the flush is scheduled once for everything queued in this tick. */
  push(p: Pending): void {
    this.outq.push(p);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // a reply is usually read inside the send, so a caller awaiting call after call
      // never gives the event loop a turn: every MAX_BURST flushes, wait for one
      if (this.burst < MAX_BURST) queueMicrotask(this.flushTask);
      else this.flushImmediate = setImmediate(this.flushTask);
    }
  }

  /** The connection closed: drop what waits and cancel the immediates. */
  clear(): void {
    this.outq.length = 0;
    for (const i of [this.flushImmediate, this.loopTurnImmediate]) if (i !== undefined) clearImmediate(i);
    this.flushImmediate = this.loopTurnImmediate = undefined;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.burst++ === 0) this.loopTurnImmediate = setImmediate(this.loopTurned);
    const hooks = this.hooks;
    const outq = this.outq;
    let i = 0;
    try {
      while (i < outq.length && !hooks.closed()) {
        // the next batch: up to MAX_BATCH messages still waiting to go (an aborted one is skipped)
        const batch: Pending[] = [];
        while (i < outq.length && batch.length < MAX_BATCH) {
          const p = outq[i++];
          if (p.state === State.QUEUED) batch.push(p);
        }
        if (batch.length === 0) continue;
        let sent = false;
        const markSent = (): void => {
          sent = true;
          for (const p of batch) if (p.state === State.QUEUED) p.state = State.SENT;
          this.stats.sent += batch.length;
          this.stats.sends++;
        };
        try {
          const bufs = this.batchWriter.write(batch);
          const t = this.transport;
          if (t.sendAndPoll) {
            t.sendAndPoll(bufs, markSent, hooks.nothingPending);
          } else {
            t.send(bufs);
            markSent();
            t.poll(hooks.nothingPending);
          }
        } catch (e) {
          // thrown after the send went out: a handler's error, not a failed send
          if (sent) throw e;
          // nothing went out: forget the sequence numbers and free the dump slot
          for (const p of batch) hooks.refused(p, wrapSendError(p.spec.op, e));
          continue;
        }
      }
    } finally {
      // what was sent (or refused) leaves the queue, even if a handler threw
      if (i >= outq.length) outq.length = 0;
      else outq.splice(0, i);
    }
  }
}
