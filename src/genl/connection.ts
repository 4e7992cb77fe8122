/**
 * The request engine: one path for every request — stamp a sequence number, send,
 * receive, check the sender's port and the sequence number, collect replies until the
 * ACK or NLMSG_DONE, turn errors into KernelError with the ext-ack resolved.
 *
 * - Many requests in flight: requests made in the same tick share one send (up to
 *   MAX_BATCH messages); after the send the socket is drained at once (the kernel has
 *   answered inside the send system call), so replies usually skip the event loop.
 * - Dumps: a netlink socket runs one dump at a time, so dumps queue behind each other;
 *   plain requests pass freely.
 * - Every call has a timeout and may take an AbortSignal, both checked before anything
 *   is sent (call-options.ts); close() rejects everything pending and frees every timer,
 *   immediate and listener at once; a failed socket closes the connection with its
 *   error as the cause.
 * - A dump given up on (aborted, or its stream left) keeps its sequence number to
 *   swallow the rest of its replies, until its DONE or its deadline: then the socket's
 *   dump slot is free again (late replies are dropped, counted in stats.droppedSeq).
 * - Notifications (sequence 0 or a multicast group) go to subscribers, each with its own
 *   bounded queue; a receive-buffer overrun is delivered to them as a marker.
 * - A datagram the transport had to truncate (bounded receive mode) is never decoded:
 *   the request it answered rejects with TruncatedError; a notification shows as an overrun.
 *
 * Its parts, each in its own file: what a caller hands in (request-spec.ts), the book of
 * calls with the sequence numbers and the dump slot (calls.ts), the send queue and its
 * batches (send-queue.ts), what one message of an answer does to its call (reply.ts),
 * the notification subscribers (notify.ts), the deadline timer (deadline-timer.ts).
 */
import { NetlinkError } from '../attrs/errors';
import { checkCallOptions, checkConnectionOptions, ConnectionOptions } from './call-options';
import { CallTable, NO_REPLIES, Pending, resolveCall, State } from './calls';
import { AbortError, ClosedError, DumpInterruptedError, KernelError, OverrunError, TimeoutError, TruncatedError } from './errors';
import { kernelWarningOf } from './call-errors';
import { NLMSG_HDRLEN, NLMSG_MIN_TYPE } from './constants';
import { NLH_SEQ } from './header-offsets';
import { AckInfo, forEachMessageIn, NlMsg, ownMessage, ReusedMsg } from './message';
import { Notification, NotificationFanout, NotificationListener } from './notify';
export type { Notification, NotificationListener } from './notify';
import { AsyncQueue } from './queue';
import { DeadlineTimer, now, UNSTAMPED } from './deadline-timer';
import { MORE, readReply } from './reply';
import { SendQueue } from './send-queue';
import type { ConnectionStats, DecodedDumpSpec, DecodedRequestSpec, DumpSpec, RequestSpec } from './request-spec';
import { RecvInfo, Transport, TruncatedInfo } from './transport';

/** Default per-call timeout. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export type { CallOptions, ConnectionOptions } from './call-options';
export { SendError } from './call-errors';
export type { KernelWarning } from './call-options';
export { MAX_BATCH } from './send-queue';
export type { ConnectionStats, DecodedDumpSpec, DecodedRequestSpec, DumpSpec, RequestSpec } from './request-spec';

/**
 * The resolving functions of the promise made last: `new Promise(keepResolvers)` hands
 * them over synchronously, with no executor closure made per call (enqueue()).
 */
const NOT_MADE = (): void => {};
let madeResolve: (v: unknown) => void = NOT_MADE;
let madeReject: (e: unknown) => void = NOT_MADE;
const keepResolvers = (resolve: (v: NlMsg[]) => void, reject: (e: unknown) => void): void => {
  madeResolve = resolve as (v: unknown) => void;
  madeReject = reject;
};

export class Connection {
  private readonly calls = new CallTable((p) => this.launch(p));
  private readonly sendQueue: SendQueue;
  private readonly notify: NotificationFanout;
  private readonly timeoutMs: number;
  private closedBy: ClosedError | undefined;
  private overrunCheck = false;
  /** One timer for every deadline: when it fires, expire() looks through the calls. */
  private readonly deadlines = new DeadlineTimer((t) => this.expire(t));
  /** The immediate of the overrun check, cancelled at close(). */
  private overrunImmediate: NodeJS.Immediate | undefined;
  /** Streamed dumps whose abort listener outlives the call (until their consumer is done). */
  private readonly listeningStreams = new Set<Pending>();
  /** The group of the datagram onDatagram() is splitting (a field, so the callback is made once). */
  private datagramGroup = 0;
  /** While a lent datagram is dispatched: the sequence number of the decoding dump it answers (see onDatagram); else 0. */
  private lentTo = 0;
  /** The message object a lent datagram's messages are read through (forEachMessage's `reuse`). */
  private readonly lentMsg = new ReusedMsg();
  private readonly dispatchOne = (m: NlMsg): void => {
    if (!this.closedBy) this.dispatch(m, this.datagramGroup);
  };
  readonly stats: ConnectionStats = {
    sent: 0, sends: 0, received: 0, droppedSender: 0, droppedSeq: 0, malformed: 0, overruns: 0, truncated: 0, listenerErrors: 0, warnings: 0,
  };
  private readonly onWarning: ConnectionOptions['onWarning'];
  /** readReply's `warn`: counts the warning and hands it to onWarning (a field, so the callback is made once). */
  private readonly warn = (p: Pending, info: AckInfo): void => {
    this.stats.warnings++;
    if (!this.onWarning) return;
    try {
      this.onWarning(kernelWarningOf(p.spec, info));
    } catch {
      this.stats.listenerErrors++;
    }
  };

  constructor(
    readonly transport: Transport,
    opts: ConnectionOptions = {},
  ) {
    checkConnectionOptions(opts);
    this.onWarning = opts.onWarning;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sendQueue = new SendQueue(transport, this.stats, {
      closed: () => this.closedBy !== undefined,
      // poll()'s stop condition after a send: every request sent has its answer (the calls still queued have none
      // to read; one given up on while queued may make this true early: what is left is read from the event loop)
      nothingPending: () => this.calls.size <= this.sendQueue.unsent,
      // nothing of the call went out: forget its sequence number, free the dump slot
      refused: (p, err) => {
        this.calls.forget(p);
        this.settle(p, err);
      },
    });
    this.notify = new NotificationFanout(opts.notificationLimit ?? 65536, () => this.stats.listenerErrors++);
    transport.start({
      message: (buf, from, borrowed) => this.onDatagram(buf, from, borrowed === true),
      truncated: (seq, length, info) => this.onTruncated(seq, length, info),
      overrun: () => this.onOverrun(),
      error: (err) => this.fail(err),
    });
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Send one request; resolves with its replies once the ACK arrives. */
  request(spec: RequestSpec): Promise<NlMsg[]> {
    return this.enqueue(spec, false, undefined);
  }

  /** Send one request; resolves with what `spec.decode` makes of its replies. */
  requestDecoded<T>(spec: DecodedRequestSpec<T>): Promise<T> {
    return this.enqueue(spec, false, undefined) as Promise<unknown> as Promise<T>;
  }

  /** Run a dump; resolves with every message once NLMSG_DONE arrives. */
  dump(spec: DumpSpec): Promise<NlMsg[]> {
    return this.enqueue(spec, true, undefined);
  }

  /** Run a dump whose replies `spec.each` decodes as they are read; resolves with the results once NLMSG_DONE arrives. */
  dumpDecoded<T>(spec: DecodedDumpSpec<T>): Promise<T[]> {
    return this.enqueue(spec, true, undefined) as Promise<unknown> as Promise<T[]>;
  }

  /**
   * Run a dump, yielding messages as they arrive. Breaking out of the loop is safe. An
   * abort of `spec.signal` ends the iteration at once, as it rejects dump(): the next
   * next() rejects with AbortError, also when the dump's last message has arrived and
   * messages are still buffered (they are dropped), until the consumer has seen the end.
   */
  dumpStream(spec: DumpSpec): AsyncIterableIterator<NlMsg> {
    let p: Pending | undefined;
    const q = new AsyncQueue<NlMsg>(
      Infinity,
      () => {
        // the consumer stopped: swallow the rest of the dump, then free the socket's dump slot
        if (p && p.state !== State.SETTLED) this.abandon(p, false);
      },
      () => p && this.unlisten(p),
    );
    const done = this.enqueue(spec, true, q, (pend) => (p = pend));
    done.then(() => q.end(), (e: unknown) => q.fail(e));
    return q;
  }

  /** Receive notifications (sequence 0 / multicast) until `close()` of the stream or the connection. */
  subscribe(): AsyncQueue<Notification> {
    return this.notify.subscribe();
  }

  /**
   * Receive notifications synchronously, as they are read (see NotificationListener);
   * returns the function that stops it. A closed connection calls `closed` at once.
   */
  listen(l: NotificationListener): () => void {
    return this.notify.listen(l);
  }

  /** Close the socket; every pending call rejects with ClosedError, subscriptions end. */
  async close(): Promise<void> {
    this.shutdown(undefined);
  }

  private fail(err: Error): void {
    this.shutdown(err);
  }

  private shutdown(cause: Error | undefined): void {
    if (this.closedBy) return;
    this.closedBy = new ClosedError('netlink', cause);
    for (const p of [...this.calls.values(), ...this.sendQueue.queued, ...this.calls.waiting]) {
      if (p.state !== State.SETTLED) this.settle(p, new ClosedError(p.spec.op, cause));
    }
    this.calls.clear();
    this.sendQueue.clear();
    for (const p of this.listeningStreams) this.unlisten(p);
    this.deadlines.cancel();
    if (this.overrunImmediate !== undefined) clearImmediate(this.overrunImmediate);
    this.overrunImmediate = undefined;
    this.notify.end();
    this.transport.close();
  }

  private enqueue(spec: Pending['spec'], dump: boolean, stream: AsyncQueue<NlMsg> | undefined, expose?: (p: Pending) => void): Promise<NlMsg[]> {
    const promise = new Promise<NlMsg[]>(keepResolvers);
    // every field of a Pending from the start: one shape, nothing added later (a property added to an object allocates)
    const p: Pending = {
      seq: 0, dump, spec, state: State.QUEUED, replies: NO_REPLIES, failed: undefined, stream, interrupted: false, attempts: 0, atRisk: false,
      resolve: madeResolve, reject: madeReject, deadline: 0, timeoutMs: 0, onAbort: undefined,
    };
    // let go of them: held here, they would keep the promise, and what it resolves with (a whole dump), reachable
    madeResolve = madeReject = NOT_MADE;
    // what an executor does with a throw: the promise rejects
    try {
      this.start(p, spec, stream, expose);
    } catch (e) {
      p.reject(e);
    }
    return promise;
  }

  /** A new call: its options checked, its signal listened to, its deadline counted, launched or waiting for the dump slot. */
  private start(p: Pending, spec: Pending['spec'], stream: AsyncQueue<NlMsg> | undefined, expose: ((p: Pending) => void) | undefined): void {
    expose?.(p);
    try {
      checkCallOptions(spec);
    } catch (e) {
      return this.settle(p, e);
    }
    if (this.closedBy) return this.settle(p, new ClosedError(spec.op));
    const { signal } = spec;
    if (signal) {
      if (signal.aborted) return this.settle(p, new AbortError(spec.op, signal.reason));
      p.onAbort = stream ? () => this.abortStream(p) : () => this.abandon(p, true);
      signal.addEventListener('abort', p.onAbort, { once: true });
      if (stream) this.listeningStreams.add(p);
    }
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    if (timeoutMs > 0) {
      p.timeoutMs = timeoutMs;
      this.deadlines.add(p);
    }
    this.calls.launchOrWait(p);
  }

  private launch(p: Pending): void {
    this.calls.start(p);
    this.sendQueue.push(p);
  }

  private onDatagram(buf: Buffer, from: RecvInfo, borrowed: boolean): void {
    if (this.closedBy) return;
    if (from.port !== this.transport.peerPort) {
      this.stats.droppedSender++;
      return;
    }
    this.stats.received++;
    this.datagramGroup = from.group;
    // A lent datagram is read in place only when it answers a dump that decodes each reply as it comes (and
    // keeps nothing of the bytes); anything else is copied first, as every datagram was before.
    this.lentTo = borrowed ? this.decodingDump(buf, from.group) : 0;
    if (borrowed && this.lentTo === 0) buf = Buffer.from(buf);
    try {
      // read in place: one message object for the whole datagram (each() keeps nothing of it, the rest is copied)
      forEachMessageIn(buf, this.dispatchOne, this.lentTo !== 0 ? this.lentMsg : undefined);
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      this.stats.malformed++;
    } finally {
      if (this.lentTo !== 0) this.lentMsg.clear();
      this.lentTo = 0;
    }
  }

  /** The sequence number of the dump with `each` (and no `onReply`) that a unicast datagram's first message answers; else 0. */
  private decodingDump(buf: Buffer, group: number): number {
    if (group !== 0 || buf.length < NLMSG_HDRLEN) return 0;
    const seq = buf.readUInt32LE(NLH_SEQ);
    const p = seq === 0 ? undefined : this.calls.get(seq);
    return p !== undefined && p.spec.each !== undefined && p.spec.onReply === undefined && p.stream === undefined ? seq : 0;
  }

  /**
   * A datagram lost to truncation. Its first header is all there is: a notification's
   * subscribers are told of an overrun (they resync); the request it answered rejects,
   * and is forgotten as a timed-out one is (so is a dump: the rest of it is dropped).
   */
  private onTruncated(seq: number, length: number, info: TruncatedInfo): void {
    if (this.closedBy) return;
    if (info.port !== this.transport.peerPort) {
      this.stats.droppedSender++;
      return;
    }
    this.stats.truncated++;
    if (info.group !== 0 || seq === 0) {
      this.notify.overrun();
      return;
    }
    const p = this.calls.get(seq);
    if (p === undefined) {
      this.stats.droppedSeq++;
      return;
    }
    this.calls.forget(p);
    this.settle(p, new TruncatedError(p.spec.op, length, info.slotSize, seq));
  }

  private dispatch(m: NlMsg, group: number): void {
    // in a lent datagram only the decoding dump's replies are read in place; its DONE, an error (ext-ack
    // attributes) or any other call's message gets bytes of its own
    if (this.lentTo !== 0 && (m.seq !== this.lentTo || m.type < NLMSG_MIN_TYPE)) m = ownMessage(m);
    if (group !== 0 || m.seq === 0) {
      if (this.notify.wanted) this.notify.message(m, group);
      return;
    }
    const p = this.calls.get(m.seq);
    if (p === undefined) {
      this.stats.droppedSeq++;
      return;
    }
    if (p.state !== State.DRAINING) p.spec.onReply?.(m);
    const outcome = readReply(p, m, this.warn);
    if (outcome !== MORE) this.finish(p, outcome);
  }

  /** The kernel finished with a request: an ACK, DONE, or an error. */
  private finish(p: Pending, err: KernelError | undefined): void {
    this.calls.forget(p);
    if (p.state === State.DRAINING) p.state = State.SETTLED;
    if (p.state === State.SETTLED) return;
    if (err) return this.settle(p, err);
    if (p.dump && p.interrupted) {
      const retries = p.spec.retryInterrupted ?? 0;
      if (!p.stream && p.attempts <= retries) {
        p.replies = NO_REPLIES;
        p.failed = undefined;
        p.interrupted = false;
        p.state = State.QUEUED;
        this.calls.launchOrWait(p, true);
        return;
      }
      return this.settle(p, new DumpInterruptedError(p.spec.op, p.attempts));
    }
    // what a dump's `each` threw, if it did (undefined: the call resolves)
    this.settle(p, p.failed);
  }

  /**
   * Give up on a call (abort, or a stream whose consumer left). A dump already sent is
   * drained to its end, or to its deadline (the call's, else the connection's timeout).
   */
  private abandon(p: Pending, aborted: boolean): void {
    if (p.state === State.SETTLED || p.state === State.DRAINING) return;
    const err = aborted ? new AbortError(p.spec.op, p.spec.signal?.reason) : undefined;
    if (p.state === State.QUEUED || !p.dump) {
      this.calls.forget(p);
      return this.settle(p, err);
    }
    // keep the sequence number until DONE so the rest of the dump is swallowed
    this.settle(p, err);
    p.state = State.DRAINING;
    // none, or one never stamped (the settle let go of it): from now, the call's own timeout, else the connection's
    if (p.deadline === 0) p.deadline = now() + (p.timeoutMs || this.timeoutMs || DEFAULT_TIMEOUT_MS);
    // one not stamped yet is armed for when it is
    if (p.deadline !== UNSTAMPED) this.deadlines.arm(p.deadline);
  }

  /** A streamed dump's signal fired: what is buffered is dropped, the consumer sees AbortError next. */
  private abortStream(p: Pending): void {
    p.stream!.abort(new AbortError(p.spec.op, p.spec.signal?.reason));
    this.abandon(p, true);
    this.unlisten(p);
  }

  /** Remove a call's abort listener. */
  private unlisten(p: Pending): void {
    if (p.onAbort) {
      p.spec.signal?.removeEventListener('abort', p.onAbort);
      p.onAbort = undefined;
    }
    if (p.stream) this.listeningStreams.delete(p);
  }

  /** The deadline timer fired at `t`: time out every call past its deadline; returns the next deadline. */
  private expire(t: number): number {
    let next = Infinity;
    // launched calls (draining dumps among them), and dumps waiting for the socket's dump slot
    for (const list of [this.calls.values(), [...this.calls.waiting]]) {
      for (const p of list) {
        if (p.deadline <= 0 || p.state === State.SETTLED) continue;
        if (p.deadline <= t) this.timeout(p);
        else if (p.deadline < next) next = p.deadline;
      }
    }
    return this.closedBy ? Infinity : next;
  }

  /** A call's deadline passed: it rejects with TimeoutError; a draining dump is let go (its late replies dropped). */
  private timeout(p: Pending): void {
    this.calls.forget(p);
    if (p.state === State.DRAINING) p.state = State.SETTLED;
    else this.settle(p, new TimeoutError(p.spec.op, p.timeoutMs));
  }

  /** The call's promise settles (once; a draining dump settled already); its deadline and listener go. */
  private settle(p: Pending, err: unknown): void {
    if (p.state === State.SETTLED || p.state === State.DRAINING) return;
    p.state = State.SETTLED;
    if (p.deadline !== 0) this.deadlines.remove(p);
    // a streamed dump listens until its consumer is done (or the connection closes)
    if (!this.listeningStreams.has(p)) this.unlisten(p);
    resolveCall(p, err);
  }

  /**
   * ENOBUFS: something addressed to us was lost. Subscribers are told. A request to the
   * kernel is answered inside the send call, so once the socket has been drained, a
   * request sent before the overrun that is still unanswered lost its reply.
   */
  private onOverrun(): void {
    this.stats.overruns++;
    this.notify.overrun();
    if (this.transport.peerPort !== 0) return;
    for (const p of this.calls.values()) if (p.state === State.SENT && !p.dump) p.atRisk = true;
    if (this.overrunCheck) return;
    this.overrunCheck = true;
    this.overrunImmediate = setImmediate(() => {
      this.overrunImmediate = undefined;
      this.overrunCheck = false;
      for (const p of this.calls.values()) {
        if (p.atRisk && p.state === State.SENT) {
          this.calls.forget(p);
          this.settle(p, new OverrunError(p.spec.op));
        }
      }
    });
  }
}

