/**
 * List, then watch, with nothing between (the way Kubernetes informers keep a cache):
 * a reader already subscribed reads the state again with dumps, and the notifications
 * around those dumps are sorted by where the socket delivered them:
 *
 *   - before the first message of the first dump's answer: older than the dump, which
 *     already shows their effect (or a newer one). Dropped: delivered after the dump, they
 *     would take a view back in time (a receive overrun is reported before the older
 *     notifications still queued in the socket).
 *   - after it: during or after the dump. Kept, and handed on after the dump in order; as
 *     each carries an object's whole state, applying them in order ends at the newest.
 *
 * A loss (overrun, undecodable notification) after that point means another read.
 */
import { ENOBUFS_ERRNO } from '../genl/errno';
import { DumpInterruptedError, KernelError, OverrunError } from '../genl/errors';
import type { NlMsg } from '../genl/message';
import type { DevlinkNotice } from './events';

export type OnReply = (m: NlMsg) => void;

/** Reads of the state that may be lost in a row before the reader gives up. */
const MAX_LOSSES = 8;

/** The kernel could not hand the dump over (ENOBUFS), its reply was lost, or it changed mid-dump. */
function isTransientLoss(e: unknown): boolean {
  return (e instanceof KernelError && e.errno === ENOBUFS_ERRNO) || e instanceof OverrunError || e instanceof DumpInterruptedError;
}

export class Resync<T> {
  private active = false;
  private marked = false;
  private again = false;
  private after: DevlinkNotice[] = [];

  constructor(
    /** The dumps; `onReply` goes to every one of them. */
    private readonly read: (onReply: OnReply) => Promise<T>,
    /** The state read, then the notices that came after its first reply, in order. */
    private readonly done: (state: T, after: DevlinkNotice[]) => void,
    private readonly failed: (e: unknown) => void,
  ) {}

  get running(): boolean {
    return this.active;
  }

  /** Read again (now, or once more after the read under way if it is past its mark). */
  start(): void {
    if (this.active) {
      if (this.marked) this.again = true;
      return;
    }
    void this.run();
  }

  /**
   * While a read runs, a notice is held (after the mark) or dropped (before it): true.
   * Otherwise false: the caller handles it.
   */
  offer(n: DevlinkNotice): boolean {
    if (!this.active) return false;
    if (!this.marked) return true;
    if (n.kind === 'overrun' || n.kind === 'malformed') this.again = true;
    else this.after.push(n);
    return true;
  }

  private readonly mark = (): void => {
    this.marked = true;
  };

  private async run(): Promise<void> {
    let losses = 0;
    do {
      this.active = true;
      this.marked = false;
      this.again = false;
      this.after = [];
      let state: T;
      try {
        state = await this.read(this.mark);
      } catch (e) {
        // a dump lost to the same pressure that caused the resync (ENOBUFS in its DONE, its
        // reply overrun, NLM_F_DUMP_INTR): read again after a pause, a few times
        if (isTransientLoss(e) && losses < MAX_LOSSES) {
          await new Promise((r) => setTimeout(r, 5 * 2 ** losses++));
          this.again = true;
          continue;
        }
        this.active = false;
        this.after = [];
        this.failed(e);
        return;
      }
      const after = this.after;
      this.after = [];
      this.active = false;
      this.done(state, after);
    } while (this.again);
  }
}
