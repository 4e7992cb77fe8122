/**
 * The kernel's receive path for NETLINK_GENERIC: netlink_rcv_skb (one message after the
 * other, ACK when asked or on error), genl_rcv_msg and genl_family_rcv_msg (family
 * lookup, header checks from resv_start_op, CAP_NET_ADMIN, do or dump), attribute
 * parsing with each op's policy, and netlink_dump's packing of a dump into datagrams
 * with NLMSG_DONE (alone on 6.1, sharing the last datagram on newer devlink).
 */
import { ExtAck, NL_VALIDATE_LIBERAL, NL_VALIDATE_STRICT, Tb, validateParse } from './policy';
import { Errno } from './model';
import type { DoCtx, DumpCtx } from './context';
import type { Faults } from './faults';
import type { OpDef } from './ops';
import type { Scheduler } from './scheduler';
import { buildAck, buildDone, orFlags, Request } from './wire';
import {
  E, GENL_HDRLEN, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_ECHO, NLM_F_REQUEST, NLMSG_HDRLEN, NLMSG_MIN_TYPE, nlaAlign,
} from './uapi';

/** Where a request came from: an in-process endpoint or a client of the real socket. */
export type Origin = 'local' | 'socket';

export interface Requester {
  /** The sender's port (NETLINK_CB(skb).portid). */
  readonly port: number;
  /** Has CAP_NET_ADMIN. */
  readonly privileged: boolean;
  readonly origin: Origin;
  /** The requester's network namespace (netns.ts), when not the simulator's own. */
  readonly netns?: string;
  /** Send one datagram to the requester. */
  unicast(dgram: Buffer): void;
}

export interface FamilyDoCtx extends DoCtx {
  readonly origin: Origin;
  /** The requester's network namespace (Requester.netns). */
  readonly netns?: string | undefined;
}

export interface FamilyDumpCtx extends DumpCtx {
  readonly origin: Origin;
  /** The requester's network namespace (Requester.netns). */
  readonly netns?: string | undefined;
}

export interface GenlFamily {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly hdrsize: number;
  readonly maxattr: number;
  readonly resvStartOp: number;
  readonly ops: readonly OpDef[];
  /** Split ops (do and dump registered separately): lookups take the request's kind into account. */
  readonly splitOps: boolean;
  /** NLMSG_DONE may share the datagram of the dump's last messages. */
  readonly coalesceDone: boolean;
  /** Fault injection applies to this family's requests. */
  readonly faultable: boolean;
  groups(origin: Origin): readonly { readonly id: number; readonly name: string }[];
  doit(op: OpDef, ctx: FamilyDoCtx): void;
  dumpit(op: OpDef, ctx: FamilyDumpCtx): number;
}

/** -EINTR from a dump start: no ACK follows (netlink_rcv_skb's "skip"). */
const DUMP_STARTED = -E.EINTR;

export class GenlKernel {
  readonly families = new Map<number, GenlFamily>();

  constructor(
    private readonly faults: Faults,
    private readonly sched: Scheduler,
    /** Largest dump datagram (the kernel uses up to 32 KiB once the reader's buffer allows). */
    private readonly dumpSize: number,
  ) {}

  add(f: GenlFamily): void {
    this.families.set(f.id, f);
  }

  /** netlink_rcv_skb over one datagram from `from`. */
  receive(dgram: Buffer, from: Requester): void {
    let p = 0;
    while (dgram.length - p >= NLMSG_HDRLEN) {
      const len = dgram.readUInt32LE(p);
      if (len < NLMSG_HDRLEN || dgram.length - p < len) return;
      const req: Request = {
        buf: dgram, offset: p, len, type: dgram.readUInt16LE(p + 4), flags: dgram.readUInt16LE(p + 6),
        seq: dgram.readUInt32LE(p + 8), portid: from.port,
      };
      const ext = new ExtAck();
      const out = this.replyPath(req, from);
      let err = 0;
      if (req.flags & NLM_F_REQUEST && req.type >= NLMSG_MIN_TYPE) err = this.rcvMsg(req, ext, from, out);
      if (err !== DUMP_STARTED && (req.flags & NLM_F_ACK || err)) out(buildAck(req, err, ext));
      p += Math.min(nlaAlign(len), dgram.length - p);
    }
  }

  /** How this request's answers reach the requester: directly, late, or not at all (faults). */
  private replyPath(req: Request, from: Requester): (d: Buffer) => void {
    const fam = this.families.get(req.type);
    if (!fam?.faultable || !(req.flags & NLM_F_REQUEST) || req.len < NLMSG_HDRLEN + GENL_HDRLEN) return (d) => from.unicast(d);
    const fault = this.faults.takeReply(req.buf[req.offset + NLMSG_HDRLEN]);
    if (!fault) return (d) => from.unicast(d);
    if (fault.kind === 'drop') return () => undefined;
    return (d) => {
      this.sched.after(fault.ms, () => from.unicast(d));
    };
  }

  /** genl_rcv_msg + genl_family_rcv_msg. */
  private rcvMsg(req: Request, ext: ExtAck, from: Requester, out: (d: Buffer) => void): number {
    const fam = this.families.get(req.type);
    if (!fam) return -E.ENOENT;
    const hdrlen = GENL_HDRLEN + fam.hdrsize;
    if (req.len < NLMSG_HDRLEN + hdrlen) return -E.EINVAL;
    const buf = req.buf;
    const cmd = buf[req.offset + NLMSG_HDRLEN];
    if (cmd >= fam.resvStartOp) {
      if (buf.readUInt16LE(req.offset + NLMSG_HDRLEN + 2)) {
        ext.setMsg('genlmsghdr.reserved field is not 0');
        return -E.EINVAL;
      }
      let flags = req.flags;
      if ((flags & NLM_F_DUMP) === NLM_F_DUMP) flags &= ~NLM_F_DUMP;
      if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
        ext.setMsg('ambiguous or reserved bits set in nlmsg_flags');
        return -E.EINVAL;
      }
    }
    const dump = (req.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const op = fam.ops.find((o) => o.cmd === cmd && (!fam.splitOps || (dump ? o.dumpit : o.doit)));
    if (!op) return -E.EOPNOTSUPP;
    if (op.admin && !from.privileged) return -E.EPERM;
    if (fam.faultable) {
      const f = this.faults.takeFailure(cmd);
      if (f) {
        if (f.message !== undefined) ext.setMsg(f.message);
        return -Math.abs(f.errno);
      }
    }
    const attrs = req.offset + NLMSG_HDRLEN + nlaAlign(hdrlen);
    const end = req.offset + req.len;
    if (dump) {
      if (!op.dumpit) return -E.EOPNOTSUPP;
      let tb: Tb | undefined;
      if (op.dumpValidate !== 'none' && op.dumpPolicy) {
        tb = [];
        const v = op.dumpValidate === 'strict' ? NL_VALIDATE_STRICT : NL_VALIDATE_LIBERAL;
        const err = validateParse(buf, attrs, end, op.dumpPolicy, op.dumpPolicy.maxType, v, ext, tb);
        if (err < 0) return err;
      }
      this.runDump(fam, op, req, tb, from, out);
      return DUMP_STARTED;
    }
    if (!op.doit) return -E.EOPNOTSUPP;
    const tb: Tb = [];
    if (op.doPolicy) {
      const v = op.doValidate === 'strict' ? NL_VALIDATE_STRICT : NL_VALIDATE_LIBERAL;
      const err = validateParse(buf, attrs, end, op.doPolicy, op.doPolicy.maxType, v, ext, tb);
      if (err < 0) return err;
    }
    try {
      fam.doit(op, { req, tb, ext, cmd, origin: from.origin, netns: from.netns, reply: out });
    } catch (e) {
      if (e instanceof Errno) return e.err;
      throw e;
    }
    return 0;
  }

  /** netlink_dump: messages packed into datagrams, then NLMSG_DONE. */
  private runDump(fam: GenlFamily, op: OpDef, req: Request, tb: Tb | undefined, from: Requester, out: (d: Buffer) => void): void {
    const msgs: Buffer[] = [];
    const dumpExt = new ExtAck();
    const err = fam.dumpit(op, { req, tb, ext: dumpExt, cmd: op.cmd, origin: from.origin, netns: from.netns, put: (m) => msgs.push(m) });
    const intr = fam.faultable && this.faults.takeDumpIntr(op.cmd);
    if (intr) for (const m of msgs) orFlags(m, NLM_F_DUMP_INTR);
    const done = buildDone(req, err, dumpExt, intr ? NLM_F_DUMP_INTR : 0);
    const grams: Buffer[][] = [];
    let cur: Buffer[] = [];
    let size = 0;
    for (const m of msgs) {
      if (cur.length > 0 && size + m.length > this.dumpSize) {
        grams.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(m);
      size += m.length;
    }
    if (cur.length > 0 && (!fam.coalesceDone || size + done.length > this.dumpSize)) {
      grams.push(cur);
      cur = [];
    }
    cur.push(done);
    grams.push(cur);
    for (const g of grams) out(Buffer.concat(g));
  }
}
