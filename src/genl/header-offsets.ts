// Written by `npm run headers:offsets` from the buffer-layout structs of headers.ts (HEADER_OFFSETS); do not edit.
// test/genl.headers.test.ts fails when this file and the layouts differ.
/**
 * The fixed headers' field offsets, as numbers: what reads and writes headers (message.ts,
 * batch.ts, the native transport) takes them from here and does not load buffer-layout.
 */
/** nlmsghdr.nlmsg_len. */
export const NLH_LEN = 0;
/** nlmsghdr.nlmsg_type. */
export const NLH_TYPE = 4;
/** nlmsghdr.nlmsg_flags. */
export const NLH_FLAGS = 6;
/** nlmsghdr.nlmsg_seq. */
export const NLH_SEQ = 8;
/** nlmsghdr.nlmsg_pid. */
export const NLH_PID = 12;
/** genlmsghdr.cmd, after the nlmsghdr. */
export const GENLH_CMD = 16;
/** genlmsghdr.version, after the nlmsghdr. */
export const GENLH_VERSION = 17;
/** nlmsgerr.error, after the nlmsghdr. */
export const NLMSGERR_ERROR = 16;
/** nlmsgerr.msg (the request's nlmsghdr), after the nlmsghdr. */
export const NLMSGERR_MSG = 20;
