/**
 * Building what the kernel sends: generic netlink messages (genlmsg_put/genlmsg_end),
 * NLMSG_ERROR acks with ext-ack TLVs (netlink_ack), and NLMSG_DONE (netlink_dump_done).
 * Every message is copied out of its writer into a Buffer of its own, and datagrams are
 * concatenations made fresh for each receiver.
 */
import { AttrWriter } from '../attrs/writer';
import { writePolicyAttr, ExtAck } from './policy';
import {
  ErrAttr, GENL_HDRLEN, NLA_F_NESTED, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, nlaAlign,
} from './uapi';

/** A request as the kernel sees it: the datagram and where its nlmsghdr is. */
export interface Request {
  readonly buf: Buffer;
  readonly offset: number;
  readonly len: number;
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** The sender's port (NETLINK_CB(skb).portid). */
  readonly portid: number;
}

/** genlmsg_put: nlmsghdr + genlmsghdr; finish with end(). */
export class MsgWriter extends AttrWriter {
  constructor(type: number, flags: number, seq: number, portid: number, cmd: number, version: number, size = 256) {
    super(size);
    this.reserve(NLMSG_HDRLEN + GENL_HDRLEN);
    this.patchU16(4, type);
    this.patchU16(6, flags);
    this.patchU32(8, seq);
    this.patchU32(12, portid);
    this.patchU8(16, cmd);
    this.patchU8(17, version);
  }

  /** nla_nest_start_noflag. */
  nestNoflag(type: number): number {
    return this.nestStart(type, false);
  }

  /** genlmsg_end: patch nlmsg_len; returns a Buffer of its own. */
  end(): Buffer {
    this.patchU32(0, this.length);
    return Buffer.from(this.finish());
  }
}

/** Set flags on a finished message (NLM_F_DUMP_INTR added afterwards). */
export function orFlags(msg: Buffer, flags: number): void {
  msg.writeUInt16LE(msg.readUInt16LE(6) | flags, 6);
}

/**
 * netlink_ack(): NLMSG_ERROR for `req`. The endpoints here all behave as sockets with
 * NETLINK_EXT_ACK and NETLINK_CAP_ACK set (what this library and iproute2 set), so an
 * error is capped (no echoed payload) and carries TLVs; `capAck: false` echoes it.
 */
export function buildAck(req: Request, err: number, ext: ExtAck | undefined, extAck = true, capAck = true): Buffer {
  const echo = err !== 0 && !capAck;
  const orig = req.buf.subarray(req.offset, req.offset + (echo ? req.len : NLMSG_HDRLEN));
  const w = new AttrWriter(64 + orig.length);
  w.reserve(NLMSG_HDRLEN + 4);
  w.patchU16(4, NLMSG_ERROR);
  w.patchU32(8, req.seq);
  w.patchU32(12, req.portid);
  w.patchU32(16, err >>> 0);
  // struct nlmsgerr's copy of the request header, then (uncapped) its payload
  const at = w.reserve(nlaAlign(orig.length));
  orig.copy(w.finish(), at);
  let flags = echo ? 0 : NLM_F_CAPPED;
  if (ext && extAck && putExtAck(w, req, err, ext)) flags |= NLM_F_ACK_TLVS;
  w.patchU16(6, flags);
  w.patchU32(0, w.length);
  return Buffer.from(w.finish());
}

function putExtAck(w: AttrWriter, req: Request, err: number, ext: ExtAck): boolean {
  const before = w.length;
  if (ext.msg !== undefined) w.putString(ErrAttr.MSG, ext.msg);
  if (ext.cookie) w.putBinary(ErrAttr.COOKIE, ext.cookie);
  if (err !== 0) {
    if (ext.badAttr !== undefined && ext.badAttr >= req.offset && ext.badAttr < req.offset + req.len) {
      w.putU32(ErrAttr.OFFS, ext.badAttr - req.offset);
    }
    if (ext.policy) {
      const nest = w.nestStart(ErrAttr.POLICY);
      if (writePolicyAttr(w, ext.policy)) w.nestEnd(nest);
      else w.nestCancel(nest);
    }
    if (ext.missType) w.putU32(ErrAttr.MISS_TYPE, ext.missType);
    if (ext.missNest !== undefined) w.putU32(ErrAttr.MISS_NEST, ext.missNest - req.offset);
  }
  return w.length > before;
}

/** netlink_dump_done(): NLMSG_DONE with the dump's error and, if set, the ext-ack message. */
export function buildDone(req: Request, err: number, ext: ExtAck | undefined, flags = 0): Buffer {
  const w = new AttrWriter(64);
  w.reserve(NLMSG_HDRLEN + 4);
  w.patchU16(4, NLMSG_DONE);
  let f = NLM_F_MULTI | flags;
  w.patchU32(8, req.seq);
  w.patchU32(12, req.portid);
  w.patchU32(16, err >>> 0);
  if (ext?.msg !== undefined) {
    f |= NLM_F_ACK_TLVS;
    w.putString(ErrAttr.MSG, ext.msg);
  }
  w.patchU16(6, f);
  w.patchU32(0, w.length);
  return Buffer.from(w.finish());
}

/** Concatenate whole messages into one datagram (a fresh Buffer). */
export function datagram(msgs: readonly Buffer[]): Buffer {
  return Buffer.concat(msgs as Buffer[]);
}

/** NLA_F_NESTED, for writers that want the flagged form. */
export const NESTED = NLA_F_NESTED;
