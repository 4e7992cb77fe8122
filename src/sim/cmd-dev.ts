/**
 * Instance commands of the devlink core: GET, ESWITCH_GET/SET, INFO_GET, PARAM_GET/SET,
 * PORT_PARAM_*, RELOAD, with their dumps.
 */
import { ExtAck } from './policy';
import { Errno, fail, Instance, Param, ParamValue } from './model';
import { checkNetnsAction, enterNetns, leaveNetns, reloadNetns } from './netns';
import { fillDevice, fillEswitch, fillInfo, fillParam, fillReloadPerformed, Hdr, reloadCombinationInvalid } from './fill';
import { cstr } from './context';
import type { CoreCtx, DoCtx, DumpCtx, HandlerTable, Target } from './context';
import { A, C, Cmode, E, NLM_F_DUMP_FILTERED, NLM_F_MULTI, ParamNla, RateType, ReloadAction, ReloadLimit } from './uapi';

/** __DEVLINK_PARAM_MAX_STRING_VALUE. */
const PARAM_MAX_STRING = 32;

/** The reply header to the request in `ctx`. */
function replyHdr(ctx: DoCtx, cmd: number): Hdr {
  return { cmd, portid: ctx.req.portid, seq: ctx.req.seq, flags: 0 };
}

function eswitchSet(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  const inst = t.inst;
  const d = inst.driver;
  const mode = tb[A.ESWITCH_MODE];
  if (mode) {
    if (!d.eswitchModeSet) throw new Errno(-E.EOPNOTSUPP);
    if (inst.rates.some((r) => r.type === RateType.NODE)) fail(-E.EBUSY, ext, core.mod('Rate node(s) exists.'));
    d.eswitchModeSet(inst, req.buf.readUInt16LE(mode.data), ext);
  }
  const inline = tb[A.ESWITCH_INLINE_MODE];
  if (inline) {
    if (!d.inlineModeSet) throw new Errno(-E.EOPNOTSUPP);
    d.inlineModeSet(inst, req.buf[inline.data], ext);
  }
  const encap = tb[A.ESWITCH_ENCAP_MODE];
  if (encap) {
    if (!d.encapModeSet) throw new Errno(-E.EOPNOTSUPP);
    d.encapModeSet(inst, req.buf[encap.data], ext);
  }
}

/** devlink_param_get_from_info: a missing name is EINVAL with MISS_TYPE, an unknown one plain EINVAL. */
function paramFromAttrs(buf: Buffer, tb: DoCtx['tb'], inst: Instance, ext: ExtAck): Param {
  const a = tb[A.PARAM_NAME];
  if (!a) {
    ext.setMissing(A.PARAM_NAME);
    throw new Errno(-E.EINVAL);
  }
  const name = cstr(buf, a.data, a.len);
  const p = inst.params.find((x) => x.name === name);
  if (!p) throw new Errno(-E.EINVAL);
  return p;
}

function paramSet(core: CoreCtx, ctx: DoCtx, inst: Instance): void {
  const { req, tb, ext } = ctx;
  const buf = req.buf;
  const p = paramFromAttrs(buf, tb, inst, ext);
  const ta = tb[A.PARAM_TYPE];
  if (!ta) {
    ext.setMissing(A.PARAM_TYPE);
    throw new Errno(-E.EINVAL);
  }
  const type = buf[ta.data];
  if (type < ParamNla.U8 || type > ParamNla.FLAG || type === ParamNla.U64 || type !== p.type) throw new Errno(-E.EINVAL);
  const data = tb[A.PARAM_VALUE_DATA];
  if (p.type !== ParamNla.FLAG && !data) throw new Errno(-E.EINVAL);
  let value: ParamValue;
  switch (p.type) {
    case ParamNla.U8:
    case ParamNla.U16:
    case ParamNla.U32: {
      const size = p.type === ParamNla.U8 ? 1 : p.type === ParamNla.U16 ? 2 : 4;
      if (!data || data.len !== size) throw new Errno(-E.EINVAL);
      value = size === 1 ? buf[data.data] : size === 2 ? buf.readUInt16LE(data.data) : buf.readUInt32LE(data.data);
      break;
    }
    case ParamNla.STRING: {
      if (!data) throw new Errno(-E.EINVAL);
      const nul = buf.subarray(data.data, data.data + data.len).indexOf(0);
      if (nul < 0 || nul >= PARAM_MAX_STRING) throw new Errno(-E.EINVAL);
      value = buf.toString('utf8', data.data, data.data + nul);
      break;
    }
    default:
      if (data && data.len) throw new Errno(-E.EINVAL);
      value = !!data;
  }
  p.validate?.(value, ext);
  const cm = tb[A.PARAM_VALUE_CMODE];
  if (!cm) {
    ext.setMissing(A.PARAM_VALUE_CMODE);
    throw new Errno(-E.EINVAL);
  }
  const cmode = buf[cm.data] as Cmode;
  if (cmode > Cmode.PERMANENT || !(p.cmodes & (1 << cmode))) throw new Errno(-E.EOPNOTSUPP);
  if (cmode === Cmode.DRIVERINIT) {
    p.driverinit = value;
  } else {
    if (!p.set) throw new Errno(-E.EOPNOTSUPP);
    p.set(cmode, value, ext);
  }
  core.notifyParam(inst, p, C.PARAM_NEW);
}

function reload(core: CoreCtx, ctx: DoCtx, inst: Instance): void {
  const { req, tb, ext } = ctx;
  const d = inst.driver;
  const buf = req.buf;
  if (!d.reloadActions || !d.reloadDown || !d.reloadUp) throw new Errno(-E.EOPNOTSUPP);
  const aa = tb[A.RELOAD_ACTION];
  const action = aa ? buf[aa.data] : ReloadAction.DRIVER_REINIT;
  if (!(d.reloadActions & (1 << action))) {
    fail(-E.EOPNOTSUPP, ext, core.mod('Requested reload action is not supported by the driver'));
  }
  let limit: number = ReloadLimit.UNSPEC;
  const la = tb[A.RELOAD_LIMITS];
  if (la) {
    const selected = buf.readUInt32LE(la.data) & buf.readUInt32LE(la.data + 4);
    if (!selected) fail(-E.EINVAL, ext, core.mod('Invalid limit selected'));
    for (limit = 0; limit <= ReloadLimit.NO_RESET; limit++) if (selected & (1 << limit)) break;
    if (selected !== 1 << limit) fail(-E.EOPNOTSUPP, ext, core.mod('Multiselection of limit is not supported'));
    if (!(d.reloadLimits & (1 << limit))) fail(-E.EOPNOTSUPP, ext, core.mod('Requested limit is not supported by the driver'));
    if (reloadCombinationInvalid(action, limit)) fail(-E.EINVAL, ext, core.mod('Requested limit is invalid for this action'));
  }
  const dest = reloadNetns(core, buf, tb, ext);
  checkNetnsAction(core, inst, dest, action, ext);
  const moving = leaveNetns(core, inst, dest);
  d.reloadDown(inst, action, limit, ext);
  if (moving) enterNetns(inst, dest!);
  const performed = d.reloadUp(inst, action, limit, ext);
  for (let a = 1; a <= ReloadAction.FW_ACTIVATE; a++) {
    if (!(performed & (1 << a))) continue;
    const key = `${limit}:${a}`;
    inst.reloadStats.set(key, (inst.reloadStats.get(key) ?? 0) + 1);
  }
  core.notifyDevice(inst, C.NEW);
  if (!aa && !la) return;
  ctx.reply(fillReloadPerformed(core.family, { cmd: C.RELOAD, portid: req.portid, seq: req.seq, flags: 0 }, inst, performed));
}

/** A dump's message header: NLM_F_MULTI, and NLM_F_DUMP_FILTERED when the dump was for one instance. */
function dumpHdr(ctx: DumpCtx, cmd: number, filtered: boolean): Hdr {
  return { cmd, portid: ctx.req.portid, seq: ctx.req.seq, flags: NLM_F_MULTI | (filtered ? NLM_F_DUMP_FILTERED : 0) };
}

function infoDump(core: CoreCtx, ctx: DumpCtx): void {
  const { instances, filtered } = core.dumpScope(ctx);
  for (const inst of instances) {
    try {
      ctx.put(fillInfo(core.family, dumpHdr(ctx, C.INFO_GET, filtered), inst, ctx.ext));
    } catch (e) {
      if (!(e instanceof Errno) || e.err !== -E.EOPNOTSUPP) throw e;
    }
  }
}

function paramDump(core: CoreCtx, ctx: DumpCtx): void {
  const { instances, filtered } = core.dumpScope(ctx);
  for (const inst of instances) {
    for (const p of inst.params) {
      try {
        ctx.put(fillParam(core.family, dumpHdr(ctx, C.PARAM_GET, filtered), inst, p));
      } catch (e) {
        if (!(e instanceof Errno) || e.err !== -E.EOPNOTSUPP) throw e;
      }
    }
  }
}

const portParamsRefused = (core: CoreCtx, ctx: DoCtx): never => fail(-E.EINVAL, ctx.ext, core.mod('Port params are not supported'));

/** The instance commands' handlers. */
export const devCmds: HandlerTable = {
  [C.GET]: {
    doit: (core, ctx, t) => ctx.reply(fillDevice(core.family, replyHdr(ctx, C.NEW), t.inst)),
    dumpit: (core, ctx) => {
      for (const inst of core.instances) if (core.visible(inst)) ctx.put(fillDevice(core.family, dumpHdr(ctx, C.NEW, false), inst));
    },
  },
  [C.ESWITCH_GET]: { doit: (core, ctx, t) => ctx.reply(fillEswitch(core.family, replyHdr(ctx, C.ESWITCH_GET), t.inst)) },
  [C.ESWITCH_SET]: { doit: eswitchSet },
  [C.INFO_GET]: {
    doit: (core, ctx, t) => ctx.reply(fillInfo(core.family, replyHdr(ctx, C.INFO_GET), t.inst, ctx.ext)),
    dumpit: infoDump,
  },
  [C.PARAM_GET]: {
    doit: (core, ctx, t) => {
      const p = paramFromAttrs(ctx.req.buf, ctx.tb, t.inst, ctx.ext);
      ctx.reply(fillParam(core.family, replyHdr(ctx, C.PARAM_GET), t.inst, p));
    },
    dumpit: paramDump,
  },
  [C.PARAM_SET]: { doit: (core, ctx, t) => paramSet(core, ctx, t.inst) },
  [C.PORT_PARAM_GET]: { doit: portParamsRefused },
  [C.PORT_PARAM_SET]: { doit: portParamsRefused },
  [C.RELOAD]: { doit: (core, ctx, t) => reload(core, ctx, t.inst) },
};
