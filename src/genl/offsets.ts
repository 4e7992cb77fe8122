/**
 * Where the fields of the fixed headers are, in bytes from the start of a message: what
 * the receive loop, the batch writer and the transports read and write. Plain numbers so
 * that a process starts without building the layouts (headers.ts loads buffer-layout,
 * 84 KB of JavaScript, for nothing else); test/genl.headers.test.ts checks every one
 * against the layouts, so the two cannot drift apart.
 */

/** struct nlmsghdr: nlmsg_len (u32), nlmsg_type (u16), nlmsg_flags (u16), nlmsg_seq (u32), nlmsg_pid (u32). */
export const NLH_LEN = 0;
export const NLH_TYPE = 4;
export const NLH_FLAGS = 6;
export const NLH_SEQ = 8;
export const NLH_PID = 12;
/** struct genlmsghdr after the nlmsghdr: cmd (u8), version (u8). */
export const GENLH_CMD = 16;
export const GENLH_VERSION = 17;
/** struct nlmsgerr after the nlmsghdr: error (s32), then the request's nlmsghdr. */
export const NLMSGERR_ERROR = 16;
export const NLMSGERR_MSG = 20;
