/**
 * Where a connection's notifications go: to subscribers, each with its own bounded queue
 * (an overrun marker when one falls behind), and to synchronous listeners told at the
 * moment a notification is read (in order with replies; see RequestSpec.onReply).
 */
import type { NlMsg } from './message';
import { AsyncQueue } from './queue';

export type Notification =
  | { readonly kind: 'message'; readonly msg: NlMsg; readonly group: number }
  | { readonly kind: 'overrun' };

/**
 * A synchronous subscriber (Connection.listen()): told of each notification and overrun
 * at the moment it is read, in order with the replies of requests that set `onReply`;
 * then of the end. It must not throw (an exception is counted and dropped).
 */
export interface NotificationListener {
  /** A notification or an overrun, as it is read. */
  notification(n: Notification): void;
  /** The connection closed; nothing more comes. */
  closed?(): void;
}

const OVERRUN: Notification = { kind: 'overrun' };

export class NotificationFanout {
  private readonly subscribers = new Set<AsyncQueue<Notification>>();
  private readonly listeners = new Set<NotificationListener>();
  private ended = false;

  constructor(
    /** Queued notifications per subscriber before it is told of an overrun. */
    private readonly limit: number,
    /** Called when a listener threw (its exception is dropped). */
    private readonly onListenerError: () => void,
  ) {}

  /** A new subscriber's queue (ended at once when the fan-out has ended). */
  subscribe(): AsyncQueue<Notification> {
    const q: AsyncQueue<Notification> = new AsyncQueue<Notification>(this.limit, () => this.subscribers.delete(q));
    if (this.ended) q.end();
    else this.subscribers.add(q);
    return q;
  }

  /** Add a listener; returns the function that removes it. After the end: `closed` at once. */
  listen(l: NotificationListener): () => void {
    if (this.ended) {
      l.closed?.();
      return () => {};
    }
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  /** Whether anybody takes notifications (when nobody does, none is built). */
  get wanted(): boolean {
    return this.subscribers.size > 0 || this.listeners.size > 0;
  }

  message(msg: NlMsg, group: number): void {
    const n: Notification = { kind: 'message', msg, group };
    for (const s of this.subscribers) if (!s.push(n)) markOverrun(s);
    this.tell(n);
  }

  /** Notifications were lost: every subscriber and listener is told. */
  overrun(): void {
    for (const s of this.subscribers) markOverrun(s);
    this.tell(OVERRUN);
  }

  /** The connection closed: subscribers end, listeners are told, nothing more is taken. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const l of listeners) this.call(() => l.closed?.());
  }

  private tell(n: Notification): void {
    for (const l of this.listeners) this.call(() => l.notification(n));
  }

  private call(f: () => void): void {
    try {
      f();
    } catch {
      this.onListenerError();
    }
  }
}

/** Tell a subscriber it lost notifications: one marker, not one per lost message. */
function markOverrun(s: AsyncQueue<Notification>): void {
  if (s.last?.kind !== 'overrun') s.force(OVERRUN);
}
