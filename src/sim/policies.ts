/**
 * The policies the kernel validates requests with: devlink_nl_policy of 6.1 (one
 * family-wide policy, strict from DEVLINK_ATTR_TRAP_POLICER_ID up), the per-operation
 * policies that net/devlink/netlink_gen.c generates on newer kernels (modelled on 6.12),
 * the port function policies each parses its nest with, and nlctrl's.
 */
import { Nla, Policy, policy, PolicyEntry } from './policy';
import { A, C, DEVLINK_ATTR_MAX_6_1, FN_ATTR_MAX_6_1, FN_ATTR_MAX_CURRENT, FnA } from './uapi';

const NUL: PolicyEntry = { type: Nla.NUL_STRING };
const U8: PolicyEntry = { type: Nla.U8 };
const U16: PolicyEntry = { type: Nla.U16 };
const U32: PolicyEntry = { type: Nla.U32 };
const U64: PolicyEntry = { type: Nla.U64 };
const range = (type: Nla, min: number, max: number): PolicyEntry => ({ type, min, max });

/** devlink_nl_policy (6.1, net/devlink/leftover.c). */
export const devlinkPolicy61: Policy = policy(DEVLINK_ATTR_MAX_6_1, {
  [A.BUS_NAME]: NUL, [A.DEV_NAME]: NUL, [A.PORT_INDEX]: U32,
  [A.PORT_TYPE]: range(Nla.U16, 1, 3),
  [A.PORT_SPLIT_COUNT]: U32, [A.SB_INDEX]: U32, [A.SB_POOL_INDEX]: U16, [A.SB_POOL_TYPE]: U8,
  [A.SB_POOL_SIZE]: U32, [A.SB_POOL_THRESHOLD_TYPE]: U8, [A.SB_THRESHOLD]: U32, [A.SB_TC_INDEX]: U16,
  [A.ESWITCH_MODE]: range(Nla.U16, 0, 1), [A.ESWITCH_INLINE_MODE]: U8, [A.ESWITCH_ENCAP_MODE]: U8,
  [A.DPIPE_TABLE_NAME]: NUL, [A.DPIPE_TABLE_COUNTERS_ENABLED]: U8,
  [A.RESOURCE_ID]: U64, [A.RESOURCE_SIZE]: U64,
  [A.PARAM_NAME]: NUL, [A.PARAM_TYPE]: U8, [A.PARAM_VALUE_CMODE]: U8,
  [A.REGION_NAME]: NUL, [A.REGION_SNAPSHOT_ID]: U32, [A.REGION_CHUNK_ADDR]: U64, [A.REGION_CHUNK_LEN]: U64,
  [A.HEALTH_REPORTER_NAME]: NUL, [A.HEALTH_REPORTER_GRACEFUL_PERIOD]: U64, [A.HEALTH_REPORTER_AUTO_RECOVER]: U8,
  [A.FLASH_UPDATE_FILE_NAME]: NUL, [A.FLASH_UPDATE_COMPONENT]: NUL,
  [A.FLASH_UPDATE_OVERWRITE_MASK]: { type: Nla.BITFIELD32, bitfield32Valid: 3 },
  [A.TRAP_NAME]: NUL, [A.TRAP_ACTION]: U8, [A.TRAP_GROUP_NAME]: NUL,
  [A.NETNS_PID]: U32, [A.NETNS_FD]: U32, [A.NETNS_ID]: U32, [A.HEALTH_REPORTER_AUTO_DUMP]: U8,
  [A.TRAP_POLICER_ID]: U32, [A.TRAP_POLICER_RATE]: U64, [A.TRAP_POLICER_BURST]: U64,
  [A.PORT_FUNCTION]: { type: Nla.NESTED },
  [A.RELOAD_ACTION]: range(Nla.U8, 1, 2),
  [A.RELOAD_LIMITS]: { type: Nla.BITFIELD32, bitfield32Valid: 3 },
  [A.PORT_FLAVOUR]: U16, [A.PORT_PCI_PF_NUMBER]: U16, [A.PORT_PCI_SF_NUMBER]: U32,
  [A.PORT_CONTROLLER_NUMBER]: U32,
  [A.RATE_TYPE]: U16, [A.RATE_TX_SHARE]: U64, [A.RATE_TX_MAX]: U64, [A.RATE_NODE_NAME]: NUL,
  [A.RATE_PARENT_NODE_NAME]: NUL, [A.LINECARD_INDEX]: U32, [A.LINECARD_TYPE]: NUL,
  [A.SELFTESTS]: { type: Nla.NESTED },
}, A.TRAP_POLICER_ID);

/** devlink_function_nl_policy of 6.1: what PORT_SET parses its nest with (strictly). */
export const fnPolicy61: Policy = policy(FN_ATTR_MAX_6_1, {
  [FnA.HW_ADDR]: { type: Nla.BINARY },
  [FnA.STATE]: range(Nla.U8, 0, 1),
});

/** devlink_dl_port_function_nl_policy (netlink_gen.c): the nest as the op policy validates it. */
export const fnNestPolicyCurrent: Policy = policy(FnA.CAPS, {
  [FnA.HW_ADDR]: { type: Nla.BINARY },
  [FnA.STATE]: range(Nla.U8, 0, 1),
  [FnA.OPSTATE]: range(Nla.U8, 0, 1),
  [FnA.CAPS]: { type: Nla.BITFIELD32, bitfield32Valid: 15 },
});

/** devlink_function_nl_policy of net/devlink/port.c (6.12): the doit's strict parse. */
export const fnPolicyCurrent: Policy = policy(FN_ATTR_MAX_CURRENT, {
  [FnA.HW_ADDR]: { type: Nla.BINARY },
  [FnA.STATE]: range(Nla.U8, 0, 1),
  [FnA.CAPS]: { type: Nla.BITFIELD32, bitfield32Valid: 15 },
  [FnA.MAX_IO_EQS]: U32,
});

function opPolicy(entries: Record<number, PolicyEntry>): Policy {
  const all = { [A.BUS_NAME]: NUL, [A.DEV_NAME]: NUL, ...entries };
  const maxType = Math.max(...Object.keys(all).map(Number));
  return policy(maxType, all);
}

const HANDLE = opPolicy({});
const WITH_PORT = opPolicy({ [A.PORT_INDEX]: U32 });
const RATE_ATTRS = {
  [A.RATE_NODE_NAME]: NUL, [A.RATE_TX_SHARE]: U64, [A.RATE_TX_MAX]: U64,
  [A.RATE_TX_PRIORITY]: U32, [A.RATE_TX_WEIGHT]: U32, [A.RATE_PARENT_NODE_NAME]: NUL,
};

/** Per-operation policies of 6.12's netlink_gen.c: [do, dump] for the commands modelled. */
export const currentPolicies: ReadonlyMap<number, { readonly doit?: Policy; readonly dumpit?: Policy }> = new Map([
  [C.GET, { doit: HANDLE }],
  [C.PORT_GET, { doit: WITH_PORT, dumpit: HANDLE }],
  [C.PORT_SET, {
    doit: opPolicy({
      [A.PORT_INDEX]: U32, [A.PORT_TYPE]: range(Nla.U16, 0, 3), [A.PORT_FUNCTION]: { type: Nla.NESTED, nested: fnNestPolicyCurrent, len: FnA.CAPS },
    }),
  }],
  [C.PORT_NEW, {
    doit: opPolicy({
      [A.PORT_INDEX]: U32, [A.PORT_FLAVOUR]: range(Nla.U16, 0, 7), [A.PORT_PCI_PF_NUMBER]: U16, [A.PORT_PCI_SF_NUMBER]: U32, [A.PORT_CONTROLLER_NUMBER]: U32,
    }),
  }],
  [C.PORT_DEL, { doit: WITH_PORT }],
  [C.PORT_SPLIT, { doit: opPolicy({ [A.PORT_INDEX]: U32, [A.PORT_SPLIT_COUNT]: U32 }) }],
  [C.PORT_UNSPLIT, { doit: WITH_PORT }],
  [C.ESWITCH_GET, { doit: HANDLE }],
  [C.ESWITCH_SET, {
    doit: opPolicy({ [A.ESWITCH_MODE]: range(Nla.U16, 0, 1), [A.ESWITCH_INLINE_MODE]: range(Nla.U8, 0, 3), [A.ESWITCH_ENCAP_MODE]: range(Nla.U8, 0, 1) }),
  }],
  [C.RELOAD, {
    doit: opPolicy({
      [A.RELOAD_ACTION]: range(Nla.U8, 1, 2), [A.RELOAD_LIMITS]: { type: Nla.BITFIELD32, bitfield32Valid: 6 },
      [A.NETNS_PID]: U32, [A.NETNS_FD]: U32, [A.NETNS_ID]: U32,
    }),
  }],
  [C.PARAM_GET, { doit: opPolicy({ [A.PARAM_NAME]: NUL }), dumpit: HANDLE }],
  [C.PARAM_SET, { doit: opPolicy({ [A.PARAM_NAME]: NUL, [A.PARAM_TYPE]: U8, [A.PARAM_VALUE_CMODE]: range(Nla.U8, 0, 2) }) }],
  [C.INFO_GET, { doit: HANDLE }],
  [C.RATE_GET, { doit: opPolicy({ [A.PORT_INDEX]: U32, [A.RATE_NODE_NAME]: NUL }), dumpit: HANDLE }],
  [C.RATE_SET, { doit: opPolicy(RATE_ATTRS) }],
  [C.RATE_NEW, { doit: opPolicy(RATE_ATTRS) }],
  [C.RATE_DEL, { doit: opPolicy({ [A.RATE_NODE_NAME]: NUL }) }],
  [C.NOTIFY_FILTER_SET, { doit: WITH_PORT }],
]);

/** Commands not modelled in detail take the handle-only policy. */
export const currentHandlePolicy = HANDLE;

/** nlctrl's ctrl_policy_family (CTRL_CMD_GETFAMILY). */
export const ctrlFamilyPolicy: Policy = policy(2, {
  1: { type: Nla.U16 },
  2: { type: Nla.NUL_STRING, len: 15 },
});
