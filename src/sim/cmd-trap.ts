/**
 * Traps and trap groups as 6.1's devlink core keeps them, and mlx5's (devlink.c: the
 * generic drop traps ingress_vlan_filter and dmac_filter, with IN_PORT metadata, in the
 * generic group l2_drops, registered on every mlx5_core instance, SFs' included; no
 * policers). mlx5 changes an action only to drop or trap, and not in switchdev mode
 * ("Devlink traps can't be set in switchdev mode"). A successful change is announced
 * with TRAP_NEW. Replies and dumps use TRAP_NEW and TRAP_GROUP_NEW.
 */
import type { CmdHandlers, CoreCtx, DoCtx, HandlerTable, Target } from './context';
import { cstr } from './context';
import type { FamilyCtx, Hdr } from './fill';
import { Errno, fail, Instance } from './model';
import { MsgWriter } from './wire';
import { A, C, E, NLM_F_MULTI } from './uapi';

const CMD_TRAP_NEW = 63;
const CMD_GROUP_NEW = 67;
const TRAP_TYPE = 132;
const TRAP_GENERIC = 133;
const TRAP_METADATA = 134;
const STATS = 129;
const ACTION_DROP = 0;
const ACTION_TRAP = 1; // DEVLINK_TRAP_ACTION_TRAP
const ACTION_MIRROR = 2;

interface SimTrap { readonly name: string; readonly type: number; action: number; readonly group: string; readonly inPort: boolean }
interface TrapSet {
  readonly traps: SimTrap[];
  readonly groups: string[];
  /** ops->trap_action_set. */
  readonly actionSet: (t: SimTrap, action: number, ext: DoCtx['ext']) => void;
}

const sets = new WeakMap<Instance, TrapSet>();

/** mlx5_devlink_traps_register; `switchdev` tells whether the device's eswitch is in switchdev mode. */
export function mlx5Traps(inst: Instance, switchdev: () => boolean): void {
  const trap = (name: string): SimTrap => ({ name, type: 0, action: ACTION_DROP, group: 'l2_drops', inPort: true });
  sets.set(inst, {
    traps: [trap('ingress_vlan_filter'), trap('dmac_filter')],
    groups: ['l2_drops'],
    actionSet: (_t, action, ext) => {
      if (switchdev()) fail(-E.EOPNOTSUPP, ext, `mlx5_core: Devlink traps can't be set in switchdev mode`);
      if (action !== ACTION_DROP && action !== ACTION_TRAP) throw new Errno(-E.EOPNOTSUPP);
    },
  });

}

function start(f: FamilyCtx, h: Hdr, inst: Instance): MsgWriter {
  const w = new MsgWriter(f.id, h.flags, h.seq, h.portid, h.cmd, 1, 256);
  w.putString(A.BUS_NAME, inst.bus);
  w.putString(A.DEV_NAME, inst.dev);
  return w;
}

/** devlink_trap_stats_put / devlink_trap_group_stats_put: nothing trapped in a simulator. */
function putStats(w: MsgWriter): void {
  const n = w.nestStart(STATS);
  w.putU64(0, 0n);
  w.putU64(1, 0n);
  w.nestEnd(n);
}

function fillTrap(f: FamilyCtx, h: Hdr, inst: Instance, t: SimTrap): Buffer {
  const w = start(f, h, inst);
  w.putString(A.TRAP_GROUP_NAME, t.group);
  w.putString(A.TRAP_NAME, t.name);
  w.putU8(TRAP_TYPE, t.type);
  w.putFlag(TRAP_GENERIC);
  w.putU8(A.TRAP_ACTION, t.action);
  const md = w.nestStart(TRAP_METADATA);
  if (t.inPort) w.putFlag(0);
  w.nestEnd(md);
  putStats(w);
  return w.end();
}

function fillGroup(f: FamilyCtx, h: Hdr, inst: Instance, name: string): Buffer {
  const w = start(f, h, inst);
  w.putString(A.TRAP_GROUP_NAME, name);
  w.putFlag(TRAP_GENERIC);
  putStats(w);
  return w.end();
}

function named(buf: Buffer, tb: DoCtx['tb'], attr: number): string | undefined {
  const a = tb[attr];
  return a ? cstr(buf, a.data, a.len) : undefined;
}

/** __devlink_trap_action_set: a non-drop trap keeps its action; the driver decides; TRAP_NEW announces it. */
function actionSet(core: CoreCtx, inst: Instance, set: TrapSet, t: SimTrap, action: number, ext: DoCtx['ext']): void {
  if (t.action !== action && t.type !== 0) {
    ext.setMsg(core.mod('Cannot change action of non-drop traps. Skipping'));
    return;
  }
  set.actionSet(t, action, ext);
  t.action = action;
  core.notifyRaw(fillTrap(core.family, { cmd: CMD_TRAP_NEW, portid: 0, seq: 0, flags: 0 }, inst, t));
}

/** devlink_trap_action_get_from_info: none is fine, beyond mirror is "Invalid trap action". */
function actionOf(core: CoreCtx, ctx: DoCtx): number | undefined {
  const a = ctx.tb[A.TRAP_ACTION];
  if (!a) return undefined;
  const v = ctx.req.buf[a.data];
  if (v > ACTION_MIRROR) fail(-E.EINVAL, ctx.ext, core.mod('Invalid trap action'));
  return v;
}

/** The instance's traps; an empty trap (group, policer) list: EOPNOTSUPP. */
function trapsOf(inst: Instance): TrapSet {
  const set = sets.get(inst);
  if (!set) throw new Errno(-E.EOPNOTSUPP);
  return set;
}

/** The trap TRAP_NAME names (ENOENT "Device did not register this trap"). */
function trapFromAttrs(core: CoreCtx, ctx: DoCtx, set: TrapSet): SimTrap {
  const name = named(ctx.req.buf, ctx.tb, A.TRAP_NAME);
  const trap = set.traps.find((x) => x.name === name);
  if (!trap) fail(-E.ENOENT, ctx.ext, core.mod('Device did not register this trap'));
  return trap;
}

/** The group TRAP_GROUP_NAME names (ENOENT "Device did not register this trap group"). */
function groupFromAttrs(core: CoreCtx, ctx: DoCtx, set: TrapSet): string {
  const group = named(ctx.req.buf, ctx.tb, A.TRAP_GROUP_NAME);
  if (group === undefined || !set.groups.includes(group)) fail(-E.ENOENT, ctx.ext, core.mod('Device did not register this trap group'));
  return group;
}

function replyHdr(ctx: DoCtx, cmd: number): Hdr {
  return { cmd, portid: ctx.req.portid, seq: ctx.req.seq, flags: 0 };
}

function trapSet(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const set = trapsOf(t.inst);
  const trap = trapFromAttrs(core, ctx, set);
  const action = actionOf(core, ctx);
  if (action !== undefined) actionSet(core, t.inst, set, trap, action, ctx.ext);
}

function groupSet(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const inst = t.inst;
  const set = trapsOf(inst);
  const group = groupFromAttrs(core, ctx, set);
  const action = actionOf(core, ctx);
  if (action !== undefined) for (const tr of set.traps.filter((x) => x.group === group)) actionSet(core, inst, set, tr, action, ctx.ext);
  // mlx5 has no ops->trap_group_set: a policer cannot be bound
  if (ctx.tb[A.TRAP_POLICER_ID]) throw new Errno(-E.EOPNOTSUPP);
  core.notifyRaw(fillGroup(core.family, { cmd: CMD_GROUP_NEW, portid: 0, seq: 0, flags: 0 }, inst, group));
}

/**
 * A GET's handlers: the doit answers with the object the request names, the dump walks
 * every visible instance's objects; both answer with `reply` (TRAP_NEW, TRAP_GROUP_NEW).
 */
function getCmd<T>(
  reply: number,
  named: (core: CoreCtx, ctx: DoCtx, set: TrapSet) => T,
  all: (set: TrapSet) => readonly T[],
  fill: (f: FamilyCtx, h: Hdr, inst: Instance, x: T) => Buffer,
): CmdHandlers {
  return {
    doit: (core, ctx, t) => {
      const x = named(core, ctx, trapsOf(t.inst));
      ctx.reply(fill(core.family, replyHdr(ctx, reply), t.inst, x));
    },
    dumpit: (core, ctx) => {
      const h: Hdr = { cmd: reply, portid: ctx.req.portid, seq: ctx.req.seq, flags: NLM_F_MULTI };
      for (const inst of core.instances.filter((i) => core.visible(i))) {
        const set = sets.get(inst);
        if (set) for (const x of all(set)) ctx.put(fill(core.family, h, inst, x));
      }
    },
  };
}

/** mlx5 registers no policers. */
const noPolicers = (): never => {
  throw new Errno(-E.EOPNOTSUPP);
};

/** The trap commands' handlers. */
export const trapCmds: HandlerTable = {
  [C.TRAP_GET]: getCmd(CMD_TRAP_NEW, trapFromAttrs, (set) => set.traps, fillTrap),
  [C.TRAP_SET]: { doit: trapSet },
  [C.TRAP_GROUP_GET]: getCmd(CMD_GROUP_NEW, groupFromAttrs, (set) => set.groups, fillGroup),
  [C.TRAP_GROUP_SET]: { doit: groupSet },
  [C.TRAP_POLICER_GET]: { doit: noPolicers, dumpit: () => undefined },
  [C.TRAP_POLICER_SET]: { doit: noPolicers },
};
