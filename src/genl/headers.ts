/**
 * The fixed headers, declared once with buffer-layout so they read like the uapi:
 *
 *   struct nlmsghdr { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq; __u32 nlmsg_pid; };
 *   struct genlmsghdr { __u8 cmd; __u8 version; __u16 reserved; };
 *   struct nlmsgerr { int error; struct nlmsghdr msg; };
 *
 * The receive loop reads nlmsghdr fields directly (readNlmsghdr): it runs for every
 * message, and a layout decode there costs an object and a few closures per message
 * (bench/foundation.ts measures both). The field offsets below come from the layouts, so
 * the two cannot drift apart.
 */
import * as BL from 'buffer-layout';

export interface Nlmsghdr {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export interface Genlmsghdr {
  cmd: number;
  version: number;
  reserved: number;
}

export const nlmsghdr = BL.struct<Nlmsghdr>([BL.u32('len'), BL.u16('type'), BL.u16('flags'), BL.u32('seq'), BL.u32('pid')]);
export const genlmsghdr = BL.struct<Genlmsghdr>([BL.u8('cmd'), BL.u8('version'), BL.u16('reserved')]);
export const nlmsgerr = BL.struct<{ error: number; msg: Nlmsghdr }>([BL.s32('error'), nlmsghdr.replicate('msg')]);

function offsetOf<T>(s: BL.Structure<T>, field: string): number {
  const o = s.offsetOf(field);
  if (o === undefined) throw new Error(`no field ${field}`);
  return o;
}

/** Field offsets, from the layouts. */
export const NLH_LEN = offsetOf(nlmsghdr, 'len');
export const NLH_TYPE = offsetOf(nlmsghdr, 'type');
export const NLH_FLAGS = offsetOf(nlmsghdr, 'flags');
export const NLH_SEQ = offsetOf(nlmsghdr, 'seq');
export const NLH_PID = offsetOf(nlmsghdr, 'pid');
export const GENLH_CMD = nlmsghdr.span + offsetOf(genlmsghdr, 'cmd');
export const GENLH_VERSION = nlmsghdr.span + offsetOf(genlmsghdr, 'version');
export const NLMSGERR_ERROR = nlmsghdr.span + offsetOf(nlmsgerr, 'error');
export const NLMSGERR_MSG = nlmsghdr.span + offsetOf(nlmsgerr, 'msg');
