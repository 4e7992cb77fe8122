/**
 * Waiting on devlink notifications: "wake me at the next event that concerns me, or
 * after at most N ms". The lifecycle re-checks state at each wake-up, so waiting follows
 * the kernel's events and the timer only bounds the wait where the kernel sends nothing.
 *
 * One EventHub per Devlink reads through the Devlink's one notification reader
 * (events.ts) while any Watch is open and wakes only the waiters whose filter matches a
 * notification (a loss wakes everybody): a hundred concurrent lifecycles do not each
 * re-read their port at every notification of the others.
 */
import { AbortError } from '../genl/errors';
import { Cmd } from './constants';
import type { DevlinkEvents, DevlinkNotice, NoticeSubscription } from './events';

/** What a notification is about, enough to route it. */
export interface EventKey {
  readonly cmd: number;
  readonly bus: string;
  readonly dev: string;
  readonly portIndex?: number;
}

/** undefined: notifications were lost (an overrun, an undecodable one, the close). */
export type EventFilter = (ev: EventKey | undefined) => boolean;

interface Waiter {
  readonly filter: EventFilter;
  wake(): void;
}

export class EventHub {
  private readonly waiters = new Set<Waiter>();
  private users = 0;
  private sub: NoticeSubscription | undefined;

  constructor(private readonly events: DevlinkEvents) {}

  /** Subscribe and join the group (once for every user), so no later event is missed. */
  async acquire(): Promise<void> {
    this.users++;
    // the lifecycle's reader: it still reads while close() waits for the calls' clean-up
    this.sub ??= this.events.subscribe((n) => this.onNotice(n), true);
    try {
      await this.sub.ready;
    } catch (e) {
      this.release();
      throw e;
    }
  }

  release(): void {
    if (--this.users > 0) return;
    this.sub?.close();
    this.sub = undefined;
  }

  private onNotice(n: DevlinkNotice): void {
    switch (n.kind) {
      case 'observed':
        return;
      case 'message': {
        const a = n.attrs;
        return this.dispatch({ cmd: n.cmd, bus: a.busName ?? '', dev: a.devName ?? '', ...(a.portIndex !== undefined ? { portIndex: a.portIndex } : {}) });
      }
      default:
        // lost notifications or the end: every waiter looks again
        return this.dispatch(undefined);
    }
  }

  private dispatch(key: EventKey | undefined): void {
    for (const w of [...this.waiters]) if (key === undefined || w.filter(key)) w.wake();
  }

  /** Resolves at the next matching event or after `ms`; rejects with AbortError when `signal` fires. */
  next(filter: EventFilter, ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError('wait', signal.reason));
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(w);
      };
      const w: Waiter = { filter, wake: () => { finish(); resolve(); } };
      const onAbort = (): void => {
        finish();
        reject(new AbortError('wait', signal?.reason));
      };
      const timer = setTimeout(w.wake, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(w);
    });
  }
}

/** One lifecycle call's view of the hub, with its own filter. */
export class Watch {
  private closed = false;

  private constructor(private readonly hub: EventHub, private readonly filter: EventFilter) {}

  static async open(hub: EventHub, filter: EventFilter): Promise<Watch> {
    await hub.acquire();
    return new Watch(hub, filter);
  }

  next(ms: number, signal?: AbortSignal): Promise<void> {
    return this.closed ? Promise.resolve() : this.hub.next(this.filter, ms, signal);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.release();
  }
}

/**
 * Events that can change what an SF lifecycle waits for: its own port's notifications,
 * and the auxiliary devices (the SF's own devlink instance and its port) coming and going.
 */
export function sfEvents(bus: string, dev: string): (index: () => number | undefined) => EventFilter {
  return (index) => (ev) => {
    if (ev === undefined) return true;
    if (ev.bus === 'auxiliary') return ev.cmd === Cmd.NEW || ev.cmd === Cmd.DEL || ev.cmd === Cmd.PORT_NEW || ev.cmd === Cmd.PORT_DEL;
    if (ev.bus !== bus || ev.dev !== dev) return false;
    const i = index();
    return ev.portIndex === undefined || i === undefined || ev.portIndex === i;
  };
}
