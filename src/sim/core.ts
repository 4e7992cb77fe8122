/**
 * The devlink core: the registry of instances, ports and rate objects that drivers
 * register into (each registration announced on the `config` group as the kernel does),
 * pre_doit's handle lookup, and the running of an op's doit and dumpit (the handlers the
 * op table in ops.ts carries, from the command modules).
 */
import { ExtAck, Tb } from './policy';
import { Errno, Instance, Param, Port, Rate } from './model';
import { FamilyCtx, fillDevice, fillParam, fillPort, fillRate, Hdr } from './fill';
import type { OpDef } from './ops';
import { A, C, E, PortType, RateType } from './uapi';
import { rateFromAttrs, rateNodeFromAttrs } from './cmd-rate';
import { CoreCtx, cstr, DoCtx, DumpCtx, ObjDesc, Target } from './context';
export type { DoCtx, DumpCtx, ObjDesc, Target } from './context';

function descOf(inst: Instance): ObjDesc {
  return { bus: inst.bus, dev: inst.dev };
}

/** The bus and device names a devlink message starts with (DEVLINK_ATTR_BUS_NAME, DEV_NAME). */
function descOfMsg(msg: Buffer): ObjDesc {
  const out: { bus?: string; dev?: string } = {};
  for (let p = 20; p + 4 <= msg.length;) {
    const len = msg.readUInt16LE(p);
    const type = msg.readUInt16LE(p + 2) & 0x3fff;
    if (len < 4) break;
    if (type === A.BUS_NAME) out.bus = cstr(msg, p + 4, len - 4);
    else if (type === A.DEV_NAME) out.dev = cstr(msg, p + 4, len - 4);
    p += (len + 3) & ~3;
  }
  return out;
}

/** devlink_obj_desc_match: each field both sides have must be equal. */
export function descMatch(desc: ObjDesc, flt: ObjDesc): boolean {
  if (desc.bus !== undefined && flt.bus !== undefined && desc.bus !== flt.bus) return false;
  if (desc.dev !== undefined && flt.dev !== undefined && desc.dev !== flt.dev) return false;
  if (desc.port !== undefined && flt.port !== undefined && desc.port !== flt.port) return false;
  return true;
}

export class DevlinkCore implements CoreCtx {
  readonly instances: Instance[] = [];
  private nextIndex = 0;

  constructor(
    readonly family: FamilyCtx,
    /**
     * genlmsg_multicast_netns_filtered to the `config` group; `desc` is what the newer
     * kernels' notification filter (devlink_nl_notify_filter) matches against.
     */
    private readonly multicast: (msg: Buffer, desc: ObjDesc) => void,
    /** NOTIFY_FILTER_SET: the filter of the requesting socket (undefined: none). */
    readonly setNotifyFilter: (portid: number, flt: ObjDesc | undefined) => void = () => undefined,
  ) {}

  /** NL_SET_ERR_MSG_MOD's prefix: KBUILD_MODNAME of net/devlink/leftover.c on 6.1. */
  mod(msg: string): string {
    return this.family.flavor === '6.1' ? `leftover: ${msg}` : msg;
  }

  // ---- what drivers call (devl_register, devl_port_register, ...) ----

  createInstance(bus: string, dev: string, driver: Instance['driver']): Instance {
    return new Instance(this.nextIndex++, bus, dev, driver);
  }

  /**
   * devlink_register (devlink_notify_register): the instance becomes visible, announced
   * with NEW, then its ports, rates and params in list order. Linecards, traps and regions
   * come between them on a kernel; the simulator has none.
   */
  register(inst: Instance): void {
    inst.registered = true;
    const at = this.instances.findIndex((i) => i.index > inst.index);
    if (at < 0) this.instances.push(inst);
    else this.instances.splice(at, 0, inst);
    this.notifyDevice(inst, C.NEW);
    for (const p of inst.ports) this.notifyPort(p, C.PORT_NEW);
    for (const r of inst.rates) this.notifyRate(r, C.RATE_NEW);
    for (const p of inst.params) this.notifyParam(inst, p, C.PARAM_NEW);
  }

  /**
   * devlink_unregister (devlink_notify_unregister): params, rates and ports announced gone
   * (last first), then the instance.
   */
  unregister(inst: Instance): void {
    for (const p of [...inst.params].reverse()) this.notifyParam(inst, p, C.PARAM_DEL);
    for (const r of [...inst.rates].reverse()) this.notifyRate(r, C.RATE_DEL);
    for (const p of [...inst.ports].reverse()) this.notifyPort(p, C.PORT_DEL);
    this.notifyDevice(inst, C.DEL);
    inst.registered = false;
    const i = this.instances.indexOf(inst);
    if (i >= 0) this.instances.splice(i, 1);
  }

  portRegister(port: Port): void {
    if (port.instance.port(port.index)) throw new Errno(-E.EEXIST);
    port.instance.ports.push(port);
    this.notifyPort(port, C.PORT_NEW);
  }

  portUnregister(port: Port): void {
    this.notifyPort(port, C.PORT_DEL);
    const list = port.instance.ports;
    const i = list.indexOf(port);
    if (i >= 0) list.splice(i, 1);
  }

  /** devlink_port_type_eth_set: the port's netdev registered. */
  portTypeEthSet(port: Port, netdev: { ifindex: number; name: string }): void {
    port.type = PortType.ETH;
    port.netdev = netdev;
    this.notifyPort(port, C.PORT_NEW);
  }

  /** devlink_port_type_clear: the netdev went away. */
  portTypeClear(port: Port): void {
    port.type = PortType.NOTSET;
    port.netdev = undefined;
    port.ibdev = undefined;
    this.notifyPort(port, C.PORT_NEW);
  }

  /** devl_rate_leaf_create. */
  rateLeafCreate(port: Port): Rate {
    const rate: Rate = {
      instance: port.instance, type: RateType.LEAF, port, txShare: 0n, txMax: 0n, txPriority: 0, txWeight: 0,
      parent: undefined, refcnt: 1,
    };
    port.rate = rate;
    port.instance.rates.push(rate);
    this.notifyRate(rate, C.RATE_NEW);
    return rate;
  }

  /** devl_rate_leaf_destroy. */
  rateLeafDestroy(port: Port): void {
    const rate = port.rate;
    if (!rate) return;
    this.notifyRate(rate, C.RATE_DEL);
    if (rate.parent) rate.parent.refcnt--;
    const list = port.instance.rates;
    const i = list.indexOf(rate);
    if (i >= 0) list.splice(i, 1);
    port.rate = undefined;
  }

  // ---- notifications ----

  private ntf(cmd: number): Hdr {
    return { cmd, portid: 0, seq: 0, flags: 0 };
  }

  /**
   * The namespace of the socket whose request is being answered (netns.ts inView):
   * undefined is the simulator's own.
   */
  view: string | undefined = undefined;

  /** Registered, and in the namespace of the socket asking (netns.ts). */
  visible(inst: Instance): boolean {
    return inst.registered && inst.netns === this.view;
  }

  notifyDevice(inst: Instance, cmd: number): void {
    if (inst.netns !== undefined) return;
    this.multicast(fillDevice(this.family, this.ntf(cmd), inst), descOf(inst));
  }

  notifyPort(port: Port, cmd: number): void {
    if (!this.visible(port.instance)) return;
    this.multicast(fillPort(this.family, this.ntf(cmd), port, new ExtAck()), { ...descOf(port.instance), port: port.index });
  }

  /**
   * A notification the command modules built themselves (health, trap, flash, a param on
   * leaving the namespace); the filter matches it by the handle it carries.
   */
  notifyRaw(msg: Buffer): void {
    this.multicast(msg, descOfMsg(msg));
  }

  notifyRate(rate: Rate, cmd: number): void {
    if (!this.visible(rate.instance)) return;
    this.multicast(fillRate(this.family, this.ntf(cmd), rate), descOf(rate.instance));
  }

  /** devlink_param_notify: a param whose value cannot be read (fill fails) is not announced. */
  notifyParam(inst: Instance, p: Param, cmd: number): void {
    if (!inst.registered) return;
    let msg: Buffer;
    try {
      msg = fillParam(this.family, this.ntf(cmd), inst, p);
    } catch (e) {
      if (e instanceof Errno) return;
      throw e;
    }
    this.multicast(msg, descOf(inst));
  }

  // ---- requests ----

  /** devlink_get_from_attrs. */
  instanceFromAttrs(buf: Buffer, tb: Tb): Instance {
    const bus = tb[A.BUS_NAME];
    const dev = tb[A.DEV_NAME];
    if (!bus || !dev) throw new Errno(-E.EINVAL);
    const b = cstr(buf, bus.data, bus.len);
    const d = cstr(buf, dev.data, dev.len);
    const inst = this.instances.find((i) => this.visible(i) && i.bus === b && i.dev === d);
    if (!inst) throw new Errno(-E.ENODEV);
    return inst;
  }

  /** devlink_port_get_from_attrs. */
  portFromAttrs(inst: Instance, buf: Buffer, tb: Tb): Port {
    const a = tb[A.PORT_INDEX];
    if (!a) throw new Errno(-E.EINVAL);
    const port = inst.port(buf.readUInt32LE(a.data));
    if (!port) throw new Errno(-E.ENODEV);
    return port;
  }

  /** devlink_nl_pre_doit. */
  private preDoit(op: OpDef, ctx: DoCtx): Target | undefined {
    if (op.need === 'none') return undefined;
    const { buf } = ctx.req;
    const inst = this.instanceFromAttrs(buf, ctx.tb);
    switch (op.need) {
      case 'port':
        return { inst, port: this.portFromAttrs(inst, buf, ctx.tb) };
      case 'port-optional': {
        const a = ctx.tb[A.PORT_INDEX];
        const port = a ? inst.port(buf.readUInt32LE(a.data)) : undefined;
        if (a && !port && this.family.flavor === 'current') throw new Errno(-E.ENODEV);
        return port ? { inst, port } : { inst };
      }
      case 'rate':
        return { inst, rate: rateFromAttrs(this, inst, buf, ctx.tb) };
      case 'rate-node':
        return { inst, rate: rateNodeFromAttrs(inst, buf, ctx.tb) };
      case 'linecard':
        if (!ctx.tb[A.LINECARD_INDEX]) throw new Errno(-E.EINVAL);
        throw new Errno(-E.ENODEV);
      default:
        return { inst };
    }
  }

  /**
   * Run an op's doit after pre_doit; throws Errno on failure. A command the simulated
   * drivers implement nothing for has no handler: EOPNOTSUPP.
   */
  doit(op: OpDef, ctx: DoCtx): void {
    const t = this.preDoit(op, ctx);
    const doit = op.handlers?.doit;
    if (!doit) throw new Errno(-E.EOPNOTSUPP);
    // t is undefined only for an op that needs nothing (NOTIFY_FILTER_SET), whose doit takes no target
    doit(this, ctx, t as Target);
  }

  /**
   * Run an op's dumpit: returns the negative errno NLMSG_DONE carries, or 0. A command
   * without a dump handler dumps nothing.
   */
  dumpit(op: OpDef, ctx: DumpCtx): number {
    const dumpit = op.handlers?.dumpit;
    if (!dumpit) return 0;
    try {
      dumpit(this, ctx);
      return 0;
    } catch (e) {
      if (e instanceof Errno) return e.err;
      throw e;
    }
  }

  /**
   * The instances a dump covers. Newer kernels (devlink_nl_dumpit) dump one instance when
   * the request names bus and device, and flag the messages NLM_F_DUMP_FILTERED; 6.1
   * ignores the filter.
   */
  dumpScope(ctx: DumpCtx): { instances: Instance[]; filtered: boolean } {
    const tb = ctx.tb;
    if (this.family.flavor === 'current' && tb && (tb[A.BUS_NAME] || tb[A.DEV_NAME])) {
      return { instances: [this.instanceFromAttrs(ctx.req.buf, tb)], filtered: true };
    }
    return { instances: this.instances.filter((i) => this.visible(i)), filtered: false };
  }

  /** Ports of an instance in dump order: list order on 6.1, index order (xarray) later. */
  dumpPorts(inst: Instance): Port[] {
    return this.family.flavor === '6.1' ? inst.ports : [...inst.ports].sort((a, b) => a.index - b.index);
  }
}
