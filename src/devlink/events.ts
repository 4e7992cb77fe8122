/**
 * The one devlink notification reader of a Devlink. It holds one listener on the
 * connection and one membership of the `config` group while anybody reads, decodes each
 * notification once, and hands it to every reader synchronously, at the moment the
 * socket delivers it: in the same order as the replies of requests made with
 * `onReply`. That order is what lets a reader tell the notifications that came before a
 * dump (stale once the dump is read) from those that came during or after it.
 *
 * monitor(), the lifecycle's waits and the port watch all read through it.
 */
import { MalformedError } from '../attrs/errors';
import type { Notification } from '../genl/connection';
import { ClosedError, ProtocolError } from '../genl/errors';
import { genlCmd, NlMsg } from '../genl/message';
import { DEVLINK_GENL_MCGRP_CONFIG_NAME } from './constants';
import { decodeMessage } from './decode';
import type { Devlink } from './devlink';
import type { DevlinkDecoded } from './decode';

/** What a reader is told, in the socket's order. */
export type DevlinkNotice =
  /** A notification of the devlink family, decoded. */
  | { readonly kind: 'message'; readonly cmd: number; readonly attrs: DevlinkDecoded; readonly msg: NlMsg }
  /** A reply this Devlink read for itself (a port get), offered as the state at that moment. */
  | { readonly kind: 'observed'; readonly cmd: number; readonly attrs: DevlinkDecoded; readonly msg: NlMsg }
  /** Notifications were lost (receive buffer overrun): whatever is kept must be read again. */
  | { readonly kind: 'overrun' }
  /** A notification that could not be decoded: what it said is lost, as with an overrun. */
  | { readonly kind: 'malformed'; readonly error: MalformedError; readonly cmd: number }
  /** The connection closed: nothing more comes. */
  | { readonly kind: 'closed' };

export type NoticeHandler = (n: DevlinkNotice) => void;

/** One reader's subscription. */
export interface NoticeSubscription {
  /** Resolves once the socket is in the group (nothing sent after that is missed); rejects if joining failed. */
  readonly ready: Promise<void>;
  /** Stop reading (leaves the group when the last reader stops). Idempotent. */
  close(): void;
}

export interface EventStats {
  /** Notifications that failed to decode (each also told to readers as `malformed`). */
  malformed: number;
  /** Receive overruns told to readers. */
  overruns: number;
}

export class DevlinkEvents {
  private readonly handlers = new Set<NoticeHandler>();
  private stopListening: (() => void) | undefined;
  private joining: Promise<number> | undefined;
  /** close() was called: new readers other than the lifecycle's are told the end at once. */
  private refusing = false;
  readonly stats: EventStats = { malformed: 0, overruns: 0 };

  constructor(private readonly dl: Devlink) {}

  /** close() of the Devlink was called: from now on, subscribe() answers as on a closed connection (but for `internal` readers). */
  refuseNew(): void {
    this.refusing = true;
  }

  /**
   * Start reading now: `handler` sees every notification the socket receives from the
   * moment the group is joined (`ready`), and each overrun and the close. `internal`: the
   * lifecycle's own reader, which still reads while close() waits for its clean-up.
   */
  subscribe(handler: NoticeHandler, internal = false): NoticeSubscription {
    if (this.dl.genl.connection.closed || (this.refusing && !internal)) {
      // nothing will come: the reader learns it as it would have, after the call returns
      queueMicrotask(() => handler({ kind: 'closed' }));
      const ready = Promise.reject(new ClosedError('devlink notifications'));
      ready.catch(() => {});
      return { ready, close: () => {} };
    }
    this.handlers.add(handler);
    if (this.stopListening === undefined) this.listen();
    const joining = (this.joining ??= this.join());
    let closed = false;
    const ready = joining.then(() => undefined);
    // a failed join is the caller's to see through `ready`; never an unhandled rejection here
    ready.catch(() => {});
    return {
      ready,
      close: () => {
        if (closed) return;
        closed = true;
        if (this.handlers.delete(handler) && this.handlers.size === 0) this.stop();
      },
    };
  }

  /**
   * A port get's reply, told to readers as an observation in the socket's order: pass as
   * `onReply` of the request. Opstate changes are announced by no notification on 6.1; what
   * the lifecycle reads while it waits on them reaches the port watch this way.
   */
  readonly observe = (m: NlMsg): void => {
    if (this.handlers.size === 0 || m.type !== this.dl.family.id) return;
    let attrs: DevlinkDecoded;
    try {
      attrs = decodeMessage(m);
    } catch {
      return;
    }
    this.tell({ kind: 'observed', cmd: genlCmd(m), attrs, msg: m });
  };

  private listen(): void {
    this.stopListening = this.dl.genl.connection.listen({
      notification: (n) => this.onNotification(n),
      closed: () => this.tell({ kind: 'closed' }),
    });
  }

  private join(): Promise<number> {
    // the family is known: join now, so that even a request made right after subscribe()
    // (before `ready` is awaited) has its notifications seen
    const g = this.dl.family.groups.find((x) => x.name === DEVLINK_GENL_MCGRP_CONFIG_NAME);
    if (g !== undefined) {
      try {
        this.dl.genl.joinGroupId(g.id);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(g.id);
    }
    // devlink without its one group is not devlink as the kernel registers it
    const joining = Promise.reject(new ProtocolError(`the ${this.dl.family.name} family has no "${DEVLINK_GENL_MCGRP_CONFIG_NAME}" multicast group`));
    joining.catch(() => {
      // nobody reads without the group: the next subscriber tries again
      if (this.joining === joining) this.joining = undefined;
    });
    return joining;
  }

  private stop(): void {
    this.stopListening?.();
    this.stopListening = undefined;
    const joining = this.joining;
    this.joining = undefined;
    joining?.then((group) => this.dl.genl.leaveGroup(group), () => {});
  }

  private onNotification(n: Notification): void {
    if (n.kind === 'overrun') {
      this.stats.overruns++;
      this.tell(n);
      return;
    }
    const m = n.msg;
    if (m.type !== this.dl.family.id) return;
    let cmd = -1;
    try {
      cmd = genlCmd(m);
      this.tell({ kind: 'message', cmd, attrs: decodeMessage(m), msg: m });
    } catch (e) {
      if (!(e instanceof MalformedError)) throw e;
      this.stats.malformed++;
      this.tell({ kind: 'malformed', error: e, cmd });
    }
  }

  private tell(n: DevlinkNotice): void {
    for (const h of [...this.handlers]) h(n);
  }
}
