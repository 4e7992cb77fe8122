/**
 * The devlink family's operations as each kernel registers them: 6.1's genl_small_ops
 * (one family policy, GENL_DONT_VALIDATE_* flags per op, nlctrl listing them in table
 * order) and 6.12's generated split ops (a policy per do and per dump). From these come
 * nlctrl's OPS list, the permission check, how each request's attributes are parsed, and
 * what runs: each op carries its command's handlers (genl_ops.doit and .dumpit) from the
 * command modules.
 */
import { Policy } from './policy';
import { currentHandlePolicy, currentPolicies, devlinkPolicy61 } from './policies';
import { C, GENL_ADMIN_PERM, GENL_CMD_CAP_DO, GENL_CMD_CAP_DUMP, GENL_CMD_CAP_HASPOL } from './uapi';
import type { CmdHandlers, HandlerTable } from './context';
import { devCmds } from './cmd-dev';
import { flashCmds } from './cmd-flash';
import { healthCmds } from './cmd-health';
import { notifyCmds } from './cmd-notify';
import { portCmds } from './cmd-port';
import { rateCmds } from './cmd-rate';
import { trapCmds } from './cmd-trap';

/** How attributes are validated: not parsed, liberal, or strict (NL_VALIDATE_STRICT). */
export type Validation = 'none' | 'liberal' | 'strict';

/** What pre_doit looks up before the op runs (DEVLINK_NL_FLAG_NEED_*). */
export type Need = 'devlink' | 'port' | 'port-optional' | 'rate' | 'rate-node' | 'linecard' | 'none';

export interface OpDef {
  readonly cmd: number;
  readonly admin: boolean;
  readonly doit: boolean;
  readonly dumpit: boolean;
  readonly doValidate: Validation;
  readonly dumpValidate: Validation;
  readonly doPolicy?: Policy;
  readonly dumpPolicy?: Policy;
  readonly need: Need;
  /**
   * What runs for a do and a dump of this command (the devlink family's ops; nlctrl
   * answers its own). A handler missing where the kernel has the op: the simulated
   * drivers implement nothing for it (a do answers EOPNOTSUPP, a dump is empty).
   */
  readonly handlers?: CmdHandlers;
}

/** The command modules' handlers in one table; a command's doit and dumpit may come from different modules, never twice. */
function mergeHandlers(tables: readonly HandlerTable[]): ReadonlyMap<number, CmdHandlers> {
  const out = new Map<number, CmdHandlers>();
  for (const table of tables) {
    for (const [key, h] of Object.entries(table)) {
      const cmd = Number(key);
      const had = out.get(cmd) ?? {};
      if ((had.doit && h.doit) || (had.dumpit && h.dumpit)) throw new Error(`devlink command ${cmd} has two handlers`);
      out.set(cmd, { ...had, ...h });
    }
  }
  return out;
}

const HANDLERS = mergeHandlers([portCmds, devCmds, rateCmds, healthCmds, flashCmds, trapCmds, notifyCmds]);

/** An op with its command's handlers, where the simulator has any. */
function withHandlers(op: OpDef): OpDef {
  const handlers = HANDLERS.get(op.cmd);
  return handlers ? { ...op, handlers } : op;
}

/** nlctrl's CTRL_ATTR_OP_FLAGS for an op. */
export function opFlags(op: OpDef): number {
  let f = op.admin ? GENL_ADMIN_PERM : 0;
  if (op.doit) f |= GENL_CMD_CAP_DO;
  if (op.dumpit) f |= GENL_CMD_CAP_DUMP;
  if (op.doPolicy || op.dumpPolicy) f |= GENL_CMD_CAP_HASPOL;
  return f;
}

// 6.1: [cmd, admin, do, dump, validate flags (S = DONT_VALIDATE_STRICT, D = DONT_VALIDATE_DUMP,
// d = DONT_VALIDATE_DUMP_STRICT), need], in devlink_nl_ops[] order.
type Row61 = readonly [number, 0 | 1, 0 | 1, 0 | 1, string, Need];
const OPS_61: readonly Row61[] = [
  [C.GET, 0, 1, 1, 'SD', 'devlink'],
  [C.PORT_GET, 0, 1, 1, 'SD', 'port'],
  [C.PORT_SET, 1, 1, 0, 'SD', 'port'],
  [C.RATE_GET, 0, 1, 1, '', 'rate'],
  [C.RATE_SET, 1, 1, 0, '', 'rate'],
  [C.RATE_NEW, 1, 1, 0, '', 'devlink'],
  [C.RATE_DEL, 1, 1, 0, '', 'rate-node'],
  [C.PORT_SPLIT, 1, 1, 0, 'SD', 'port'],
  [C.PORT_UNSPLIT, 1, 1, 0, 'SD', 'port'],
  [C.PORT_NEW, 1, 1, 0, '', 'devlink'],
  [C.PORT_DEL, 1, 1, 0, '', 'devlink'],
  [C.LINECARD_GET, 0, 1, 1, '', 'linecard'],
  [C.LINECARD_SET, 1, 1, 0, '', 'linecard'],
  [C.SB_GET, 0, 1, 1, 'SD', 'devlink'],
  [C.SB_POOL_GET, 0, 1, 1, 'SD', 'devlink'],
  [C.SB_POOL_SET, 1, 1, 0, 'SD', 'devlink'],
  [C.SB_PORT_POOL_GET, 0, 1, 1, 'SD', 'port'],
  [C.SB_PORT_POOL_SET, 1, 1, 0, 'SD', 'port'],
  [C.SB_TC_POOL_BIND_GET, 0, 1, 1, 'SD', 'port'],
  [C.SB_TC_POOL_BIND_SET, 1, 1, 0, 'SD', 'port'],
  [C.SB_OCC_SNAPSHOT, 1, 1, 0, 'SD', 'devlink'],
  [C.SB_OCC_MAX_CLEAR, 1, 1, 0, 'SD', 'devlink'],
  [C.ESWITCH_GET, 1, 1, 0, 'SD', 'devlink'],
  [C.ESWITCH_SET, 1, 1, 0, 'SD', 'devlink'],
  [C.DPIPE_TABLE_GET, 0, 1, 0, 'SD', 'devlink'],
  [C.DPIPE_ENTRIES_GET, 0, 1, 0, 'SD', 'devlink'],
  [C.DPIPE_HEADERS_GET, 0, 1, 0, 'SD', 'devlink'],
  [C.DPIPE_TABLE_COUNTERS_SET, 1, 1, 0, 'SD', 'devlink'],
  [C.RESOURCE_SET, 1, 1, 0, 'SD', 'devlink'],
  [C.RESOURCE_DUMP, 0, 1, 0, 'SD', 'devlink'],
  [C.RELOAD, 1, 1, 0, 'SD', 'devlink'],
  [C.PARAM_GET, 0, 1, 1, 'SD', 'devlink'],
  [C.PARAM_SET, 1, 1, 0, 'SD', 'devlink'],
  [C.PORT_PARAM_GET, 0, 1, 1, 'SD', 'port'],
  [C.PORT_PARAM_SET, 1, 1, 0, 'SD', 'port'],
  [C.REGION_GET, 1, 1, 1, 'SD', 'devlink'],
  [C.REGION_NEW, 1, 1, 0, 'SD', 'devlink'],
  [C.REGION_DEL, 1, 1, 0, 'SD', 'devlink'],
  [C.REGION_READ, 1, 0, 1, 'Sd', 'devlink'],
  [C.INFO_GET, 0, 1, 1, 'SD', 'devlink'],
  [C.HEALTH_REPORTER_GET, 0, 1, 1, 'SD', 'port-optional'],
  [C.HEALTH_REPORTER_SET, 1, 1, 0, 'SD', 'port-optional'],
  [C.HEALTH_REPORTER_RECOVER, 1, 1, 0, 'SD', 'port-optional'],
  [C.HEALTH_REPORTER_DIAGNOSE, 1, 1, 0, 'SD', 'port-optional'],
  [C.HEALTH_REPORTER_DUMP_GET, 1, 0, 1, 'Sd', 'devlink'],
  [C.HEALTH_REPORTER_DUMP_CLEAR, 1, 1, 0, 'SD', 'port-optional'],
  [C.HEALTH_REPORTER_TEST, 1, 1, 0, 'SD', 'port-optional'],
  [C.FLASH_UPDATE, 1, 1, 0, 'SD', 'devlink'],
  [C.TRAP_GET, 0, 1, 1, '', 'devlink'],
  [C.TRAP_SET, 1, 1, 0, '', 'devlink'],
  [C.TRAP_GROUP_GET, 0, 1, 1, '', 'devlink'],
  [C.TRAP_GROUP_SET, 1, 1, 0, '', 'devlink'],
  [C.TRAP_POLICER_GET, 0, 1, 1, '', 'devlink'],
  [C.TRAP_POLICER_SET, 1, 1, 0, '', 'devlink'],
  [C.SELFTESTS_GET, 0, 1, 1, '', 'devlink'],
  [C.SELFTESTS_RUN, 1, 1, 0, '', 'devlink'],
];

export const ops61: readonly OpDef[] = OPS_61.map(([cmd, admin, doit, dumpit, v, need]) => withHandlers({
  cmd, admin: admin === 1, doit: doit === 1, dumpit: dumpit === 1,
  doValidate: v.includes('S') ? 'liberal' : 'strict',
  dumpValidate: v.includes('D') ? 'none' : v.includes('d') ? 'liberal' : 'strict',
  doPolicy: devlinkPolicy61, dumpPolicy: devlinkPolicy61, need,
}));

// 6.12 (netlink_gen.c): [cmd, admin, do, dump, dump validation, need], in table order.
// Every do is validated liberally (GENL_DONT_VALIDATE_STRICT) with its own policy; dumps
// without GENL_DONT_VALIDATE_DUMP* are validated strictly.
type RowCur = readonly [number, 0 | 1, 0 | 1, 0 | 1, Validation, Need];
const OPS_CUR: readonly RowCur[] = [
  [C.GET, 0, 1, 1, 'none', 'devlink'],
  [C.PORT_GET, 0, 1, 1, 'strict', 'port'],
  [C.PORT_SET, 1, 1, 0, 'none', 'port'],
  [C.PORT_NEW, 1, 1, 0, 'none', 'devlink'],
  [C.PORT_DEL, 1, 1, 0, 'none', 'port'],
  [C.PORT_SPLIT, 1, 1, 0, 'none', 'port'],
  [C.PORT_UNSPLIT, 1, 1, 0, 'none', 'port'],
  [C.SB_GET, 0, 1, 1, 'strict', 'devlink'],
  [C.SB_POOL_GET, 0, 1, 1, 'strict', 'devlink'],
  [C.SB_POOL_SET, 1, 1, 0, 'none', 'devlink'],
  [C.SB_PORT_POOL_GET, 0, 1, 1, 'strict', 'port'],
  [C.SB_PORT_POOL_SET, 1, 1, 0, 'none', 'port'],
  [C.SB_TC_POOL_BIND_GET, 0, 1, 1, 'strict', 'port'],
  [C.SB_TC_POOL_BIND_SET, 1, 1, 0, 'none', 'port'],
  [C.SB_OCC_SNAPSHOT, 1, 1, 0, 'none', 'devlink'],
  [C.SB_OCC_MAX_CLEAR, 1, 1, 0, 'none', 'devlink'],
  [C.ESWITCH_GET, 1, 1, 0, 'none', 'devlink'],
  [C.ESWITCH_SET, 1, 1, 0, 'none', 'devlink'],
  [C.DPIPE_TABLE_GET, 0, 1, 0, 'none', 'devlink'],
  [C.DPIPE_ENTRIES_GET, 0, 1, 0, 'none', 'devlink'],
  [C.DPIPE_HEADERS_GET, 0, 1, 0, 'none', 'devlink'],
  [C.DPIPE_TABLE_COUNTERS_SET, 1, 1, 0, 'none', 'devlink'],
  [C.RESOURCE_SET, 1, 1, 0, 'none', 'devlink'],
  [C.RESOURCE_DUMP, 0, 1, 1, 'strict', 'devlink'],
  [C.RELOAD, 1, 1, 0, 'none', 'devlink'],
  [C.PARAM_GET, 0, 1, 1, 'strict', 'devlink'],
  [C.PARAM_SET, 1, 1, 0, 'none', 'devlink'],
  [C.REGION_GET, 0, 1, 1, 'strict', 'port-optional'],
  [C.REGION_NEW, 1, 1, 0, 'none', 'port-optional'],
  [C.REGION_DEL, 1, 1, 0, 'none', 'port-optional'],
  [C.REGION_READ, 1, 0, 1, 'liberal', 'devlink'],
  [C.PORT_PARAM_GET, 0, 1, 1, 'none', 'port'],
  [C.PORT_PARAM_SET, 1, 1, 0, 'none', 'port'],
  [C.INFO_GET, 0, 1, 1, 'none', 'devlink'],
  [C.HEALTH_REPORTER_GET, 0, 1, 1, 'strict', 'port-optional'],
  [C.HEALTH_REPORTER_SET, 1, 1, 0, 'none', 'port-optional'],
  [C.HEALTH_REPORTER_RECOVER, 1, 1, 0, 'none', 'port-optional'],
  [C.HEALTH_REPORTER_DIAGNOSE, 1, 1, 0, 'none', 'port-optional'],
  [C.HEALTH_REPORTER_DUMP_GET, 1, 0, 1, 'liberal', 'devlink'],
  [C.HEALTH_REPORTER_DUMP_CLEAR, 1, 1, 0, 'none', 'port-optional'],
  [C.FLASH_UPDATE, 1, 1, 0, 'none', 'devlink'],
  [C.TRAP_GET, 0, 1, 1, 'strict', 'devlink'],
  [C.TRAP_SET, 1, 1, 0, 'none', 'devlink'],
  [C.TRAP_GROUP_GET, 0, 1, 1, 'strict', 'devlink'],
  [C.TRAP_GROUP_SET, 1, 1, 0, 'none', 'devlink'],
  [C.TRAP_POLICER_GET, 0, 1, 1, 'strict', 'devlink'],
  [C.TRAP_POLICER_SET, 1, 1, 0, 'none', 'devlink'],
  [C.HEALTH_REPORTER_TEST, 1, 1, 0, 'none', 'port-optional'],
  [C.RATE_GET, 0, 1, 1, 'strict', 'rate'],
  [C.RATE_SET, 1, 1, 0, 'none', 'rate'],
  [C.RATE_NEW, 1, 1, 0, 'none', 'devlink'],
  [C.RATE_DEL, 1, 1, 0, 'none', 'rate-node'],
  [C.LINECARD_GET, 0, 1, 1, 'strict', 'linecard'],
  [C.LINECARD_SET, 1, 1, 0, 'none', 'linecard'],
  [C.SELFTESTS_GET, 0, 1, 1, 'none', 'devlink'],
  [C.SELFTESTS_RUN, 1, 1, 0, 'none', 'devlink'],
  [C.NOTIFY_FILTER_SET, 0, 1, 0, 'none', 'none'],
];

export const opsCurrent: readonly OpDef[] = OPS_CUR.map(([cmd, admin, doit, dumpit, dumpValidate, need]) => {
  const p = currentPolicies.get(cmd);
  const doPolicy = doit ? (p?.doit ?? currentHandlePolicy) : undefined;
  const dumpPolicy = dumpit && dumpValidate !== 'none' ? (p?.dumpit ?? currentHandlePolicy) : undefined;
  return withHandlers({
    cmd, admin: admin === 1, doit: doit === 1, dumpit: dumpit === 1,
    doValidate: 'liberal', dumpValidate, need,
    ...(doPolicy ? { doPolicy } : {}),
    ...(dumpPolicy ? { dumpPolicy } : {}),
  });
});
