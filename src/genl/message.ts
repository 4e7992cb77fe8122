/**
 * Netlink framing: a request is one AttrWriter buffer holding nlmsghdr, genlmsghdr
 * (and the family's fixed header, if any) and the attributes; the engine stamps the
 * sequence number into its own copy when it sends (the caller's buffer is never
 * changed). Received datagrams are split into messages whose headers are read directly
 * (see headers.ts).
 */
import { AttrWriter, takeWritten } from '../attrs/writer';
import { MalformedError } from '../attrs/errors';
import { decodeAttrs } from '../attrs/decode';
import { defineAttrSet } from '../attrs/schema';
import {
  GENL_HDRLEN, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_HDRLEN, NLMSGERR_ATTR_COOKIE, NLMSGERR_ATTR_MISS_NEST,
  NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_POLICY, nlmsgAlign,
} from './constants';
import { GENLH_CMD, GENLH_VERSION, NLH_FLAGS, NLH_LEN, NLH_PID, NLH_SEQ, NLH_TYPE, NLMSGERR_ERROR, NLMSGERR_MSG } from './header-offsets';

/** One received netlink message: its header fields and where its bytes are. */
export interface NlMsg {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** nlmsg_pid as sent. */
  readonly pid: number;
  /** The datagram the message came in. */
  readonly buf: Buffer;
  /** Offset of the nlmsghdr in `buf`. */
  readonly offset: number;
  /** nlmsg_len. */
  readonly length: number;
}

/** Start a generic netlink request: nlmsghdr + genlmsghdr, lengths patched by finishRequest. */
export function startRequest(type: number, flags: number, cmd: number, version: number, hdrSize = 0, sizeHint = 128): AttrWriter {
  return startRequestIn(new AttrWriter(sizeHint), type, flags, cmd, version, hdrSize);
}

/** startRequest in an empty writer of the caller's (one used again: finishRequestCopy); not part of the package's API. */
export function startRequestIn(w: AttrWriter, type: number, flags: number, cmd: number, version: number, hdrSize = 0): AttrWriter {
  w.reserve(NLMSG_HDRLEN + GENL_HDRLEN + nlmsgAlign(hdrSize));
  w.patchU16(NLH_TYPE, type);
  w.patchU16(NLH_FLAGS, flags);
  w.patchU8(GENLH_CMD, cmd);
  w.patchU8(GENLH_VERSION, version);
  return w;
}

/** Patch nlmsg_len; the result is one whole message (a view of the writer's buffer). */
export function finishRequest(w: AttrWriter): Buffer {
  w.patchU32(NLH_LEN, w.length);
  return w.finish();
}

/** finishRequest for a writer used again (startRequestIn): the message copied out into a Buffer of its own, the writer emptied. */
export function finishRequestCopy(w: AttrWriter): Buffer {
  w.patchU32(NLH_LEN, w.length);
  return takeWritten(w);
}

/**
 * Split a datagram into messages. A message whose length is below the header or runs
 * past the datagram ends the split with MalformedError (what came before is kept by
 * the caller through `each`).
 */
export function forEachMessage(buf: Buffer, each: (m: NlMsg) => void): void {
  forEachMessageIn(buf, each, undefined);
}

/** forEachMessage, every message read through `reuse` when given (see ReusedMsg); not part of the package's API. */
export function forEachMessageIn(buf: Buffer, each: (m: NlMsg) => void, reuse: ReusedMsg | undefined): void {
  let p = 0;
  const end = buf.length;
  while (end - p >= NLMSG_HDRLEN) {
    const len = buf.readUInt32LE(p + NLH_LEN);
    if (len < NLMSG_HDRLEN) throw new MalformedError(`message length ${len} below ${NLMSG_HDRLEN}`, p);
    if (len > end - p) throw new MalformedError(`message length ${len} runs past the datagram (${end - p} bytes left)`, p);
    each(reuse === undefined ? messageAt(buf, p, len) : reuse.at(buf, p, len));
    p += nlmsgAlign(len);
  }
}

/**
 * One NlMsg object filled again for each message (forEachMessage's `reuse`): for a lent
 * datagram read in place, whose messages nobody keeps (the engine copies any it would
 * keep, ownMessage). Not part of the package's API.
 */
export class ReusedMsg implements NlMsg {
  type = 0;
  flags = 0;
  seq = 0;
  pid = 0;
  buf: Buffer = EMPTY;
  offset = 0;
  length = 0;

  /** This object, now the message whose header is at `offset` (its length already checked). */
  at(buf: Buffer, offset: number, length: number): NlMsg {
    this.type = buf[offset + NLH_TYPE] | (buf[offset + NLH_TYPE + 1] << 8);
    this.flags = buf[offset + NLH_FLAGS] | (buf[offset + NLH_FLAGS + 1] << 8);
    this.seq = buf.readUInt32LE(offset + NLH_SEQ);
    this.pid = buf.readUInt32LE(offset + NLH_PID);
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** Let go of the datagram (a lent area must not stay reachable from here). */
  clear(): void {
    this.buf = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** The message whose header is at `offset` (its length already checked against the datagram). */
export function messageAt(buf: Buffer, offset: number, length: number): NlMsg {
  return {
    type: buf[offset + NLH_TYPE] | (buf[offset + NLH_TYPE + 1] << 8),
    flags: buf[offset + NLH_FLAGS] | (buf[offset + NLH_FLAGS + 1] << 8),
    seq: buf.readUInt32LE(offset + NLH_SEQ),
    pid: buf.readUInt32LE(offset + NLH_PID),
    buf,
    offset,
    length,
  };
}

/** A message in a Buffer of its own: for one read from a lent datagram (a view of a receive area the next read reuses). */
export function ownMessage(m: NlMsg): NlMsg {
  return messageAt(Buffer.from(m.buf.subarray(m.offset, m.offset + m.length)), 0, m.length);
}

/** The genl command of a message. */
export function genlCmd(m: NlMsg): number {
  return m.buf[m.offset + GENLH_CMD];
}

/** Offset where a genl message's attributes start (after the family's fixed header). */
export function genlAttrsStart(m: NlMsg, hdrSize = 0): number {
  return m.offset + NLMSG_HDRLEN + GENL_HDRLEN + nlmsgAlign(hdrSize);
}

/** struct nlmsgerr's TLVs (NLMSGERR_ATTR_*), as a set. */
export const extAckAttrs = defineAttrSet('nlmsgerr', {
  msg: { id: NLMSGERR_ATTR_MSG, type: 'string' },
  offs: { id: NLMSGERR_ATTR_OFFS, type: 'u32' },
  cookie: { id: NLMSGERR_ATTR_COOKIE, type: 'binary' },
  policy: { id: NLMSGERR_ATTR_POLICY, type: 'binary' },
  missType: { id: NLMSGERR_ATTR_MISS_TYPE, type: 'u32' },
  missNest: { id: NLMSGERR_ATTR_MISS_NEST, type: 'u32' },
});

/** What an NLMSG_ERROR (or a DONE carrying an error) says. */
export interface AckInfo {
  /** 0 for an ACK; otherwise the (positive) errno. */
  readonly errno: number;
  readonly extMessage?: string;
  readonly offset?: number;
  readonly cookie?: Buffer;
  readonly missType?: number;
  readonly missNest?: number;
}

/** Read an NLMSG_ERROR: the error, and the ext-ack TLVs after the echoed request. */
export function parseError(m: NlMsg): AckInfo {
  const { buf, offset } = m;
  const end = offset + m.length;
  if (m.length < NLMSGERR_MSG + NLMSG_HDRLEN) throw new MalformedError('NLMSG_ERROR shorter than struct nlmsgerr', offset);
  const error = buf.readInt32LE(offset + NLMSGERR_ERROR);
  let tlv = offset + NLMSGERR_MSG + NLMSG_HDRLEN;
  if (!(m.flags & NLM_F_CAPPED)) {
    // the whole original request is echoed: skip its payload too
    const origLen = buf.readUInt32LE(offset + NLMSGERR_MSG + NLH_LEN);
    tlv = offset + NLMSGERR_MSG + nlmsgAlign(Math.max(origLen, NLMSG_HDRLEN));
  }
  return withExtAck(-error, m.flags, buf, tlv, end);
}

/** Read NLMSG_DONE: an int error, then optional ext-ack TLVs. */
export function parseDone(m: NlMsg): AckInfo {
  const { buf, offset } = m;
  const end = offset + m.length;
  if (m.length < NLMSG_HDRLEN + 4) return { errno: 0 };
  const error = buf.readInt32LE(offset + NLMSG_HDRLEN);
  return withExtAck(-error, m.flags, buf, offset + NLMSG_HDRLEN + 4, end);
}

function withExtAck(errno: number, flags: number, buf: Buffer, start: number, end: number): AckInfo {
  if (!(flags & NLM_F_ACK_TLVS) || start >= end) return { errno };
  const t = decodeAttrs(extAckAttrs, buf, start, end);
  const info: { -readonly [K in keyof AckInfo]: AckInfo[K] } = { errno };
  if (t.msg !== undefined) info.extMessage = t.msg;
  if (t.offs !== undefined) info.offset = t.offs;
  if (t.cookie !== undefined) info.cookie = t.cookie;
  if (t.missType !== undefined) info.missType = t.missType;
  if (t.missNest !== undefined) info.missNest = t.missNest;
  return info;
}
