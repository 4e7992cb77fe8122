/** Numbers from <linux/netlink.h> and <linux/genetlink.h>, named as there. */

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

// nlmsg_flags
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// flags of an NLMSG_ERROR
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

// nlmsg_type control messages
export const NLMSG_NOOP = 0x1;
export const NLMSG_ERROR = 0x2;
export const NLMSG_DONE = 0x3;
export const NLMSG_OVERRUN = 0x4;
export const NLMSG_MIN_TYPE = 0x10;

/** NLMSG_HDRLEN: sizeof(struct nlmsghdr). */
export const NLMSG_HDRLEN = 16;
/** GENL_HDRLEN: sizeof(struct genlmsghdr). */
export const GENL_HDRLEN = 4;
/** NLMSG_ALIGN(len). */
export function nlmsgAlign(len: number): number {
  return (len + 3) & ~3;
}

// NLMSGERR_ATTR_*
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLMSGERR_ATTR_COOKIE = 3;
export const NLMSGERR_ATTR_POLICY = 4;
export const NLMSGERR_ATTR_MISS_TYPE = 5;
export const NLMSGERR_ATTR_MISS_NEST = 6;

// socket options (SOL_NETLINK = 270)
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;

// generic netlink controller
export const GENL_ID_CTRL = NLMSG_MIN_TYPE;
export const CTRL_CMD_NEWFAMILY = 1;
export const CTRL_CMD_DELFAMILY = 2;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_CMD_NEWMCAST_GRP = 7;
export const CTRL_CMD_DELMCAST_GRP = 8;

// operation flags (CTRL_ATTR_OP_FLAGS)
export const GENL_ADMIN_PERM = 0x01;
export const GENL_CMD_CAP_DO = 0x02;
export const GENL_CMD_CAP_DUMP = 0x04;
export const GENL_CMD_CAP_HASPOL = 0x08;
export const GENL_UNS_ADMIN_PERM = 0x10;
