/**
 * Watch: "wake me at the next devlink notification, or after at most N ms". The
 * lifecycle re-checks state at each wake-up, so waiting follows the kernel's events and
 * the timer only bounds the wait where the kernel sends nothing.
 */
import { AbortError } from '../genl/errors';
import type { AsyncQueue } from '../genl/queue';
import type { Notification } from '../genl/connection';
import { DEVLINK_GENL_MCGRP_CONFIG_NAME } from './constants';
import type { Devlink } from './devlink';

export class Watch {
  private wakers = new Set<() => void>();
  private closed = false;

  private constructor(
    private readonly dl: Devlink,
    private readonly sub: AsyncQueue<Notification>,
    private readonly group: number,
  ) {
    void this.pump();
  }

  /** Subscribe and join the group before returning, so no later event is missed. */
  static async open(dl: Devlink): Promise<Watch> {
    const sub = dl.genl.notifications();
    try {
      const group = await dl.genl.joinGroup(dl.family.name, DEVLINK_GENL_MCGRP_CONFIG_NAME);
      return new Watch(dl, sub, group);
    } catch (e) {
      await sub.return();
      throw e;
    }
  }

  private async pump(): Promise<void> {
    for await (const n of this.sub) {
      if (n.kind === 'message' && n.msg.type !== this.dl.family.id) continue;
      this.wake();
    }
    this.wake();
  }

  private wake(): void {
    const w = [...this.wakers];
    this.wakers.clear();
    for (const f of w) f();
  }

  /** Resolves at the next notification or after `ms`; rejects with AbortError when `signal` fires. */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new AbortError('wait', signal.reason));
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wakers.delete(done);
        resolve();
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        reject(new AbortError('wait', signal?.reason));
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wakers.add(done);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dl.genl.leaveGroup(this.group);
    void this.sub.return();
    this.wake();
  }
}
