/**
 * A fake kernel for the request engine: a Transport whose "kernel" is a function from
 * request messages to reply datagrams (STYLE.md, after mdlayher/netlink's nltest).
 *
 * Replies are delivered synchronously from poll() (as the real socket does), later from
 * setImmediate one datagram per turn of the event loop, or only when the test calls
 * deliver(). Helpers build ACKs, errors with ext-ack TLVs, NLMSG_DONE, multipart replies
 * split over several datagrams (so the receive loop really loops), and nlctrl answers.
 * Every byte is built with test/helpers/bytes.ts, not with the code under test.
 */
import type { RecvInfo, Transport, TransportFeatures, TransportHandlers } from '../../src/genl/transport';
import { Bytes, cat, genlmsg, nla, nlmsg, readHdr, strz, u16, u32 } from './bytes';

// <linux/netlink.h>, spelled out here so the fake does not lean on the code under test
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300;
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_GETFAMILY = 3;
// NLMSGERR_ATTR_*
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLMSGERR_ATTR_COOKIE = 3;
export const NLMSGERR_ATTR_MISS_TYPE = 5;
export const NLMSGERR_ATTR_MISS_NEST = 6;

/** One request message as the fake kernel received it (a copy). */
export interface FakeRequest {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly cmd: number;
  readonly version: number;
  /** The whole message, nlmsghdr included. */
  readonly msg: Buffer;
  /** The bytes after nlmsghdr and genlmsghdr. */
  readonly attrs: Buffer;
  /** Which send() it came in (0-based). */
  readonly send: number;
}

/** What a handler answers: datagrams (each one Buffer of whole messages), or nothing. */
export type Answer = Buffer | readonly Buffer[] | undefined | void;
export type Handler = (req: FakeRequest, kernel: FakeKernel) => Answer;

/** 'sync': from poll(); 'immediate': one datagram per setImmediate; 'manual': deliver() only. */
export type Delivery = 'sync' | 'immediate' | 'manual';

export interface FakeKernelOptions {
  readonly handler?: Handler;
  readonly delivery?: Delivery;
  readonly peerPort?: number;
  readonly localPort?: number;
  readonly features?: Partial<TransportFeatures>;
  /**
   * Lend every datagram as the native transport does: a view of one receive area handed
   * out with `borrowed` true, the area overwritten with 0xee once `message` returns, so
   * anything the engine kept without copying reads as garbage.
   */
  readonly lend?: boolean;
}

interface Queued {
  readonly datagram: Buffer;
  readonly from: RecvInfo;
}

export class FakeKernel implements Transport {
  readonly name = 'fake';
  readonly features: TransportFeatures;
  readonly localPort: number;
  readonly peerPort: number;
  handler: Handler;
  delivery: Delivery;
  readonly lend: boolean;
  /** The receive area lent datagrams are views of (lend). */
  private readonly area = Buffer.alloc(65536);
  /** Every request message, in the order received. */
  readonly requests: FakeRequest[] = [];
  /** Messages per send() call. */
  readonly sends: number[] = [];
  /** Throw this from the next send() calls (a Node-like error), until cleared. */
  sendError: Error | undefined;
  closeCount = 0;
  private handlers: TransportHandlers | undefined;
  private readonly outbox: Queued[] = [];
  private pumping = false;

  constructor(opts: FakeKernelOptions = {}) {
    this.handler = opts.handler ?? (() => undefined);
    this.delivery = opts.delivery ?? 'sync';
    this.lend = opts.lend ?? false;
    this.peerPort = opts.peerPort ?? 0;
    this.localPort = opts.localPort ?? 4242;
    this.features = { extAck: true, capAck: true, strictCheck: true, netns: false, ...opts.features };
  }

  get closed(): boolean {
    return this.closeCount > 0;
  }

  /** Datagrams waiting to be delivered. */
  get queued(): number {
    return this.outbox.length;
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers) throw new Error('FakeKernel: start() called twice');
    this.handlers = handlers;
  }

  send(buffers: readonly Buffer[]): void {
    if (this.closed) throw Object.assign(new Error('send on a closed socket'), { code: 'EBADF', errno: -9, syscall: 'sendmsg' });
    if (this.sendError) throw this.sendError;
    const sendNo = this.sends.length;
    let count = 0;
    const answers: Buffer[] = [];
    for (const b of buffers) {
      let p = 0;
      while (b.length - p >= 16) {
        const h = readHdr(b, p);
        if (h.len < 16 || h.len > b.length - p) throw new Error(`FakeKernel: the engine sent a broken message (len ${h.len})`);
        const msg = Buffer.from(b.subarray(p, p + h.len));
        const req: FakeRequest = {
          type: h.type, flags: h.flags, seq: h.seq, pid: h.pid, cmd: msg[16], version: msg[17], msg, attrs: msg.subarray(20), send: sendNo,
        };
        this.requests.push(req);
        count++;
        const a = this.handler(req, this);
        if (a) answers.push(...(Buffer.isBuffer(a) ? [a] : (a as readonly Buffer[])));
        p += (h.len + 3) & ~3;
      }
    }
    this.sends.push(count);
    for (const d of answers) this.queue(d);
  }

  /** Queue a datagram to the engine (from the peer unless `from` says otherwise). */
  queue(datagram: Buffer, from: RecvInfo = { port: this.peerPort, group: 0 }): void {
    this.outbox.push({ datagram, from });
    if (this.delivery === 'immediate') this.pump();
  }

  poll(): void {
    if (this.delivery === 'sync') this.deliver();
  }

  /** Deliver every queued datagram now; returns how many. */
  deliver(max = Infinity): number {
    let n = 0;
    while (this.outbox.length > 0 && n < max && !this.closed) {
      const q = this.outbox.shift()!;
      this.hand(q.datagram, q.from);
      n++;
    }
    return n;
  }

  /** Deliver every queued datagram in an order shuffled by `rand`. */
  deliverShuffled(rand: () => number): number {
    for (let i = this.outbox.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [this.outbox[i], this.outbox[j]] = [this.outbox[j], this.outbox[i]];
    }
    return this.deliver();
  }

  /** Hand a datagram to the engine right now. */
  inject(datagram: Buffer, from: RecvInfo = { port: this.peerPort, group: 0 }): void {
    this.hand(datagram, from);
  }

  private hand(datagram: Buffer, from: RecvInfo): void {
    if (!this.lend || datagram.length > this.area.length) {
      this.handlers?.message(datagram, from);
      return;
    }
    datagram.copy(this.area);
    try {
      this.handlers?.message(this.area.subarray(0, datagram.length), from, true);
    } finally {
      this.area.fill(0xee);
    }
  }

  /** ENOBUFS on receive. */
  overrun(): void {
    this.handlers?.overrun();
  }

  /** A fatal receive error. */
  fail(err: Error): void {
    this.handlers?.error(err);
  }

  addMembership(): void {}
  dropMembership(): void {}

  close(): void {
    this.closeCount++;
    this.outbox.length = 0;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const step = (): void => {
      if (this.outbox.length === 0 || this.closed || this.delivery !== 'immediate') {
        this.pumping = false;
        return;
      }
      this.deliver(1);
      setImmediate(step);
    };
    setImmediate(step);
  }
}

// ---- replies ----

export interface ReplyOptions {
  readonly flags?: number;
  readonly cmd?: number;
  readonly type?: number;
  readonly pid?: number;
}

/** One generic netlink message answering `req` (same family and seq). */
export function replyMsg(req: FakeRequest, attrs: Bytes[], o: ReplyOptions = {}): Buffer {
  return genlmsg({ type: o.type ?? req.type, flags: o.flags ?? 0, seq: req.seq, pid: o.pid ?? 0 }, o.cmd ?? req.cmd, 1, attrs);
}

/** NLMSG_ERROR with error 0: the ACK (capped: only the request's header is echoed). */
export function ack(req: FakeRequest): Buffer {
  return nlmsg({ type: NLMSG_ERROR, flags: NLM_F_CAPPED, seq: req.seq }, cat(u32(0), req.msg.subarray(0, 16)));
}

export interface ExtAck {
  readonly msg?: string;
  readonly offs?: number;
  readonly cookie?: Bytes;
  readonly missType?: number;
  readonly missNest?: number;
}

function extAckTlvs(e: ExtAck): Buffer[] {
  const t: Buffer[] = [];
  if (e.msg !== undefined) t.push(nla(NLMSGERR_ATTR_MSG, strz(e.msg)));
  if (e.offs !== undefined) t.push(nla(NLMSGERR_ATTR_OFFS, u32(e.offs)));
  if (e.cookie !== undefined) t.push(nla(NLMSGERR_ATTR_COOKIE, e.cookie));
  if (e.missType !== undefined) t.push(nla(NLMSGERR_ATTR_MISS_TYPE, u32(e.missType)));
  if (e.missNest !== undefined) t.push(nla(NLMSGERR_ATTR_MISS_NEST, u32(e.missNest)));
  return t;
}

/**
 * NLMSG_ERROR refusing `req` with `errno`. Capped (NETLINK_CAP_ACK): only the request's
 * header is echoed; uncapped: the whole request. Ext-ack TLVs follow, with NLM_F_ACK_TLVS.
 */
export function errorReply(req: FakeRequest, errno: number, e: ExtAck & { readonly capped?: boolean } = {}): Buffer {
  const capped = e.capped ?? true;
  const tlvs = extAckTlvs(e);
  const flags = (capped ? NLM_F_CAPPED : 0) | (tlvs.length > 0 ? NLM_F_ACK_TLVS : 0);
  const echo = capped ? req.msg.subarray(0, 16) : req.msg;
  return nlmsg({ type: NLMSG_ERROR, flags, seq: req.seq },
    cat(u32(-errno >>> 0), echo, new Array<number>(((echo.length + 3) & ~3) - echo.length).fill(0), ...tlvs));
}

/** NLMSG_DONE: an int error (0 unless given), ext-ack TLVs, NLM_F_DUMP_INTR if `intr`. */
export function done(req: FakeRequest, o: ExtAck & { readonly errno?: number; readonly intr?: boolean } = {}): Buffer {
  const tlvs = extAckTlvs(o);
  const flags = NLM_F_MULTI | (o.intr ? NLM_F_DUMP_INTR : 0) | (tlvs.length > 0 ? NLM_F_ACK_TLVS : 0);
  return nlmsg({ type: NLMSG_DONE, flags, seq: req.seq }, cat(u32(-(o.errno ?? 0) >>> 0), ...tlvs));
}

export interface MultipartOptions {
  /** Split the messages (and the DONE) over this many datagrams. */
  readonly batches?: number;
  /** Set NLM_F_DUMP_INTR on the messages and the DONE. */
  readonly intr?: boolean;
  /** The DONE, if not the default one. */
  readonly done?: Buffer;
}

/** A dump's answer: one NLM_F_MULTI message per entry, then DONE, over `batches` datagrams. */
export function multipart(req: FakeRequest, entries: Bytes[][], o: MultipartOptions = {}): Buffer[] {
  const flags = NLM_F_MULTI | (o.intr ? NLM_F_DUMP_INTR : 0);
  const msgs = entries.map((attrs) => replyMsg(req, attrs, { flags }));
  msgs.push(o.done ?? done(req, { intr: o.intr }));
  const batches = Math.max(1, Math.min(o.batches ?? 1, msgs.length));
  const per = Math.ceil(msgs.length / batches);
  const out: Buffer[] = [];
  for (let i = 0; i < msgs.length; i += per) out.push(cat(...msgs.slice(i, i + per)));
  return out;
}

// ---- nlctrl ----

export interface FakeFamily {
  readonly id: number;
  readonly name: string;
  readonly version?: number;
  readonly hdrsize?: number;
  readonly maxattr?: number;
  readonly ops?: readonly { readonly id: number; readonly flags: number }[];
  readonly groups?: readonly { readonly name: string; readonly id: number }[];
}

/** CTRL_ATTR_* of a family, laid out as the kernel's ctrl_fill_info does (nests unflagged). */
export function familyAttrs(f: FakeFamily): Buffer[] {
  const a: Buffer[] = [
    nla(2, strz(f.name)), nla(1, u16(f.id)), nla(3, u32(f.version ?? 1)), nla(4, u32(f.hdrsize ?? 0)), nla(5, u32(f.maxattr ?? 0)),
  ];
  if (f.ops?.length) a.push(nla(6, cat(...f.ops.map((o, i) => nla(i + 1, cat(nla(1, u32(o.id)), nla(2, u32(o.flags))))))));
  if (f.groups?.length) a.push(nla(7, cat(...f.groups.map((g, i) => nla(i + 1, cat(nla(2, u32(g.id)), nla(1, strz(g.name))))))));
  return a;
}

/** CTRL_ATTR_FAMILY_NAME of a GETFAMILY request, read by hand. */
export function requestedFamilyName(req: FakeRequest): string | undefined {
  let p = 0;
  const a = req.attrs;
  while (a.length - p >= 4) {
    const len = a[p] | (a[p + 1] << 8);
    const type = (a[p + 2] | (a[p + 3] << 8)) & 0x3fff;
    if (len < 4) return undefined;
    if (type === 2) {
      const z = a.indexOf(0, p + 4);
      return a.toString('utf8', p + 4, z >= 0 && z < p + len ? z : p + len);
    }
    p += (len + 3) & ~3;
  }
  return undefined;
}

/** A handler that answers nlctrl GETFAMILY (by name, or a dump) from a list of families. */
export function nlctrl(families: readonly FakeFamily[], o: { batches?: number } = {}): Handler {
  return (req) => {
    if (req.type !== GENL_ID_CTRL || req.cmd !== CTRL_CMD_GETFAMILY) return errorReply(req, 95);
    if ((req.flags & NLM_F_DUMP) === NLM_F_DUMP) {
      return multipart(req, families.map(familyAttrs), { batches: o.batches ?? 2 });
    }
    const name = requestedFamilyName(req);
    const f = families.find((x) => x.name === name);
    if (!f) return errorReply(req, 2);
    return [replyMsg(req, familyAttrs(f), { cmd: CTRL_CMD_NEWFAMILY }), ...(req.flags & NLM_F_ACK ? [ack(req)] : [])];
  };
}
