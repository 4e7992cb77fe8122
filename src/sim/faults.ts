/**
 * Fault injection, for tests of what a client does when the kernel misbehaves or the
 * socket is under pressure. Every fault is armed for the next matching devlink request
 * (or notification) and consumed when it fires; nlctrl lookups are never affected.
 *
 *   sim.faults.delayReplies(ms, { cmd?, count? })    replies and ACK of the next requests arrive ms later
 *   sim.faults.dropReplies({ cmd?, count? })         ... never arrive (the request still takes effect)
 *   sim.faults.failNext(errno, { cmd?, message?, count? })
 *                                                    the next request fails with -errno (and the message)
 *                                                    before the core runs it
 *   sim.faults.overrun({ port?, count? })            the next `count` notifications for an in-process
 *                                                    subscriber (or every subscriber) are lost and it
 *                                                    is told of an overrun (handlers.overrun())
 *   sim.faults.interruptNextDump({ cmd? })           the next dump is flagged NLM_F_DUMP_INTR
 *   sim.faults.clear()                               disarm everything
 *
 * `cmd` is a devlink command number (DEVLINK_CMD_*); without it any devlink request matches.
 */

export interface ReplyFault {
  readonly kind: 'delay' | 'drop';
  readonly ms: number;
}

export interface Failure {
  readonly errno: number;
  readonly message?: string;
}

interface Armed<T> {
  readonly cmd: number | undefined;
  count: number;
  readonly value: T;
}

function take<T>(list: Armed<T>[], cmd: number): T | undefined {
  const i = list.findIndex((a) => a.cmd === undefined || a.cmd === cmd);
  if (i < 0) return undefined;
  const a = list[i];
  if (--a.count <= 0) list.splice(i, 1);
  return a.value;
}

export class Faults {
  private readonly replies: Armed<ReplyFault>[] = [];
  private readonly failures: Armed<Failure>[] = [];
  private readonly dumps: Armed<true>[] = [];
  private readonly overruns: { port: number | undefined; count: number }[] = [];

  /** Deliver the replies (and ACK) to the next `count` requests `ms` late. */
  delayReplies(ms: number, opts: { cmd?: number; count?: number } = {}): void {
    this.replies.push({ cmd: opts.cmd, count: opts.count ?? 1, value: { kind: 'delay', ms } });
  }

  /** Lose the replies (and ACK) to the next `count` requests. */
  dropReplies(opts: { cmd?: number; count?: number } = {}): void {
    this.replies.push({ cmd: opts.cmd, count: opts.count ?? 1, value: { kind: 'drop', ms: 0 } });
  }

  /** Fail the next `count` requests (of `cmd`) with `errno` (positive) and an ext-ack message. */
  failNext(errno: number, opts: { cmd?: number; message?: string; count?: number } = {}): void {
    const value: Failure = opts.message !== undefined ? { errno, message: opts.message } : { errno };
    this.failures.push({ cmd: opts.cmd, count: opts.count ?? 1, value });
  }

  /** Overrun a subscriber's receive buffer: its next `count` notifications are lost. */
  overrun(opts: { port?: number; count?: number } = {}): void {
    this.overruns.push({ port: opts.port, count: opts.count ?? 1 });
  }

  /** Flag the next dump (of `cmd`) NLM_F_DUMP_INTR, as a kernel whose state changed mid-dump does. */
  interruptNextDump(opts: { cmd?: number } = {}): void {
    this.dumps.push({ cmd: opts.cmd, count: 1, value: true });
  }

  clear(): void {
    this.replies.length = 0;
    this.failures.length = 0;
    this.dumps.length = 0;
    this.overruns.length = 0;
  }

  /** @internal the simulator's side */
  takeReply(cmd: number): ReplyFault | undefined {
    return take(this.replies, cmd);
  }

  /** @internal */
  takeFailure(cmd: number): Failure | undefined {
    return take(this.failures, cmd);
  }

  /** @internal */
  takeDumpIntr(cmd: number): boolean {
    return take(this.dumps, cmd) === true;
  }

  /** @internal the armed overruns, consumed by the next notification. */
  takeOverruns(): { port: number | undefined; count: number }[] {
    return this.overruns.splice(0, this.overruns.length);
  }
}
