/**
 * What the devlink core keeps: instances, their ports, rate objects and params, and the
 * callbacks a driver registers (struct devlink_ops on 6.1, per-port devlink_port_ops on
 * newer kernels). Driver callbacks fail by throwing Errno after setting the ext-ack, the
 * way a kernel function sets extack and returns -errno.
 */
import { ExtAck } from './policy';
import { Cmode, Flavour, FnOpstate, FnState, ParamNla, PortType, RateType } from './uapi';

/**
 * A failed kernel call: `err` is the negative errno. Thrown and caught inside the
 * simulator only, as the kernel returns -errno; not an Error, so throwing it costs no
 * stack trace.
 */
export class Errno {
  constructor(readonly err: number) {}

  get message(): string {
    return `errno ${-this.err}`;
  }
}

/** Throw -errno, optionally setting the ext-ack message first. */
export function fail(err: number, ext?: ExtAck, msg?: string): never {
  if (ext && msg !== undefined) ext.setMsg(msg);
  throw new Errno(err);
}

export type Flavor = '6.1' | 'current';

export interface Netdev {
  readonly ifindex: number;
  readonly name: string;
}

/** Port function callbacks (devlink_ops' port_fn_* on 6.1, devlink_port_ops' later). */
export interface PortOps {
  fnHwAddrGet?(port: Port, ext: ExtAck): Buffer;
  fnHwAddrSet?(port: Port, addr: Buffer, ext: ExtAck): void;
  fnStateGet?(port: Port, ext: ExtAck): { state: FnState; opstate: FnOpstate };
  fnStateSet?(port: Port, state: FnState, ext: ExtAck): void;
  fnRoceGet?(port: Port, ext: ExtAck): boolean;
  fnRoceSet?(port: Port, enable: boolean, ext: ExtAck): void;
  fnMigratableGet?(port: Port, ext: ExtAck): boolean;
  fnMigratableSet?(port: Port, enable: boolean, ext: ExtAck): void;
  fnMaxIoEqsGet?(port: Port, ext: ExtAck): number;
  fnMaxIoEqsSet?(port: Port, value: number, ext: ExtAck): void;
  /** Newer kernels: per-port deletion. */
  portDel?(port: Port, ext: ExtAck): void;
  portTypeSet?(port: Port, type: PortType): void;
  portSplit?(port: Port, count: number, ext: ExtAck): void;
  portUnsplit?(port: Port, ext: ExtAck): void;
}

export interface Port {
  readonly instance: Instance;
  readonly index: number;
  type: PortType;
  desiredType: PortType;
  netdev: Netdev | undefined;
  ibdev: string | undefined;
  readonly flavour: Flavour;
  /** Physical port number (flavour physical/cpu/dsa). */
  readonly number?: number;
  readonly pf?: number;
  readonly vf?: number;
  readonly sf?: number;
  readonly controller?: number;
  readonly external?: boolean;
  readonly splittable: boolean;
  readonly lanes?: number;
  /** Per-port ops (newer kernels). */
  readonly ops: PortOps;
  /** The leaf rate object, when the driver made one. */
  rate: Rate | undefined;
  /** The devlink instance this port's function runs (PORT_FN_ATTR_DEVLINK, newer kernels). */
  relInstance?: () => Instance | undefined;
}

export interface Rate {
  readonly instance: Instance;
  readonly type: RateType;
  readonly port?: Port;
  readonly name?: string;
  txShare: bigint;
  txMax: bigint;
  txPriority: number;
  txWeight: number;
  parent: Rate | undefined;
  /** The kernel's refcount: 1 + children. */
  refcnt: number;
}

export type ParamValue = number | string | boolean;

export interface Param {
  readonly name: string;
  readonly generic: boolean;
  readonly type: ParamNla;
  /** Bit per supported cmode. */
  readonly cmodes: number;
  get?(cmode: Cmode): ParamValue;
  set?(cmode: Cmode, value: ParamValue, ext: ExtAck): void;
  validate?(value: ParamValue, ext: ExtAck): void;
  driverinit?: ParamValue;
}

export interface PortNewAttrs {
  readonly flavour: number;
  readonly pfnum: number;
  readonly portIndex?: number;
  readonly controller?: number;
  readonly sfnum?: number;
}

export interface InfoReport {
  readonly driverName: string;
  readonly serialNumber?: string;
  readonly fixed: readonly (readonly [string, string])[];
  readonly running: readonly (readonly [string, string])[];
  readonly stored: readonly (readonly [string, string])[];
}

/** struct devlink_ops, the parts the simulator models. */
export interface DevlinkDriver {
  /** 6.1: the port function ops live at the devlink level, shared by every port. */
  readonly portOps: PortOps;
  portNew?(inst: Instance, attrs: PortNewAttrs, ext: ExtAck): number;
  /** 6.1: deletion by index. */
  portDel?(inst: Instance, index: number, ext: ExtAck): void;
  eswitchModeGet?(inst: Instance): number;
  eswitchModeSet?(inst: Instance, mode: number, ext: ExtAck): void;
  inlineModeGet?(inst: Instance): number;
  inlineModeSet?(inst: Instance, mode: number, ext: ExtAck): void;
  encapModeGet?(inst: Instance): number;
  encapModeSet?(inst: Instance, mode: number, ext: ExtAck): void;
  infoGet?(inst: Instance, ext: ExtAck): InfoReport;
  /**
   * The name of the driver bound to the instance's device (dev->driver->name), which newer
   * cores report after the driver's info (devlink_nl_driver_info_get): "mlx5_core", or for
   * an auxiliary driver "<module>.<name>" ("mlx5_core.sf", "ice.sf").
   */
  readonly boundDriver?: string;
  /** Bits of supported reload actions and limits (0: reload unsupported). */
  readonly reloadActions: number;
  readonly reloadLimits: number;
  reloadDown?(inst: Instance, action: number, limit: number, ext: ExtAck): void;
  reloadUp?(inst: Instance, action: number, limit: number, ext: ExtAck): number;
  rateLeafTxShareSet?(rate: Rate, v: bigint, ext: ExtAck): void;
  rateLeafTxMaxSet?(rate: Rate, v: bigint, ext: ExtAck): void;
  rateLeafParentSet?(rate: Rate, parent: Rate | undefined, ext: ExtAck): void;
  rateNodeTxShareSet?(rate: Rate, v: bigint, ext: ExtAck): void;
  rateNodeTxMaxSet?(rate: Rate, v: bigint, ext: ExtAck): void;
  rateNodeParentSet?(rate: Rate, parent: Rate | undefined, ext: ExtAck): void;
  rateNodeNew?(rate: Rate, ext: ExtAck): void;
  rateNodeDel?(rate: Rate, ext: ExtAck): void;
}

/** One devlink instance (struct devlink). */
export class Instance {
  readonly ports: Port[] = [];
  readonly rates: Rate[] = [];
  readonly params: Param[] = [];
  registered = false;
  /** The network namespace ("net:[INODE]") it was reloaded into; undefined: the simulator's own. */
  netns: string | undefined = undefined;
  reloadFailed = 0;
  /** reload_stats[limit][action] and remote_reload_stats. */
  readonly reloadStats = new Map<string, number>();
  readonly remoteReloadStats = new Map<string, number>();

  constructor(
    /** The xarray index: instances are dumped in this order. */
    readonly index: number,
    readonly bus: string,
    readonly dev: string,
    readonly driver: DevlinkDriver,
  ) {}

  get handle(): string {
    return `${this.bus}/${this.dev}`;
  }

  port(index: number): Port | undefined {
    return this.ports.find((p) => p.index === index);
  }
}
