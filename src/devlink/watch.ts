/**
 * Waiting on devlink notifications: "wake me at the next event that concerns me, or
 * after at most N ms". The lifecycle re-checks state at each wake-up, so waiting follows
 * the kernel's events and the timer only bounds the wait where the kernel sends nothing.
 *
 * One EventHub per Devlink holds a single subscription to the `config` group while any
 * Watch is open, decodes each notification once, and wakes only the waiters whose filter
 * matches it (a receive overrun wakes everybody): a hundred concurrent lifecycles do not
 * each re-read their port at every notification of the others.
 */
import { MalformedError } from '../attrs/errors';
import type { Notification } from '../genl/connection';
import { AbortError } from '../genl/errors';
import { genlCmd } from '../genl/message';
import type { AsyncQueue } from '../genl/queue';
import { Cmd, DEVLINK_GENL_MCGRP_CONFIG_NAME } from './constants';
import { decodeMessage } from './decode';
import type { Devlink } from './devlink';

/** What a notification is about, enough to route it. */
export interface EventKey {
  readonly cmd: number;
  readonly bus: string;
  readonly dev: string;
  readonly portIndex?: number;
}

/** undefined: an overrun (events were lost). */
export type EventFilter = (ev: EventKey | undefined) => boolean;

interface Waiter {
  readonly filter: EventFilter;
  wake(): void;
}

export class EventHub {
  private readonly waiters = new Set<Waiter>();
  private users = 0;
  private sub: AsyncQueue<Notification> | undefined;
  private group: number | undefined;
  private opening: Promise<void> | undefined;

  constructor(private readonly dl: Devlink) {}

  /** Subscribe and join the group (once for every user), so no later event is missed. */
  async acquire(): Promise<void> {
    this.users++;
    try {
      await (this.opening ??= this.open());
    } catch (e) {
      this.users--;
      this.opening = undefined;
      throw e;
    }
  }

  private async open(): Promise<void> {
    const sub = this.dl.genl.notifications();
    try {
      this.group = await this.dl.genl.joinGroup(this.dl.family.name, DEVLINK_GENL_MCGRP_CONFIG_NAME);
    } catch (e) {
      await sub.return();
      throw e;
    }
    this.sub = sub;
    void this.pump(sub);
  }

  release(): void {
    if (--this.users > 0) return;
    const sub = this.sub;
    this.sub = undefined;
    this.opening = undefined;
    if (this.group !== undefined) this.dl.genl.leaveGroup(this.group);
    this.group = undefined;
    void sub?.return();
  }

  private async pump(sub: AsyncQueue<Notification>): Promise<void> {
    for await (const n of sub) {
      if (n.kind === 'overrun') {
        this.dispatch(undefined);
        continue;
      }
      if (n.msg.type !== this.dl.family.id) continue;
      let key: EventKey;
      try {
        const a = decodeMessage(n.msg);
        key = { cmd: genlCmd(n.msg), bus: a.busName ?? '', dev: a.devName ?? '', ...(a.portIndex !== undefined ? { portIndex: a.portIndex } : {}) };
      } catch (e) {
        if (e instanceof MalformedError) continue;
        throw e;
      }
      this.dispatch(key);
    }
    // the connection closed: nobody should wait for events any more
    for (const w of [...this.waiters]) w.wake();
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
