/**
 * DEVLINK_CMD_HEALTH_REPORTER_{GET,SET,RECOVER,DIAGNOSE,DUMP_GET,DUMP_CLEAR} as 6.1's
 * leftover.c answers them: the reporter looked up by name among the port's reporters when
 * the request names a port that exists, else among the instance's (no name, or no such
 * reporter: EINVAL); diagnose replies in NLM_F_MULTI messages and a DONE without payload
 * (devlink_fmsg_snd); the dump get is a dump that takes the dump first if none is stored.
 */
import type { CoreCtx, DoCtx, DumpCtx, HandlerTable, Target } from './context';
import { cstr } from './context';
import type { FamilyCtx, Hdr } from './fill';
import { EAGAIN, FmsgItem, FmsgNla, FmsgWriter, reportersOf, SimReporter } from './health';
import { Errno, Instance, Port } from './model';
import { Tb } from './policy';
import { MsgWriter, Request } from './wire';
import { A, C, E, NLM_F_MULTI, NLMSG_DONE } from './uapi';

const FMSG = 106;
const FMSG_NAME = 111;
const FMSG_VALUE_TYPE = 112;
const FMSG_VALUE_DATA = 113;
const FMSG_ATTR: Record<'obj' | 'pair' | 'arr' | 'end', number> = { obj: 107, pair: 108, arr: 109, end: 110 };
const HR = {
  NEST: 114, NAME: 115, STATE: 116, ERR_COUNT: 117, RECOVER_COUNT: 118, DUMP_TS: 119, GRACEFUL_PERIOD: 120, AUTO_RECOVER: 121,
  DUMP_TS_NS: 137, AUTO_DUMP: 141,
} as const;
/** Items per message: a stand-in for "as many as fit in the skb", small enough that long answers come in parts. */
const ITEMS_PER_MSG = 64;

function start(f: FamilyCtx, h: Hdr): MsgWriter {
  return new MsgWriter(f.id, h.flags, h.seq, h.portid, h.cmd, 1, 256);
}

/** devlink_nl_health_reporter_fill. */
export function fillReporter(f: FamilyCtx, h: Hdr, r: SimReporter): Buffer {
  const w = start(f, h);
  w.putString(A.BUS_NAME, r.inst.bus);
  w.putString(A.DEV_NAME, r.inst.dev);
  if (r.port) w.putU32(A.PORT_INDEX, r.port.index);
  const n = w.nestStart(HR.NEST, false);
  w.putString(HR.NAME, r.ops.name);
  w.putU8(HR.STATE, r.state);
  w.putU64(HR.ERR_COUNT, r.errorCount);
  w.putU64(HR.RECOVER_COUNT, r.recoverCount);
  if (r.ops.recover) {
    w.putU64(HR.GRACEFUL_PERIOD, r.gracePeriod);
    w.putU8(HR.AUTO_RECOVER, r.autoRecover ? 1 : 0);
  }
  if (r.dumpItems) {
    w.putU64(HR.DUMP_TS, r.dumpTs);
    w.putU64(HR.DUMP_TS_NS, r.dumpRealTs);
  }
  if (r.ops.dump) w.putU8(HR.AUTO_DUMP, r.autoDump ? 1 : 0);
  w.nestEnd(n);
  return w.end();
}

/** devlink_fmsg_prepare_skb for items [from, to). */
function fillFmsg(f: FamilyCtx, h: Hdr, items: readonly FmsgItem[], from: number, to: number): Buffer {
  const w = start(f, h);
  const n = w.nestStart(FMSG, false);
  for (let i = from; i < to; i++) {
    const it = items[i];
    if (it.t === 'name') w.putString(FMSG_NAME, it.name);
    else if (it.t === 'value') putValue(w, it);
    else w.putFlag(FMSG_ATTR[it.t]);
  }
  w.nestEnd(n);
  return w.end();
}

function putValue(w: MsgWriter, it: Extract<FmsgItem, { t: 'value' }>): void {
  w.putU8(FMSG_VALUE_TYPE, it.type);
  const v = it.value;
  switch (it.type) {
    case FmsgNla.FLAG: w.putU8(FMSG_VALUE_DATA, v ? 1 : 0); break;
    case FmsgNla.U8: w.putU8(FMSG_VALUE_DATA, v as number); break;
    case FmsgNla.U32: w.putU32(FMSG_VALUE_DATA, v as number); break;
    case FmsgNla.U64: w.putU64(FMSG_VALUE_DATA, v as bigint); break;
    case FmsgNla.NUL_STRING: w.putString(FMSG_VALUE_DATA, v as string); break;
    case FmsgNla.BINARY: w.putBinary(FMSG_VALUE_DATA, v as Buffer); break;
  }
}

/** devlink_health_reporter_get_from_attrs: NULL (EINVAL) without a name or without that reporter. */
function reporterFromAttrs(inst: Instance, buf: Buffer, tb: Tb): SimReporter {
  const na = tb[A.HEALTH_REPORTER_NAME];
  if (!na) throw new Errno(-E.EINVAL);
  const name = cstr(buf, na.data, na.len);
  const pa = tb[A.PORT_INDEX];
  const port: Port | undefined = pa ? inst.port(buf.readUInt32LE(pa.data)) : undefined;
  const r = reportersOf(inst).find((x) => x.port === port && x.ops.name === name);
  if (!r) throw new Errno(-E.EINVAL);
  return r;
}

function reporterSet(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb } = ctx;
  const r = reporterFromAttrs(t.inst, req.buf, tb);
  const gp = tb[HR.GRACEFUL_PERIOD];
  const ar = tb[HR.AUTO_RECOVER];
  const ad = tb[HR.AUTO_DUMP];
  if ((!r.ops.recover && (gp || ar)) || (!r.ops.dump && ad)) throw new Errno(-E.EOPNOTSUPP);
  if (gp) r.gracePeriod = req.buf.readBigUInt64LE(gp.data);
  if (ar) r.autoRecover = req.buf[ar.data] !== 0;
  if (ad) r.autoDump = req.buf[ad.data] !== 0;
}

function reporterDiagnose(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  const r = reporterFromAttrs(t.inst, req.buf, tb);
  if (!r.ops.diagnose) throw new Errno(-E.EOPNOTSUPP);
  const f = new FmsgWriter().objStart();
  r.ops.diagnose(r, f, ext);
  f.objEnd();
  const hdr: Hdr = { cmd: C.HEALTH_REPORTER_DIAGNOSE, portid: req.portid, seq: req.seq, flags: NLM_F_MULTI };
  for (let i = 0; i < f.items.length; i += ITEMS_PER_MSG) {
    ctx.reply(fillFmsg(core.family, hdr, f.items, i, Math.min(f.items.length, i + ITEMS_PER_MSG)));
  }
  ctx.reply(bareDone(req));
}

function reporterDumpClear(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const r = reporterFromAttrs(t.inst, ctx.req.buf, ctx.tb);
  if (!r.ops.dump) throw new Errno(-E.EOPNOTSUPP);
  r.dumpItems = undefined;
}

/** The NLMSG_DONE devlink_fmsg_snd writes: a bare header, no error code. */
function bareDone(req: Request): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(16, 0);
  b.writeUInt16LE(NLMSG_DONE, 4);
  b.writeUInt16LE(NLM_F_MULTI, 6);
  b.writeUInt32LE(req.seq, 8);
  b.writeUInt32LE(req.portid, 12);
  return b;
}

/** A dump's message header. */
function dumpHdr(ctx: DumpCtx, cmd: number): Hdr {
  return { cmd, portid: ctx.req.portid, seq: ctx.req.seq, flags: NLM_F_MULTI };
}

/** 6.1 walks every instance, its own reporters first, then each port's. */
function reporterGetDump(core: CoreCtx, ctx: DumpCtx): void {
  for (const inst of core.instances.filter((i) => core.visible(i))) {
    const list = reportersOf(inst);
    for (const r of list) if (!r.port) ctx.put(fillReporter(core.family, dumpHdr(ctx, C.HEALTH_REPORTER_GET), r));
    for (const p of inst.ports) for (const r of list) if (r.port === p) ctx.put(fillReporter(core.family, dumpHdr(ctx, C.HEALTH_REPORTER_GET), r));
  }
}

function reporterDumpGet(core: CoreCtx, ctx: DumpCtx): void {
  if (!ctx.tb) throw new Errno(-E.EINVAL);
  const r = reporterFromAttrs(core.instanceFromAttrs(ctx.req.buf, ctx.tb), ctx.req.buf, ctx.tb);
  if (!r.ops.dump) throw new Errno(-E.EOPNOTSUPP);
  r.doDump(ctx.ext);
  const items = r.dumpItems;
  if (!items) throw new Errno(-EAGAIN);
  const hdr: Hdr = { ...dumpHdr(ctx, C.HEALTH_REPORTER_DUMP_GET), flags: NLM_F_MULTI | 4 };
  for (let i = 0; i < items.length; i += ITEMS_PER_MSG) {
    ctx.put(fillFmsg(core.family, hdr, items, i, Math.min(items.length, i + ITEMS_PER_MSG)));
  }
}

/** The health reporter commands' handlers. */
export const healthCmds: HandlerTable = {
  [C.HEALTH_REPORTER_GET]: {
    doit: (core, ctx, t) => {
      const { req } = ctx;
      const r = reporterFromAttrs(t.inst, req.buf, ctx.tb);
      ctx.reply(fillReporter(core.family, { cmd: C.HEALTH_REPORTER_GET, portid: req.portid, seq: req.seq, flags: 0 }, r));
    },
    dumpit: reporterGetDump,
  },
  [C.HEALTH_REPORTER_SET]: { doit: reporterSet },
  [C.HEALTH_REPORTER_RECOVER]: { doit: (core, ctx, t) => reporterFromAttrs(t.inst, ctx.req.buf, ctx.tb).recover(ctx.ext) },
  [C.HEALTH_REPORTER_DIAGNOSE]: { doit: reporterDiagnose },
  [C.HEALTH_REPORTER_TEST]: {
    doit: (core, ctx, t) => {
      // no mlx5 reporter has ops->test
      reporterFromAttrs(t.inst, ctx.req.buf, ctx.tb);
      throw new Errno(-E.EOPNOTSUPP);
    },
  },
  [C.HEALTH_REPORTER_DUMP_CLEAR]: { doit: reporterDumpClear },
  [C.HEALTH_REPORTER_DUMP_GET]: { dumpit: reporterDumpGet },
};

/** devlink_recover_notify: the reporter to the config group, while its instance is registered. */
export function notifyRecover(core: CoreCtx, r: SimReporter): void {
  if (!core.visible(r.inst)) return;
  core.notifyRaw(fillReporter(core.family, { cmd: C.HEALTH_REPORTER_RECOVER, portid: 0, seq: 0, flags: 0 }, r));
}
