/**
 * Port commands of the devlink core: PORT_GET (doit and dump), PORT_SET (type and
 * function: 6.1's devlink_port_function_set and the newer validate-then-set order),
 * PORT_NEW, PORT_DEL, PORT_SPLIT and PORT_UNSPLIT, with the core's checks and messages.
 */
import { ExtAck, Tb, validateParse, NL_VALIDATE_STRICT } from './policy';
import { Errno, fail, Port, PortOps } from './model';
import { fnPolicy61, fnPolicyCurrent } from './policies';
import { fillPort } from './fill';
import type { CoreCtx, DoCtx, DumpCtx, HandlerTable, Target } from './context';
import { A, C, E, Flavour, FN_ATTR_MAX_6_1, FN_ATTR_MAX_CURRENT, FnA, FnCap, NLM_F_DUMP_FILTERED, NLM_F_MULTI, PortType } from './uapi';

/** MAX_ADDR_LEN. */
const MAX_ADDR_LEN = 32;

/**
 * The command of the port add reply and of the port dump: DEVLINK_CMD_NEW on 6.1,
 * DEVLINK_CMD_PORT_NEW since "devlink: use DEVLINK_CMD_PORT_NEW for port replies" (6.8,
 * in Debian's 6.12: devlink_nl_port_new_doit and devlink_nl_port_get_dump_one fill with
 * DEVLINK_CMD_PORT_NEW). The port get doit always answered PORT_NEW.
 */
function portReplyCmd(core: CoreCtx): number {
  return core.family.flavor === '6.1' ? C.NEW : C.PORT_NEW;
}

/** 6.1 keeps port function ops in devlink_ops; newer kernels per port. */
function portOps(core: CoreCtx, port: Port): PortOps {
  return core.family.flavor === '6.1' ? port.instance.driver.portOps : port.ops;
}

function portNew(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  const d = t.inst.driver;
  if (!d.portNew || (core.family.flavor === '6.1' && !d.portDel)) throw new Errno(-E.EOPNOTSUPP);
  const fl = tb[A.PORT_FLAVOUR];
  const pf = tb[A.PORT_PCI_PF_NUMBER];
  if (!fl || !pf) fail(-E.EINVAL, ext, core.mod('Port flavour or PCI PF are not specified'));
  const buf = req.buf;
  const flavour = buf.readUInt16LE(fl.data);
  const idx = tb[A.PORT_INDEX];
  const ctl = tb[A.PORT_CONTROLLER_NUMBER];
  const sf = tb[A.PORT_PCI_SF_NUMBER];
  const index = d.portNew(t.inst, {
    flavour,
    pfnum: buf.readUInt16LE(pf.data),
    ...(idx ? { portIndex: buf.readUInt32LE(idx.data) } : {}),
    // the core reads the u32 attribute with nla_get_u16
    ...(ctl ? { controller: buf.readUInt16LE(ctl.data) } : {}),
    ...(flavour === Flavour.PCI_SF && sf ? { sfnum: buf.readUInt32LE(sf.data) } : {}),
  }, ext);
  const port = t.inst.port(index);
  if (!port) throw new Errno(-E.ENODEV);
  ctx.reply(fillPort(core.family, { cmd: portReplyCmd(core), portid: req.portid, seq: req.seq, flags: 0 }, port, new ExtAck()));
}

function portSet(core: CoreCtx, ctx: DoCtx, port: Port): void {
  const { req, tb, ext } = ctx;
  const typeAttr = tb[A.PORT_TYPE];
  if (typeAttr) {
    const ops = portOps(core, port);
    if (!ops.portTypeSet) throw new Errno(-E.EOPNOTSUPP);
    const type = req.buf.readUInt16LE(typeAttr.data) as PortType;
    if (type !== port.type) {
      ops.portTypeSet(port, type);
      port.desiredType = type;
      core.notifyPort(port, C.PORT_NEW);
    }
  }
  const fn = tb[A.PORT_FUNCTION];
  if (!fn) return;
  if (core.family.flavor === '6.1') functionSet61(core, req.buf, fn.data, fn.data + fn.len, port, ext);
  else functionSetCurrent(core, req.buf, fn.data, fn.data + fn.len, port, ext);
  core.notifyPort(port, C.PORT_NEW);
}

function parseFn(core: CoreCtx, buf: Buffer, start: number, end: number, ext: ExtAck): Tb {
  const tb: Tb = [];
  const six = core.family.flavor === '6.1';
  const err = validateParse(buf, start, end, six ? fnPolicy61 : fnPolicyCurrent, six ? FN_ATTR_MAX_6_1 : FN_ATTR_MAX_CURRENT, NL_VALIDATE_STRICT, ext, tb);
  if (err < 0) fail(err, ext, core.mod('Fail to parse port function attributes'));
  return tb;
}

function checkHwAddr(core: CoreCtx, port: Port, addr: Buffer, ext: ExtAck): void {
  if (addr.length > MAX_ADDR_LEN) fail(-E.EINVAL, ext, core.mod('Port function hardware address too long'));
  if (port.type === PortType.ETH) {
    if (addr.length !== 6) fail(-E.EINVAL, ext, core.mod('Address must be 6 bytes for Ethernet device'));
    if (addr[0] & 1) fail(-E.EINVAL, ext, core.mod('Non-unicast hardware address unsupported'));
  }
}

/** 6.1: parse, then hardware address (checks, then op), then state. */
function functionSet61(core: CoreCtx, buf: Buffer, start: number, end: number, port: Port, ext: ExtAck): void {
  const tb = parseFn(core, buf, start, end, ext);
  const ops = port.instance.driver.portOps;
  const hw = tb[FnA.HW_ADDR];
  if (hw) {
    const addr = Buffer.from(buf.subarray(hw.data, hw.data + hw.len));
    checkHwAddr(core, port, addr, ext);
    if (!ops.fnHwAddrSet) fail(-E.EOPNOTSUPP, ext, core.mod("Port doesn't support function attributes"));
    ops.fnHwAddrSet(port, addr, ext);
  }
  const st = tb[FnA.STATE];
  if (st) {
    if (!ops.fnStateSet) fail(-E.EOPNOTSUPP, ext, core.mod('Function does not support state setting'));
    ops.fnStateSet(port, buf[st.data], ext);
  }
}

/** Newer kernels: parse, devlink_port_function_validate, then hw_addr, caps, max_io_eqs, state. */
function functionSetCurrent(core: CoreCtx, buf: Buffer, start: number, end: number, port: Port, ext: ExtAck): void {
  const tb = parseFn(core, buf, start, end, ext);
  const ops = port.ops;
  const hw = tb[FnA.HW_ADDR];
  const caps = tb[FnA.CAPS];
  const eqs = tb[FnA.MAX_IO_EQS];
  if (hw && !ops.fnHwAddrSet) {
    ext.setMsgAttr(hw.at, "Port doesn't support function attributes");
    throw new Errno(-E.EOPNOTSUPP);
  }
  const stAttr = tb[FnA.STATE];
  if (stAttr && !ops.fnStateSet) {
    // devlink_port_function_validate: NL_SET_ERR_MSG_ATTR(extack, tb[DEVLINK_PORT_FN_ATTR_STATE], ...)
    ext.setMsgAttr(stAttr.at, 'Function does not support state setting');
    throw new Errno(-E.EOPNOTSUPP);
  }
  let selector = 0;
  let value = 0;
  if (caps) {
    value = buf.readUInt32LE(caps.data);
    selector = buf.readUInt32LE(caps.data + 4);
    const capCheck = (bit: number, has: boolean, name: string, vfOnly: boolean): void => {
      if (!(selector & bit)) return;
      if (!has) {
        ext.setMsgAttr(caps.at, `Port doesn't support ${name} function attribute`);
        throw new Errno(-E.EOPNOTSUPP);
      }
      if (vfOnly && port.flavour !== Flavour.PCI_VF) {
        ext.setMsgAttr(caps.at, `${name} function attribute supported for VFs only`);
        throw new Errno(-E.EOPNOTSUPP);
      }
    };
    capCheck(FnCap.ROCE, !!ops.fnRoceSet, 'RoCE', false);
    capCheck(FnCap.MIGRATABLE, !!ops.fnMigratableSet, 'migratable', true);
    capCheck(FnCap.IPSEC_CRYPTO, false, 'ipsec_crypto', true);
    capCheck(FnCap.IPSEC_PACKET, false, 'ipsec_packet', true);
  }
  if (eqs && !ops.fnMaxIoEqsSet) {
    ext.setMsgAttr(eqs.at, 'Function does not support max_io_eqs setting');
    throw new Errno(-E.EOPNOTSUPP);
  }
  if (hw) {
    const addr = Buffer.from(buf.subarray(hw.data, hw.data + hw.len));
    checkHwAddr(core, port, addr, ext);
    ops.fnHwAddrSet?.(port, addr, ext);
  }
  if (caps) {
    const on = value & selector;
    if (selector & FnCap.ROCE) ops.fnRoceSet?.(port, !!(on & FnCap.ROCE), ext);
    if (selector & FnCap.MIGRATABLE) ops.fnMigratableSet?.(port, !!(on & FnCap.MIGRATABLE), ext);
  }
  if (eqs) ops.fnMaxIoEqsSet?.(port, buf.readUInt32LE(eqs.data), ext);
  const st = tb[FnA.STATE];
  if (st) ops.fnStateSet?.(port, buf[st.data], ext);
}

function portGetDump(core: CoreCtx, ctx: DumpCtx): void {
  const { instances, filtered } = core.dumpScope(ctx);
  const flags = NLM_F_MULTI | (filtered ? NLM_F_DUMP_FILTERED : 0);
  for (const inst of instances) {
    for (const port of core.dumpPorts(inst)) {
      ctx.put(fillPort(core.family, { cmd: portReplyCmd(core), portid: ctx.req.portid, seq: ctx.req.seq, flags }, port, ctx.ext));
    }
  }
}

/** PORT_DEL: 6.1 asks the driver by index (devlink_ops.port_del); newer kernels the port's own ops. */
function portDel(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  if (core.family.flavor === '6.1') {
    const del = t.inst.driver.portDel;
    if (!del) throw new Errno(-E.EOPNOTSUPP);
    const a = tb[A.PORT_INDEX];
    if (!a) {
      ext.setMissing(A.PORT_INDEX);
      fail(-E.EINVAL, ext, core.mod('Port index is not specified'));
    }
    del(t.inst, req.buf.readUInt32LE(a.data), ext);
  } else {
    const port = t.port as Port;
    if (!port.ops.portDel) throw new Errno(-E.EOPNOTSUPP);
    port.ops.portDel(port, ext);
  }
}

function portSplit(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  const port = t.port as Port;
  if (!tb[A.PORT_SPLIT_COUNT]) {
    ext.setMissing(A.PORT_SPLIT_COUNT);
    throw new Errno(-E.EINVAL);
  }
  const ops = portOps(core, port);
  if (!ops.portSplit) throw new Errno(-E.EOPNOTSUPP);
  ops.portSplit(port, req.buf.readUInt32LE((tb[A.PORT_SPLIT_COUNT] as { data: number }).data), ext);
}

function portUnsplit(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const port = t.port as Port;
  const ops = portOps(core, port);
  if (!ops.portUnsplit) throw new Errno(-E.EOPNOTSUPP);
  ops.portUnsplit(port, ctx.ext);
}

/** The port commands' handlers. */
export const portCmds: HandlerTable = {
  [C.PORT_GET]: {
    doit: (core, ctx, t) => {
      const { req } = ctx;
      ctx.reply(fillPort(core.family, { cmd: C.PORT_NEW, portid: req.portid, seq: req.seq, flags: 0 }, t.port as Port, ctx.ext));
    },
    dumpit: portGetDump,
  },
  [C.PORT_SET]: { doit: (core, ctx, t) => portSet(core, ctx, t.port as Port) },
  [C.PORT_NEW]: { doit: portNew },
  [C.PORT_DEL]: { doit: portDel },
  [C.PORT_SPLIT]: { doit: portSplit },
  [C.PORT_UNSPLIT]: { doit: portUnsplit },
  [C.PORT_PARAM_GET]: { dumpit: (core, ctx) => ctx.ext.setMsg(core.mod('Port params are not supported')) },
};
