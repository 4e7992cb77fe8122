/**
 * The numbers the simulator speaks, written from <linux/devlink.h>, <linux/genetlink.h>
 * and <linux/netlink.h> (6.1, plus what later kernels added). They are repeated here on
 * purpose instead of imported from src/devlink: the simulator is the kernel the library
 * is tested against, and must not share a mistake with it.
 */

/** enum devlink_command. */
export const enum C {
  GET = 1, SET = 2, NEW = 3, DEL = 4,
  PORT_GET = 5, PORT_SET = 6, PORT_NEW = 7, PORT_DEL = 8, PORT_SPLIT = 9, PORT_UNSPLIT = 10,
  SB_GET = 11, SB_POOL_GET = 15, SB_POOL_SET = 16, SB_PORT_POOL_GET = 19, SB_PORT_POOL_SET = 20,
  SB_TC_POOL_BIND_GET = 23, SB_TC_POOL_BIND_SET = 24, SB_OCC_SNAPSHOT = 27, SB_OCC_MAX_CLEAR = 28,
  ESWITCH_GET = 29, ESWITCH_SET = 30,
  DPIPE_TABLE_GET = 31, DPIPE_ENTRIES_GET = 32, DPIPE_HEADERS_GET = 33, DPIPE_TABLE_COUNTERS_SET = 34,
  RESOURCE_SET = 35, RESOURCE_DUMP = 36, RELOAD = 37,
  PARAM_GET = 38, PARAM_SET = 39, PARAM_NEW = 40, PARAM_DEL = 41,
  REGION_GET = 42, REGION_NEW = 44, REGION_DEL = 45, REGION_READ = 46,
  PORT_PARAM_GET = 47, PORT_PARAM_SET = 48, INFO_GET = 51,
  HEALTH_REPORTER_GET = 52, HEALTH_REPORTER_SET = 53, HEALTH_REPORTER_RECOVER = 54,
  HEALTH_REPORTER_DIAGNOSE = 55, HEALTH_REPORTER_DUMP_GET = 56, HEALTH_REPORTER_DUMP_CLEAR = 57,
  FLASH_UPDATE = 58,
  TRAP_GET = 61, TRAP_SET = 62, TRAP_GROUP_GET = 65, TRAP_GROUP_SET = 66,
  TRAP_POLICER_GET = 69, TRAP_POLICER_SET = 70, HEALTH_REPORTER_TEST = 73,
  RATE_GET = 74, RATE_SET = 75, RATE_NEW = 76, RATE_DEL = 77,
  LINECARD_GET = 78, LINECARD_SET = 79, SELFTESTS_GET = 82, SELFTESTS_RUN = 83,
  /** Since 6.9. */
  NOTIFY_FILTER_SET = 84,
}

/** enum devlink_attr (the ones the simulator reads or writes). */
export const enum A {
  BUS_NAME = 1, DEV_NAME = 2, PORT_INDEX = 3, PORT_TYPE = 4, PORT_DESIRED_TYPE = 5,
  PORT_NETDEV_IFINDEX = 6, PORT_NETDEV_NAME = 7, PORT_IBDEV_NAME = 8,
  PORT_SPLIT_COUNT = 9, PORT_SPLIT_GROUP = 10,
  SB_INDEX = 11, SB_POOL_INDEX = 17, SB_POOL_TYPE = 18, SB_POOL_SIZE = 19, SB_POOL_THRESHOLD_TYPE = 20,
  SB_THRESHOLD = 21, SB_TC_INDEX = 22,
  ESWITCH_MODE = 25, ESWITCH_INLINE_MODE = 26, DPIPE_TABLE_NAME = 29, DPIPE_TABLE_COUNTERS_ENABLED = 33,
  PAD = 61, ESWITCH_ENCAP_MODE = 62, RESOURCE_ID = 66, RESOURCE_SIZE = 67,
  PORT_FLAVOUR = 77, PORT_NUMBER = 78, PORT_SPLIT_SUBPORT_NUMBER = 79,
  PARAM = 80, PARAM_NAME = 81, PARAM_GENERIC = 82, PARAM_TYPE = 83, PARAM_VALUES_LIST = 84,
  PARAM_VALUE = 85, PARAM_VALUE_DATA = 86, PARAM_VALUE_CMODE = 87,
  REGION_NAME = 88, REGION_SNAPSHOT_ID = 92, REGION_CHUNK_ADDR = 96, REGION_CHUNK_LEN = 97,
  INFO_DRIVER_NAME = 98, INFO_SERIAL_NUMBER = 99, INFO_VERSION_FIXED = 100, INFO_VERSION_RUNNING = 101,
  INFO_VERSION_STORED = 102, INFO_VERSION_NAME = 103, INFO_VERSION_VALUE = 104,
  HEALTH_REPORTER_NAME = 115, HEALTH_REPORTER_GRACEFUL_PERIOD = 120, HEALTH_REPORTER_AUTO_RECOVER = 121,
  FLASH_UPDATE_FILE_NAME = 122, FLASH_UPDATE_COMPONENT = 123,
  PORT_PCI_PF_NUMBER = 127, PORT_PCI_VF_NUMBER = 128,
  TRAP_NAME = 130, TRAP_ACTION = 131, TRAP_GROUP_NAME = 135, RELOAD_FAILED = 136,
  NETNS_FD = 138, NETNS_PID = 139, NETNS_ID = 140, HEALTH_REPORTER_AUTO_DUMP = 141,
  TRAP_POLICER_ID = 142, TRAP_POLICER_RATE = 143, TRAP_POLICER_BURST = 144,
  PORT_FUNCTION = 145, INFO_BOARD_SERIAL_NUMBER = 146, PORT_LANES = 147, PORT_SPLITTABLE = 148,
  PORT_EXTERNAL = 149, PORT_CONTROLLER_NUMBER = 150,
  FLASH_UPDATE_OVERWRITE_MASK = 152, RELOAD_ACTION = 153, RELOAD_ACTIONS_PERFORMED = 154,
  RELOAD_LIMITS = 155, DEV_STATS = 156, RELOAD_STATS = 157, RELOAD_STATS_ENTRY = 158,
  RELOAD_STATS_LIMIT = 159, RELOAD_STATS_VALUE = 160, REMOTE_RELOAD_STATS = 161,
  RELOAD_ACTION_INFO = 162, RELOAD_ACTION_STATS = 163, PORT_PCI_SF_NUMBER = 164,
  RATE_TYPE = 165, RATE_TX_SHARE = 166, RATE_TX_MAX = 167, RATE_NODE_NAME = 168,
  RATE_PARENT_NODE_NAME = 169, LINECARD_INDEX = 171, LINECARD_TYPE = 173, NESTED_DEVLINK = 175,
  SELFTESTS = 176,
  /** From 6.2. */
  RATE_TX_PRIORITY = 177, RATE_TX_WEIGHT = 178,
  /** From 6.3; the last attribute of 6.12. */
  REGION_DIRECT = 179,
}

/** DEVLINK_ATTR_MAX of 6.1. */
export const DEVLINK_ATTR_MAX_6_1 = 176;

/** enum devlink_port_function_attr. */
export const enum FnA {
  HW_ADDR = 1, STATE = 2, OPSTATE = 3,
  /** From 6.2. */
  CAPS = 4,
  /** From 6.7. */
  DEVLINK = 5,
  /** From 6.11. */
  MAX_IO_EQS = 6,
}
/** DEVLINK_PORT_FUNCTION_ATTR_MAX: 3 on 6.1, 6 on 6.12. */
export const FN_ATTR_MAX_6_1 = 3;
export const FN_ATTR_MAX_CURRENT = 6;

/** DEVLINK_PORT_FN_CAP_*. */
export const enum FnCap { ROCE = 1, MIGRATABLE = 2, IPSEC_CRYPTO = 4, IPSEC_PACKET = 8 }

export const enum PortType { NOTSET = 0, AUTO = 1, ETH = 2, IB = 3 }
export const enum Flavour { PHYSICAL = 0, CPU = 1, DSA = 2, PCI_PF = 3, PCI_VF = 4, VIRTUAL = 5, UNUSED = 6, PCI_SF = 7 }
export const enum FnState { INACTIVE = 0, ACTIVE = 1 }
export const enum FnOpstate { DETACHED = 0, ATTACHED = 1 }
export const enum EswMode { LEGACY = 0, SWITCHDEV = 1 }
export const enum RateType { LEAF = 0, NODE = 1 }
export const enum Cmode { RUNTIME = 0, DRIVERINIT = 1, PERMANENT = 2 }
export const enum ReloadAction { DRIVER_REINIT = 1, FW_ACTIVATE = 2 }
export const enum ReloadLimit { UNSPEC = 0, NO_RESET = 1 }

/** The kernel's NLA_* numbers, which DEVLINK_ATTR_PARAM_TYPE also uses. */
export const enum ParamNla { U8 = 1, U16 = 2, U32 = 3, U64 = 4, STRING = 5, FLAG = 6 }

/** <linux/genetlink.h>: the controller. */
export const GENL_ID_CTRL = 0x10;
export const enum Ctrl {
  CMD_NEWFAMILY = 1, CMD_GETFAMILY = 3, CMD_GETPOLICY = 10,
  ATTR_FAMILY_ID = 1, ATTR_FAMILY_NAME = 2, ATTR_VERSION = 3, ATTR_HDRSIZE = 4, ATTR_MAXATTR = 5,
  ATTR_OPS = 6, ATTR_MCAST_GROUPS = 7, ATTR_OP = 10,
  ATTR_OP_ID = 1, ATTR_OP_FLAGS = 2,
  ATTR_MCAST_GRP_NAME = 1, ATTR_MCAST_GRP_ID = 2,
}

/** GENL_* operation flags. */
export const GENL_ADMIN_PERM = 0x01;
export const GENL_CMD_CAP_DO = 0x02;
export const GENL_CMD_CAP_DUMP = 0x04;
export const GENL_CMD_CAP_HASPOL = 0x08;

/** <linux/netlink.h>. */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = 0x300;
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLMSG_ERROR = 0x2;
export const NLMSG_DONE = 0x3;
export const NLMSG_MIN_TYPE = 0x10;
export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

export const enum ErrAttr { MSG = 1, OFFS = 2, COOKIE = 3, POLICY = 4, MISS_TYPE = 5, MISS_NEST = 6 }

/** errno values the simulator answers with. */
export const enum E {
  EPERM = 1, ENOENT = 2, EINTR = 4, ENOMEM = 12, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22,
  ENOSPC = 28, ERANGE = 34, ENODATA = 61, ENOBUFS = 105, EOPNOTSUPP = 95, EADDRNOTAVAIL = 99,
}

export function nlaAlign(n: number): number {
  return (n + 3) & ~3;
}
