/**
 * The devlink core's *_fill functions: one message per object, attributes in the order
 * and with the nest flags the kernel uses (devlink_nl_fill, devlink_nl_port_fill,
 * devlink_nl_rate_fill, devlink_nl_eswitch_fill, devlink_nl_info_fill,
 * devlink_nl_param_fill). Written with AttrWriter calls, never with the library's encoder.
 */
import { ExtAck } from './policy';
import { Errno, Flavor, InfoReport, Instance, Param, ParamValue, Port, Rate } from './model';
import { MsgWriter } from './wire';
import {
  A, Cmode, E, Flavour, FnA, FnCap, ParamNla, PortType, RateType, ReloadAction, ReloadLimit,
} from './uapi';

/** DEVLINK_GENL_VERSION. */
export const DEVLINK_GENL_VERSION = 1;

export interface FamilyCtx {
  readonly id: number;
  readonly flavor: Flavor;
}

export interface Hdr {
  readonly cmd: number;
  readonly portid: number;
  readonly seq: number;
  readonly flags: number;
}

function start(f: FamilyCtx, h: Hdr, size = 256): MsgWriter {
  return new MsgWriter(f.id, h.flags, h.seq, h.portid, h.cmd, DEVLINK_GENL_VERSION, size);
}

/** devlink_nl_put_handle. */
function putHandle(w: MsgWriter, inst: Instance): void {
  w.putString(A.BUS_NAME, inst.bus);
  w.putString(A.DEV_NAME, inst.dev);
}

/** reload_combination_is_invalid: driver_reinit cannot be done without reset. */
export function reloadCombinationInvalid(action: number, limit: number): boolean {
  return action === ReloadAction.DRIVER_REINIT && limit === ReloadLimit.NO_RESET;
}

function putReloadStats(w: MsgWriter, inst: Instance, remote: boolean): void {
  const nest = w.nestStart(remote ? A.REMOTE_RELOAD_STATS : A.RELOAD_STATS);
  const stats = remote ? inst.remoteReloadStats : inst.reloadStats;
  for (let action = 1; action <= ReloadAction.FW_ACTIVATE; action++) {
    if (!remote && !(inst.driver.reloadActions & (1 << action))) continue;
    const info = w.nestStart(A.RELOAD_ACTION_INFO);
    w.putU8(A.RELOAD_ACTION, action);
    const st = w.nestStart(A.RELOAD_ACTION_STATS);
    for (let limit = 0; limit <= ReloadLimit.NO_RESET; limit++) {
      if (!remote && limit !== ReloadLimit.UNSPEC && !(inst.driver.reloadLimits & (1 << limit))) continue;
      if (reloadCombinationInvalid(action, limit)) continue;
      const e = w.nestStart(A.RELOAD_STATS_ENTRY);
      w.putU8(A.RELOAD_STATS_LIMIT, limit);
      w.putU32(A.RELOAD_STATS_VALUE, stats.get(`${limit}:${action}`) ?? 0);
      w.nestEnd(e);
    }
    w.nestEnd(st);
    w.nestEnd(info);
  }
  w.nestEnd(nest);
}

/** devlink_nl_fill: an instance (DEVLINK_CMD_NEW/DEL). */
export function fillDevice(f: FamilyCtx, h: Hdr, inst: Instance): Buffer {
  const w = start(f, h);
  putHandle(w, inst);
  w.putU8(A.RELOAD_FAILED, inst.reloadFailed);
  const stats = w.nestStart(A.DEV_STATS);
  putReloadStats(w, inst, false);
  putReloadStats(w, inst, true);
  w.nestEnd(stats);
  return w.end();
}

/** Call a driver getter; EOPNOTSUPP means "omit", anything else fails the fill. */
function optional<T>(get: (() => T) | undefined): T | undefined {
  if (!get) return undefined;
  try {
    return get();
  } catch (e) {
    if (e instanceof Errno && e.err === -E.EOPNOTSUPP) return undefined;
    throw e;
  }
}

function putFunction(w: MsgWriter, f: FamilyCtx, port: Port, ext: ExtAck): void {
  const ops = f.flavor === '6.1' ? port.instance.driver.portOps : port.ops;
  const nest = w.nestStart(A.PORT_FUNCTION, false);
  let updated = false;
  const hw = optional(ops.fnHwAddrGet && (() => ops.fnHwAddrGet!(port, ext)));
  if (hw) {
    w.putBinary(FnA.HW_ADDR, hw);
    updated = true;
  }
  if (f.flavor === 'current') {
    let value = 0;
    let selector = 0;
    const roce = optional(ops.fnRoceGet && (() => ops.fnRoceGet!(port, ext)));
    if (roce !== undefined) {
      selector |= FnCap.ROCE;
      if (roce) value |= FnCap.ROCE;
    }
    if (port.flavour === Flavour.PCI_VF) {
      const mig = optional(ops.fnMigratableGet && (() => ops.fnMigratableGet!(port, ext)));
      if (mig !== undefined) {
        selector |= FnCap.MIGRATABLE;
        if (mig) value |= FnCap.MIGRATABLE;
      }
    }
    if (selector) {
      w.putBitfield32(FnA.CAPS, value, selector);
      updated = true;
    }
  }
  const st = optional(ops.fnStateGet && (() => ops.fnStateGet!(port, ext)));
  if (st) {
    w.putU8(FnA.STATE, st.state);
    w.putU8(FnA.OPSTATE, st.opstate);
    updated = true;
  }
  if (f.flavor === 'current') {
    const eqs = optional(ops.fnMaxIoEqsGet && (() => ops.fnMaxIoEqsGet!(port, ext)));
    if (eqs !== undefined) {
      w.putU32(FnA.MAX_IO_EQS, eqs);
      updated = true;
    }
    const rel = port.relInstance?.();
    if (rel && rel.registered) {
      const n = w.nestStart(FnA.DEVLINK);
      putHandle(w, rel);
      w.nestEnd(n);
      updated = true;
    }
  }
  if (updated) w.nestEnd(nest);
  else w.nestCancel(nest);
}

/** devlink_nl_port_fill. */
export function fillPort(f: FamilyCtx, h: Hdr, port: Port, ext: ExtAck): Buffer {
  const w = start(f, h, 384);
  putHandle(w, port.instance);
  w.putU32(A.PORT_INDEX, port.index);
  w.putU16(A.PORT_TYPE, port.type);
  if (port.desiredType !== PortType.NOTSET) w.putU16(A.PORT_DESIRED_TYPE, port.desiredType);
  if (port.type === PortType.ETH && port.netdev) {
    w.putU32(A.PORT_NETDEV_IFINDEX, port.netdev.ifindex);
    w.putString(A.PORT_NETDEV_NAME, port.netdev.name);
  }
  if (port.type === PortType.IB && port.ibdev) w.putString(A.PORT_IBDEV_NAME, port.ibdev);
  if (port.lanes) w.putU32(A.PORT_LANES, port.lanes);
  w.putU8(A.PORT_SPLITTABLE, port.splittable ? 1 : 0);
  w.putU16(A.PORT_FLAVOUR, port.flavour);
  switch (port.flavour) {
    case Flavour.PCI_PF:
      w.putU32(A.PORT_CONTROLLER_NUMBER, port.controller ?? 0);
      w.putU16(A.PORT_PCI_PF_NUMBER, port.pf ?? 0);
      w.putU8(A.PORT_EXTERNAL, port.external ? 1 : 0);
      break;
    case Flavour.PCI_VF:
      w.putU32(A.PORT_CONTROLLER_NUMBER, port.controller ?? 0);
      w.putU16(A.PORT_PCI_PF_NUMBER, port.pf ?? 0);
      w.putU16(A.PORT_PCI_VF_NUMBER, port.vf ?? 0);
      w.putU8(A.PORT_EXTERNAL, port.external ? 1 : 0);
      break;
    case Flavour.PCI_SF:
      w.putU32(A.PORT_CONTROLLER_NUMBER, port.controller ?? 0);
      w.putU16(A.PORT_PCI_PF_NUMBER, port.pf ?? 0);
      w.putU32(A.PORT_PCI_SF_NUMBER, port.sf ?? 0);
      break;
    case Flavour.PHYSICAL:
    case Flavour.CPU:
    case Flavour.DSA:
      w.putU32(A.PORT_NUMBER, port.number ?? 0);
      break;
    default:
      break;
  }
  putFunction(w, f, port, ext);
  return w.end();
}

/** devlink_nl_rate_fill. */
export function fillRate(f: FamilyCtx, h: Hdr, rate: Rate): Buffer {
  const w = start(f, h);
  putHandle(w, rate.instance);
  w.putU16(A.RATE_TYPE, rate.type);
  if (rate.type === RateType.LEAF && rate.port) w.putU32(A.PORT_INDEX, rate.port.index);
  else if (rate.type === RateType.NODE && rate.name !== undefined) w.putString(A.RATE_NODE_NAME, rate.name);
  w.putU64(A.RATE_TX_SHARE, rate.txShare);
  w.putU64(A.RATE_TX_MAX, rate.txMax);
  if (f.flavor === 'current') {
    w.putU32(A.RATE_TX_PRIORITY, rate.txPriority);
    w.putU32(A.RATE_TX_WEIGHT, rate.txWeight);
  }
  if (rate.parent?.name !== undefined) w.putString(A.RATE_PARENT_NODE_NAME, rate.parent.name);
  return w.end();
}

/** devlink_nl_eswitch_fill (driver errors propagate, as the kernel's do). */
export function fillEswitch(f: FamilyCtx, h: Hdr, inst: Instance): Buffer {
  const d = inst.driver;
  const w = start(f, h, 64);
  putHandle(w, inst);
  if (d.eswitchModeGet) w.putU16(A.ESWITCH_MODE, d.eswitchModeGet(inst));
  if (d.inlineModeGet) w.putU8(A.ESWITCH_INLINE_MODE, d.inlineModeGet(inst));
  if (d.encapModeGet) w.putU8(A.ESWITCH_ENCAP_MODE, d.encapModeGet(inst));
  return w.end();
}

/** devlink_nl_info_fill: the handle, then what the driver reports (6.1 order). */
export function fillInfo(f: FamilyCtx, h: Hdr, inst: Instance, ext: ExtAck): Buffer {
  const d = inst.driver;
  // 6.1: devlink_nl_cmd_info_get_doit needs ops->info_get; newer cores fill without it
  if (!d.infoGet && f.flavor === '6.1') throw new Errno(-E.EOPNOTSUPP);
  const r: InfoReport = d.infoGet ? d.infoGet(inst, ext) : { driverName: '', fixed: [], running: [], stored: [] };
  const w = start(f, h, 512);
  putHandle(w, inst);
  const version = (attr: number, name: string, value: string): void => {
    const n = w.nestStart(attr, false);
    w.putString(A.INFO_VERSION_NAME, name);
    w.putString(A.INFO_VERSION_VALUE, value);
    w.nestEnd(n);
  };
  // 6.1: the driver puts its name first; newer cores add it after the driver's report
  if (f.flavor === '6.1') w.putString(A.INFO_DRIVER_NAME, r.driverName);
  if (r.serialNumber !== undefined) w.putString(A.INFO_SERIAL_NUMBER, r.serialNumber);
  for (const [n, v] of r.fixed) version(A.INFO_VERSION_FIXED, n, v);
  for (const [n, v] of r.running) version(A.INFO_VERSION_RUNNING, n, v);
  for (const [n, v] of r.stored) version(A.INFO_VERSION_STORED, n, v);
  const bound = d.boundDriver ?? r.driverName;
  if (f.flavor === 'current' && bound) w.putString(A.INFO_DRIVER_NAME, bound);
  return w.end();
}

function putParamValue(w: MsgWriter, type: ParamNla, cmode: Cmode, v: ParamValue): void {
  const n = w.nestStart(A.PARAM_VALUE, false);
  w.putU8(A.PARAM_VALUE_CMODE, cmode);
  switch (type) {
    case ParamNla.U8: w.putU8(A.PARAM_VALUE_DATA, Number(v)); break;
    case ParamNla.U16: w.putU16(A.PARAM_VALUE_DATA, Number(v)); break;
    case ParamNla.U32: w.putU32(A.PARAM_VALUE_DATA, Number(v)); break;
    case ParamNla.STRING: w.putString(A.PARAM_VALUE_DATA, String(v)); break;
    case ParamNla.FLAG: if (v) w.putFlag(A.PARAM_VALUE_DATA); break;
    default: break;
  }
  w.nestEnd(n);
}

/** devlink_nl_param_fill. Throws EOPNOTSUPP for a driverinit value never set. */
export function fillParam(f: FamilyCtx, h: Hdr, inst: Instance, p: Param): Buffer {
  const values: [Cmode, ParamValue][] = [];
  for (let c = Cmode.RUNTIME; c <= Cmode.PERMANENT; c++) {
    if (!(p.cmodes & (1 << c))) continue;
    if (c === Cmode.DRIVERINIT) {
      if (p.driverinit === undefined) throw new Errno(-E.EOPNOTSUPP);
      values.push([c, p.driverinit]);
    } else {
      if (!p.get) throw new Errno(-E.EOPNOTSUPP);
      values.push([c, p.get(c)]);
    }
  }
  const w = start(f, h);
  putHandle(w, inst);
  const pa = w.nestStart(A.PARAM, false);
  w.putString(A.PARAM_NAME, p.name);
  if (p.generic) w.putFlag(A.PARAM_GENERIC);
  w.putU8(A.PARAM_TYPE, p.type);
  const list = w.nestStart(A.PARAM_VALUES_LIST, false);
  for (const [c, v] of values) putParamValue(w, p.type, c, v);
  w.nestEnd(list);
  w.nestEnd(pa);
  return w.end();
}

/** devlink_nl_reload_actions_performed_snd. */
export function fillReloadPerformed(f: FamilyCtx, h: Hdr, inst: Instance, performed: number): Buffer {
  const w = start(f, h, 64);
  putHandle(w, inst);
  w.putBitfield32(A.RELOAD_ACTIONS_PERFORMED, performed, performed);
  return w.end();
}
