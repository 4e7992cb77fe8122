/**
 * Devlink numbers: commands and enums from <linux/devlink.h> (6.1), plus what later
 * kernels added (port function caps, nested devlink, max_io_eqs, rate priority and
 * weight). Named as in the uapi, lower-cased; the attribute sets are in schema.ts.
 */

export const DEVLINK_GENL_NAME = 'devlink';
export const DEVLINK_GENL_VERSION = 1;
export const DEVLINK_GENL_MCGRP_CONFIG_NAME = 'config';

/** enum devlink_command. */
export const Cmd = {
  GET: 1, SET: 2, NEW: 3, DEL: 4,
  PORT_GET: 5, PORT_SET: 6, PORT_NEW: 7, PORT_DEL: 8, PORT_SPLIT: 9, PORT_UNSPLIT: 10,
  SB_GET: 11, SB_SET: 12, SB_NEW: 13, SB_DEL: 14,
  SB_POOL_GET: 15, SB_POOL_SET: 16, SB_POOL_NEW: 17, SB_POOL_DEL: 18,
  SB_PORT_POOL_GET: 19, SB_PORT_POOL_SET: 20, SB_PORT_POOL_NEW: 21, SB_PORT_POOL_DEL: 22,
  SB_TC_POOL_BIND_GET: 23, SB_TC_POOL_BIND_SET: 24, SB_TC_POOL_BIND_NEW: 25, SB_TC_POOL_BIND_DEL: 26,
  SB_OCC_SNAPSHOT: 27, SB_OCC_MAX_CLEAR: 28,
  ESWITCH_GET: 29, ESWITCH_SET: 30,
  DPIPE_TABLE_GET: 31, DPIPE_ENTRIES_GET: 32, DPIPE_HEADERS_GET: 33, DPIPE_TABLE_COUNTERS_SET: 34,
  RESOURCE_SET: 35, RESOURCE_DUMP: 36, RELOAD: 37,
  PARAM_GET: 38, PARAM_SET: 39, PARAM_NEW: 40, PARAM_DEL: 41,
  REGION_GET: 42, REGION_SET: 43, REGION_NEW: 44, REGION_DEL: 45, REGION_READ: 46,
  PORT_PARAM_GET: 47, PORT_PARAM_SET: 48, PORT_PARAM_NEW: 49, PORT_PARAM_DEL: 50,
  INFO_GET: 51,
  HEALTH_REPORTER_GET: 52, HEALTH_REPORTER_SET: 53, HEALTH_REPORTER_RECOVER: 54,
  HEALTH_REPORTER_DIAGNOSE: 55, HEALTH_REPORTER_DUMP_GET: 56, HEALTH_REPORTER_DUMP_CLEAR: 57,
  FLASH_UPDATE: 58, FLASH_UPDATE_END: 59, FLASH_UPDATE_STATUS: 60,
  TRAP_GET: 61, TRAP_SET: 62, TRAP_NEW: 63, TRAP_DEL: 64,
  TRAP_GROUP_GET: 65, TRAP_GROUP_SET: 66, TRAP_GROUP_NEW: 67, TRAP_GROUP_DEL: 68,
  TRAP_POLICER_GET: 69, TRAP_POLICER_SET: 70, TRAP_POLICER_NEW: 71, TRAP_POLICER_DEL: 72,
  HEALTH_REPORTER_TEST: 73,
  RATE_GET: 74, RATE_SET: 75, RATE_NEW: 76, RATE_DEL: 77,
  LINECARD_GET: 78, LINECARD_SET: 79, LINECARD_NEW: 80, LINECARD_DEL: 81,
  SELFTESTS_GET: 82, SELFTESTS_RUN: 83,
  /** Linux 6.9+: this socket's notifications narrowed to one device or port, in the kernel. */
  NOTIFY_FILTER_SET: 84,
} as const;

export type CmdName = keyof typeof Cmd;

const CMD_NAMES = new Map<number, string>(Object.entries(Cmd).map(([k, v]) => [v, k.toLowerCase().replace(/_/g, '-')]));

/** "port-new" for 7; "cmd-200" for a number this library does not know. */
export function cmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `cmd-${cmd}`;
}

/** enum devlink_port_type. */
export const PortType = { notset: 0, auto: 1, eth: 2, ib: 3 } as const;
/** enum devlink_port_flavour (iproute2's names). */
export const PortFlavour = {
  physical: 0, cpu: 1, dsa: 2, pcipf: 3, pcivf: 4, virtual: 5, unused: 6, pcisf: 7,
} as const;
/** enum devlink_port_fn_state. */
export const FnState = { inactive: 0, active: 1 } as const;
/** enum devlink_port_fn_opstate. */
export const FnOpstate = { detached: 0, attached: 1 } as const;
/** enum devlink_eswitch_mode. */
export const EswitchMode = { legacy: 0, switchdev: 1 } as const;
/** enum devlink_eswitch_inline_mode. */
export const InlineMode = { none: 0, link: 1, network: 2, transport: 3 } as const;
/** enum devlink_eswitch_encap_mode. */
export const EncapMode = { none: 0, basic: 1 } as const;
/** enum devlink_rate_type. */
export const RateType = { leaf: 0, node: 1 } as const;
/** enum devlink_param_cmode. */
export const ParamCmode = { runtime: 0, driverinit: 1, permanent: 2 } as const;
/** enum devlink_reload_action. */
export const ReloadAction = { 'driver_reinit': 1, 'fw_activate': 2 } as const;
/** enum devlink_reload_limit. */
export const ReloadLimit = { unspec: 0, 'no_reset': 1 } as const;
/**
 * DEVLINK_PARAM_TYPE_*: the kernel uses the NLA_* numbers (NLA_U8 1, NLA_U16 2,
 * NLA_U32 3, NLA_U64 4, NLA_STRING 5, NLA_FLAG 6).
 */
export const ParamType = { u8: 1, u16: 2, u32: 3, u64: 4, string: 5, bool: 6 } as const;

/**
 * The generic parameters and their types, fixed by the devlink core for every driver that
 * registers one (devlink_param_generic in net/devlink/param.c, the names and types
 * DEVLINK_PARAM_GENERIC_*_NAME / _TYPE of include/net/devlink.h; as of Linux 6.12). Any
 * other name is a driver's own, its type known only to the kernel.
 */
export const GENERIC_PARAM_TYPES: Readonly<Record<string, ParamTypeName>> = {
  internal_error_reset: 'bool', max_macs: 'u32', enable_sriov: 'bool', region_snapshot_enable: 'bool', ignore_ari: 'bool',
  msix_vec_per_pf_max: 'u32', msix_vec_per_pf_min: 'u32', fw_load_policy: 'u8', reset_dev_on_drv_probe: 'u8', enable_roce: 'bool',
  enable_remote_dev_reset: 'bool', enable_eth: 'bool', enable_rdma: 'bool', enable_vnet: 'bool', enable_iwarp: 'bool',
  io_eq_size: 'u32', event_eq_size: 'u32',
};

/** Port function capability bits (DEVLINK_PORT_FN_CAP_*, from 6.2). */
export const FnCap = { roce: 1 << 0, migratable: 1 << 1, ipsecCrypto: 1 << 2, ipsecPacket: 1 << 3 } as const;
export type FnCapName = keyof typeof FnCap;
/** The capabilities by the library's names, in bit order: the one list every other derives from. */
export const FN_CAP_NAMES = Object.keys(FnCap) as readonly FnCapName[];
/** iproute2's word for each (`port function set ... ipsec_crypto enable`). */
export const FN_CAP_WORDS: Readonly<Record<FnCapName, string>> = {
  roce: 'roce', migratable: 'migratable', ipsecCrypto: 'ipsec_crypto', ipsecPacket: 'ipsec_packet',
};

export type PortTypeName = keyof typeof PortType;
export type PortFlavourName = keyof typeof PortFlavour;
export type FnStateName = keyof typeof FnState;
export type FnOpstateName = keyof typeof FnOpstate;
export type EswitchModeName = keyof typeof EswitchMode;
export type InlineModeName = keyof typeof InlineMode;
export type EncapModeName = keyof typeof EncapMode;
export type RateTypeName = keyof typeof RateType;
export type ParamCmodeName = keyof typeof ParamCmode;
export type ParamTypeName = keyof typeof ParamType;
