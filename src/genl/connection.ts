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
 */
import { AttrDefs, AttrSet } from '../attrs/schema';
import { NetlinkError } from '../attrs/errors';
import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from './constants';
import { CallOptions, checkCallOptions, checkConnectionOptions, ConnectionOptions } from './call-options';
import { kernelErrorOf, wrapSendError } from './call-errors';
import { AbortError, ClosedError, DumpInterruptedError, KernelError, KernelErrorInfo, OverrunError, TimeoutError, TruncatedError } from './errors';
import { forEachMessage, NlMsg, parseDone, parseError } from './message';
import { Notification, NotificationFanout, NotificationListener } from './notify';
export type { Notification, NotificationListener } from './notify';
import { AsyncQueue } from './queue';
import { BatchWriter } from './batch';
import { DeadlineTimer, now } from './deadline-timer';
import { SeqTable } from './seqtable';
import { RecvInfo, Transport, TruncatedInfo } from './transport';

/** At most this many messages share one send. */
export const MAX_BATCH = 32;
/** Default per-call timeout. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * At most this many flushes in a row from microtasks; the next waits for the event loop
 * (timers, other sockets, signals) to turn once.
 */
const MAX_BURST = 64;

export type { CallOptions, ConnectionOptions } from './call-options';
export { SendError } from './call-errors';

export interface RequestSpec extends CallOptions {
  /** One whole message (startRequest/finishRequest); its sequence number is stamped here. */
  readonly msg: Buffer;
  /** Names the operation in errors: "devlink port-new". */
  readonly op: string;
  /** The request's attribute set: ext-ack offsets and missing attributes resolve through it. */
  readonly attrs?: AttrSet<AttrDefs>;
  /** The family's fixed header size (0 for most). */
  readonly hdrSize?: number;
  /** Build the error for a kernel refusal (a subclass such as DevlinkError). */
  readonly makeError?: (info: KernelErrorInfo) => KernelError;
  /**
   * The kernel answers this request with exactly one message or an error (a generic
   * netlink "do" that replies, such as a GET). It goes out without NLM_F_ACK and is done
   * at that message: one datagram less per call. Leave unset for anything that may
   * answer with nothing but an ACK (a SET, a DEL), which would then never complete.
   */
  readonly oneReply?: boolean;
  /**
   * Called with each message of the answer (replies, then the ACK, DONE or error) at the
   * moment it is read, in the socket's order with
   * the notifications listeners see (see listen()): a reader that keeps state from both
   * can tell which notifications came before a reply and which after.
   */
  readonly onReply?: (m: NlMsg) => void;
}

/**
 * A request whose replies the engine turns into the call's value itself, before the
 * promise resolves: one promise and one microtask fewer than `request(...).then(...)`.
 */
export interface DecodedRequestSpec<T> extends RequestSpec {
  readonly decode: (replies: NlMsg[]) => T;
  /** Told of every failure (a kernel refusal, a timeout, an abort, a decode error) before the call rejects with it. */
  readonly onError?: (err: unknown) => void;
}

export interface DumpSpec extends RequestSpec {
  /** Re-run a dump interrupted by NLM_F_DUMP_INTR up to this many times (array form only). */
  readonly retryInterrupted?: number;
}

export interface ConnectionStats {
  sent: number;
  sends: number;
  received: number;
  /** Dropped: wrong sender, unknown sequence number, malformed. */
  droppedSender: number;
  droppedSeq: number;
  malformed: number;
  overruns: number;
  /** Datagrams the transport read truncated (bounded receive mode), from our peer. */
  truncated: number;
  /** Exceptions thrown by listen() subscribers (dropped). */
  listenerErrors: number;
}

const enum State { QUEUED, SENT, DRAINING, SETTLED }

interface Pending {
  seq: number;
  readonly dump: boolean;
  readonly spec: DumpSpec & Partial<Pick<DecodedRequestSpec<unknown>, 'decode' | 'onError'>>;
  state: State;
  replies: NlMsg[];
  /** Streamed dump: replies go here instead of `replies`. */
  stream?: AsyncQueue<NlMsg>;
  interrupted: boolean;
  attempts: number;
  /** Sent before a receive overrun: its reply may have been lost. */
  atRisk: boolean;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /**
   * When the call times out (the monotonic clock, ms); 0 for never. A dump given up on
   * while the kernel still sends it (DRAINING) always has one: when it passes, the
   * dump slot is freed.
   */
  deadline: number;
  timeoutMs: number;
  /** The listener on spec.signal; a streamed dump's stays until its consumer is done with it. */
  onAbort?: () => void;
}

export class Connection {
  private seq = 0;
  private readonly pending = new SeqTable<Pending>();
  private readonly outq: Pending[] = [];
  private flushScheduled = false;
  private dumpHolder: Pending | undefined;
  private readonly dumpQueue: Pending[] = [];
  private readonly notify: NotificationFanout;
  private readonly timeoutMs: number;
  private closedBy: ClosedError | undefined;
  /** poll()'s stop condition after a send: every request has its answer. */
  private readonly nothingPending = (): boolean => this.pending.size === 0;
  private overrunCheck = false;
  /** One timer for every deadline: when it fires, expire() looks through the calls. */
  private readonly deadlines = new DeadlineTimer((t) => this.expire(t));
  private readonly flushTask = (): void => {
    this.flushImmediate = undefined;
    this.flush();
  };
  /**
   * The immediates this connection waits for, cancelled at close(): a pending one would
   * keep a closed connection (and what it holds) reachable until the event loop turns.
   */
  private flushImmediate: NodeJS.Immediate | undefined;
  private loopTurnImmediate: NodeJS.Immediate | undefined;
  private overrunImmediate: NodeJS.Immediate | undefined;
  /** Streamed dumps whose abort listener outlives the call (until their consumer is done). */
  private readonly listeningStreams = new Set<Pending>();
  /** The group of the datagram onDatagram() is splitting (a field, so the callback is made once). */
  private datagramGroup = 0;
  private readonly dispatchOne = (m: NlMsg): void => {
    if (!this.closedBy) this.dispatch(m, this.datagramGroup);
  };
  /** Flushes since the event loop last turned (see launch()). */
  private burst = 0;
  private readonly loopTurned = (): void => {
    this.loopTurnImmediate = undefined;
    this.burst = 0;
  };
  /** Where a batch is assembled for its one send. */
  private readonly batchWriter = new BatchWriter();
  readonly stats: ConnectionStats = {
    sent: 0, sends: 0, received: 0, droppedSender: 0, droppedSeq: 0, malformed: 0, overruns: 0, truncated: 0, listenerErrors: 0,
  };

  constructor(
    readonly transport: Transport,
    opts: ConnectionOptions = {},
  ) {
    checkConnectionOptions(opts);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.notify = new NotificationFanout(opts.notificationLimit ?? 65536, () => this.stats.listenerErrors++);
    transport.start({
      message: (buf, from) => this.onDatagram(buf, from),
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
    for (const p of [...this.pending.values(), ...this.outq, ...this.dumpQueue]) {
      if (p.state !== State.SETTLED) this.settle(p, new ClosedError(p.spec.op, cause));
    }
    this.pending.clear();
    this.outq.length = 0;
    this.dumpQueue.length = 0;
    this.dumpHolder = undefined;
    for (const p of this.listeningStreams) this.unlisten(p);
    this.deadlines.cancel();
    for (const i of [this.flushImmediate, this.loopTurnImmediate, this.overrunImmediate]) if (i !== undefined) clearImmediate(i);
    this.flushImmediate = this.loopTurnImmediate = this.overrunImmediate = undefined;
    this.notify.end();
    this.transport.close();
  }

  private enqueue(spec: Pending['spec'], dump: boolean, stream: AsyncQueue<NlMsg> | undefined, expose?: (p: Pending) => void): Promise<NlMsg[]> {
    return new Promise<NlMsg[]>((resolve, reject) => {
      const p: Pending = {
        seq: 0, dump, spec, state: State.QUEUED, replies: [], interrupted: false, attempts: 0, atRisk: false,
        resolve, reject, deadline: 0, timeoutMs: 0,
      };
      if (stream) p.stream = stream;
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
        p.deadline = now() + timeoutMs;
        this.deadlines.add(p.deadline);
      }
      if (dump && this.dumpHolder) this.dumpQueue.push(p);
      else this.launch(p);
    });
  }

  private launch(p: Pending): void {
    if (p.dump) this.dumpHolder = p;
    p.seq = this.nextSeq();
    p.attempts++;
    this.pending.add(p);
    this.outq.push(p);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // a reply is usually read inside the send, so a caller awaiting call after call
      // never gives the event loop a turn: every MAX_BURST flushes, wait for one
      if (this.burst < MAX_BURST) queueMicrotask(this.flushTask);
      else this.flushImmediate = setImmediate(this.flushTask);
    }
  }

  /** Sequence numbers: per connection, wrapping, never 0, never one still pending. */
  private nextSeq(): number {
    this.pending.reserve();
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1;
    } while (!this.pending.isFree(this.seq));
    return this.seq;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.burst++ === 0) this.loopTurnImmediate = setImmediate(this.loopTurned);
    const outq = this.outq;
    let i = 0;
    try {
      while (i < outq.length && !this.closedBy) {
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
            t.sendAndPoll(bufs, markSent, this.nothingPending);
          } else {
            t.send(bufs);
            markSent();
            t.poll(this.nothingPending);
          }
        } catch (e) {
          // thrown after the send went out: a handler's error, not a failed send
          if (sent) throw e;
          // nothing went out: forget the sequence numbers and free the dump slot
          for (const p of batch) {
            this.forget(p);
            this.settle(p, wrapSendError(p.spec.op, e));
          }
          continue;
        }
      }
    } finally {
      // what was sent (or refused) leaves the queue, even if a handler threw
      if (i >= outq.length) outq.length = 0;
      else outq.splice(0, i);
    }
  }

  private onDatagram(buf: Buffer, from: RecvInfo): void {
    if (this.closedBy) return;
    if (from.port !== this.transport.peerPort) {
      this.stats.droppedSender++;
      return;
    }
    this.stats.received++;
    this.datagramGroup = from.group;
    try {
      forEachMessage(buf, this.dispatchOne);
    } catch (e) {
      if (!(e instanceof NetlinkError)) throw e;
      this.stats.malformed++;
    }
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
    const p = this.pending.get(seq);
    if (p === undefined) {
      this.stats.droppedSeq++;
      return;
    }
    this.forget(p);
    this.settle(p, new TruncatedError(p.spec.op, length, info.slotSize, seq));
  }

  private dispatch(m: NlMsg, group: number): void {
    if (group !== 0 || m.seq === 0) {
      if (this.notify.wanted) this.notify.message(m, group);
      return;
    }
    const p = this.pending.get(m.seq);
    if (p === undefined) {
      this.stats.droppedSeq++;
      return;
    }
    if (p.state !== State.DRAINING) p.spec.onReply?.(m);
    switch (m.type) {
      case NLMSG_ERROR: {
        const info = parseError(m);
        if (info.errno !== 0) this.finish(p, kernelErrorOf(p.spec, p.seq, info));
        else if (!p.dump) this.finish(p, undefined);
        return;
      }
      case NLMSG_DONE: {
        if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
        const info = parseDone(m);
        this.finish(p, info.errno !== 0 ? kernelErrorOf(p.spec, p.seq, info) : undefined);
        return;
      }
      case NLMSG_NOOP:
      case NLMSG_OVERRUN:
        return;
      default:
        if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
        if (p.state === State.DRAINING) return;
        if (p.stream) p.stream.push(m);
        else p.replies.push(m);
        // sent without NLM_F_ACK: this message is the whole answer
        if (p.spec.oneReply && !p.dump) this.finish(p, undefined);
    }
  }

  /** The kernel finished with a request: an ACK, DONE, or an error. */
  private finish(p: Pending, err: KernelError | undefined): void {
    this.forget(p);
    if (p.state === State.DRAINING) p.state = State.SETTLED;
    if (p.state === State.SETTLED) return;
    if (err) return this.settle(p, err);
    if (p.dump && p.interrupted) {
      const retries = p.spec.retryInterrupted ?? 0;
      if (!p.stream && p.attempts <= retries) {
        p.replies = [];
        p.interrupted = false;
        p.state = State.QUEUED;
        if (this.dumpHolder) this.dumpQueue.unshift(p);
        else this.launch(p);
        return;
      }
      return this.settle(p, new DumpInterruptedError(p.spec.op, p.attempts));
    }
    this.settle(p, undefined);
  }

  private releaseDump(): void {
    this.dumpHolder = undefined;
    const next = this.dumpQueue.shift();
    if (next) this.launch(next);
  }

  /** Take a call out of the engine's tables: its sequence number, the dump queue, the dump slot. */
  private forget(p: Pending): void {
    this.pending.delete(p.seq);
    if (!p.dump) return;
    const i = this.dumpQueue.indexOf(p);
    if (i >= 0) this.dumpQueue.splice(i, 1);
    if (this.dumpHolder === p) this.releaseDump();
  }

  /**
   * Give up on a call (abort, or a stream whose consumer left). A dump already sent is
   * drained to its end, or to its deadline (the call's, else the connection's timeout).
   */
  private abandon(p: Pending, aborted: boolean): void {
    if (p.state === State.SETTLED || p.state === State.DRAINING) return;
    const err = aborted ? new AbortError(p.spec.op, p.spec.signal?.reason) : undefined;
    if (p.state === State.QUEUED || !p.dump) {
      this.forget(p);
      return this.settle(p, err);
    }
    // keep the sequence number until DONE so the rest of the dump is swallowed
    this.settle(p, err);
    p.state = State.DRAINING;
    if (p.deadline === 0) p.deadline = now() + (this.timeoutMs || DEFAULT_TIMEOUT_MS);
    this.deadlines.arm(p.deadline);
  }

  /** A streamed dump's signal fired: what is buffered is dropped, the consumer sees AbortError next. */
  private abortStream(p: Pending): void {
    p.stream!.abort(new AbortError(p.spec.op, p.spec.signal?.reason));
    this.abandon(p, true);
    this.unlisten(p);
  }

  /** Remove a call's abort listener. */
  private unlisten(p: Pending): void {
    if (p.onAbort) p.spec.signal?.removeEventListener('abort', p.onAbort);
    p.onAbort = undefined;
    this.listeningStreams.delete(p);
  }

  /** The deadline timer fired at `t`: time out every call past its deadline; returns the next deadline. */
  private expire(t: number): number {
    let next = Infinity;
    // launched calls (draining dumps among them), and dumps waiting for the socket's dump slot
    for (const list of [this.pending.values(), [...this.dumpQueue]]) {
      for (const p of list) {
        if (p.deadline === 0 || p.state === State.SETTLED) continue;
        if (p.deadline <= t) this.timeout(p);
        else if (p.deadline < next) next = p.deadline;
      }
    }
    return this.closedBy ? Infinity : next;
  }

  /** A call's deadline passed: it rejects with TimeoutError; a draining dump is let go (its late replies dropped). */
  private timeout(p: Pending): void {
    this.forget(p);
    if (p.state === State.DRAINING) p.state = State.SETTLED;
    else this.settle(p, new TimeoutError(p.spec.op, p.timeoutMs));
  }

  /** The call's promise settles (once; a draining dump settled already); its deadline and listener go. */
  private settle(p: Pending, err: unknown): void {
    if (p.state === State.SETTLED || p.state === State.DRAINING) return;
    p.state = State.SETTLED;
    if (p.deadline !== 0) this.deadlines.remove();
    // a streamed dump listens until its consumer is done (or the connection closes)
    if (!this.listeningStreams.has(p)) this.unlisten(p);
    const spec = p.spec;
    if (err === undefined) {
      if (spec.decode === undefined) return p.resolve(p.replies);
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

  /**
   * ENOBUFS: something addressed to us was lost. Subscribers are told. A request to the
   * kernel is answered inside the send call, so once the socket has been drained, a
   * request sent before the overrun that is still unanswered lost its reply.
   */
  private onOverrun(): void {
    this.stats.overruns++;
    this.notify.overrun();
    if (this.transport.peerPort !== 0) return;
    for (const p of this.pending.values()) if (p.state === State.SENT && !p.dump) p.atRisk = true;
    if (this.overrunCheck) return;
    this.overrunCheck = true;
    this.overrunImmediate = setImmediate(() => {
      this.overrunImmediate = undefined;
      this.overrunCheck = false;
      for (const p of this.pending.values()) {
        if (p.atRisk && p.state === State.SENT) {
          this.forget(p);
          this.settle(p, new OverrunError(p.spec.op));
        }
      }
    });
  }
}

