/**
 * One mlx5 PCI function (mlx5_core): its devlink instance pci/<BDF> with the uplink port
 * (flavour physical, netdev enp<bus>s<slot>f<pf>np<pf>), the eswitch (legacy or
 * switchdev; entering switchdev enables the SF table and, on an ECPF, registers the host
 * PF's port; leaving it deletes every SF), the devlink callbacks of 6.1 (devlink_ops,
 * shared by all ports) and of newer kernels (devlink_port_ops per port), rate objects,
 * params, info and reload.
 */
import { ExtAck } from './policy';
import { DevlinkDriver, Errno, fail, Instance, Port, PortOps, Rate } from './model';
import type { Mlx5PortAddOrder } from './mlx5-port-new';
import { Sf, SfTable } from './mlx5-sf';
import { MLX5, mlx5Info, mlx5Params } from './mlx5-common';
import { mlx5EnReporters, mlx5FwReporters } from './mlx5-health';
import { setFlashKind } from './cmd-flash';
import { mlx5Traps } from './cmd-trap';
import type { World } from './world';
import { E, EswMode, Flavour, FnState, PortType } from './uapi';

/** An NVIDIA ConnectX/BlueField PF driven by mlx5_core. */
export interface Mlx5DeviceOptions {
  /** "pci/0000:06:00.0". */
  readonly handle: string;
  /** This driver (the default). */
  readonly driver?: 'mlx5_core';
  /** The PF's number. */
  readonly pfnum: number;
  /** The eswitch mode at start (default legacy). */
  readonly eswitch?: 'legacy' | 'switchdev';
  /** SF table capacity (max_num_sf); 256 by default. */
  readonly maxSfs?: number;
  /** An ECPF (SmartNIC Arm side) manages the host's SFs as controller 1. */
  readonly ecpf?: boolean;
  /**
   * On an ECPF: the host's SF base function id (its sf_base_id capability), where the
   * external controller's SF function ids start; port index = (vhca_id << 16) | function
   * id. Default 0x8000 + maxSfs (past the local table).
   */
  readonly hostSfBaseId?: number;
  /**
   * VFs enabled on the PF (pci_num_vf; default 0). Nothing else models them: with any, a
   * reload is carried out with mlx5's warning "reload while VFs are present is unfavorable".
   */
  readonly vfs?: number;
}

/** MLX5_LINKSPEED_UNIT: 1 Mbps in bytes per second; the link here is 100G. */
const LINKSPEED_UNIT = 125000n;
const LINK_MAX_MBPS = 100000n;
/** MLX5_ESW_MAX_CTRL_EQS. */
const MAX_CTRL_EQS = 4;

/**
 * mlx5_devlink_port_fn_max_io_eqs_set: check_add_overflow(max_io_eqs, MLX5_ESW_MAX_CTRL_EQS,
 * &max_eqs) with a u16 max_eqs, so anything above 65531 is EINVAL.
 */
function checkMaxIoEqs(v: number, ext: ExtAck): void {
  if (v + MAX_CTRL_EQS > 0xffff) fail(-E.EINVAL, ext, `${MLX5}Supplied value out of range`);
}

export class Mlx5Pf {
  readonly inst: Instance;
  readonly pci: string;
  readonly vhcaId: number;
  readonly auxId: number;
  readonly sfTable: SfTable;
  readonly uplink: Port;
  readonly serial: string;
  readonly psid = 'MT_0000000359';
  mode: EswMode = EswMode.LEGACY;
  inlineMode = 0;
  encapMode = 1;
  hostPf: Port | undefined;
  private hostPfMac: Buffer = Buffer.from([0x02, 0, 0, 0, 0, 0]);

  constructor(
    readonly world: World,
    opts: Mlx5DeviceOptions,
    readonly pfnum: number = opts.pfnum,
    readonly ecpf: boolean = opts.ecpf ?? false,
    /** pci_num_vf: only the reload warning reads it. */
    readonly vfs: number = opts.vfs ?? 0,
  ) {
    const m = /^pci\/(.+)$/.exec(opts.handle);
    if (!m) throw new TypeError(`device handle "${opts.handle}" is not pci/<address>`);
    this.pci = m[1];
    this.vhcaId = world.nextVhcaId();
    this.auxId = world.auxIds.alloc();
    this.serial = `MT${2200 + this.vhcaId}X0${this.pci.replace(/[^0-9a-f]/gi, '').slice(-4)}`;
    world.nextRdmaName();
    this.sfTable = new SfTable(this, opts.maxSfs ?? 256, opts.hostSfBaseId ?? 0x8000 + (opts.maxSfs ?? 256));
    const core = world.core;
    this.inst = core.createInstance('pci', this.pci, this.driver());
    for (const p of mlx5Params(true, () => this.mode === EswMode.SWITCHDEV)) this.inst.params.push(p);
    const bdf = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(this.pci);
    const name = bdf ? `enp${parseInt(bdf[1], 16)}s${parseInt(bdf[2], 16)}f${this.pfnum}np${this.pfnum}` : `eth-pf${this.pfnum}`;
    this.uplink = {
      instance: this.inst, index: (this.vhcaId << 16) | 0xffff, type: PortType.ETH, desiredType: PortType.NOTSET,
      netdev: { ifindex: world.nextIfindex(), name }, ibdev: undefined, flavour: Flavour.PHYSICAL, number: this.pfnum,
      splittable: false, ops: {}, rate: undefined,
    };
    this.inst.ports.push(this.uplink);
    mlx5FwReporters(core, this.inst, true);
    setFlashKind(this.inst, 'flash');
    mlx5Traps(this.inst, () => this.mode === EswMode.SWITCHDEV);
    mlx5EnReporters(core, this.uplink);
    core.register(this.inst);
    if (opts.eswitch === 'switchdev') this.enterSwitchdev();
  }

  /** The kernel's order of the port add checks. */
  get portAddOrder(): Mlx5PortAddOrder {
    return this.world.mlx5PortAddOrder;
  }

  // ---- eswitch ----

  private enterSwitchdev(): void {
    const core = this.world.core;
    this.mode = EswMode.SWITCHDEV;
    if (this.ecpf) {
      const port: Port = {
        instance: this.inst, index: this.vhcaId << 16, type: PortType.NOTSET, desiredType: PortType.NOTSET,
        netdev: undefined, ibdev: undefined, flavour: Flavour.PCI_PF, pf: this.pfnum, controller: 1, external: true,
        splittable: false, ops: this.hostPfOps(), rate: undefined,
      };
      this.hostPf = port;
      core.portRegister(port);
      core.rateLeafCreate(port);
      core.portTypeEthSet(port, { ifindex: this.world.nextIfindex(), name: this.world.nextEthName() });
    }
    this.sfTable.enabled = true;
  }

  private leaveSwitchdev(): void {
    const core = this.world.core;
    this.sfTable.disable();
    if (this.hostPf) {
      core.portTypeClear(this.hostPf);
      core.rateLeafDestroy(this.hostPf);
      core.portUnregister(this.hostPf);
      this.hostPf = undefined;
    }
    this.mode = EswMode.LEGACY;
  }

  // ---- SF vports (mlx5_esw_offloads_sf_vport_enable/disable) ----

  sfVportEnable(sf: Sf): void {
    const core = this.world.core;
    const port: Port = {
      instance: this.inst, index: sf.index, type: PortType.NOTSET, desiredType: PortType.NOTSET,
      netdev: undefined, ibdev: undefined, flavour: Flavour.PCI_SF, pf: this.pfnum, sf: sf.sfnum,
      controller: sf.controller, external: sf.controller !== 0, splittable: false, ops: this.sfPortOps(sf),
      rate: undefined, relInstance: () => sf.aux?.inst,
    };
    sf.port = port;
    core.portRegister(port);
    core.rateLeafCreate(port);
    core.portTypeEthSet(port, { ifindex: this.world.nextIfindex(), name: this.world.nextEthName() });
  }

  sfVportDisable(sf: Sf): void {
    const core = this.world.core;
    core.portTypeClear(sf.port);
    core.rateLeafDestroy(sf.port);
    core.portUnregister(sf.port);
  }

  /** SFs with an auxiliary device (mlx5_sf_dev_allocated). */
  private sfDevAllocated(): boolean {
    for (const sf of this.sfTable.byIndex.values()) if (sf.aux) return true;
    return false;
  }

  // ---- devlink callbacks ----

  private sfOf(port: Port): Sf | undefined {
    return this.sfTable.lookup(port.index);
  }

  /** 6.1: devlink_ops' port function callbacks, for every port of the instance. */
  private devlinkPortOps(): PortOps {
    return {
      fnHwAddrGet: (port) => {
        const sf = this.sfOf(port);
        if (sf) return sf.mac;
        if (port === this.hostPf) return this.hostPfMac;
        throw new Errno(-E.EOPNOTSUPP);
      },
      fnHwAddrSet: (port, addr, ext) => {
        const sf = this.sfOf(port);
        if (sf) sf.mac = addr;
        else if (port === this.hostPf) this.hostPfMac = addr;
        else fail(-E.EINVAL, ext, `${MLX5}Port doesn't support set hw_addr`);
      },
      fnStateGet: (port) => {
        const sf = this.sfTable.enabled ? this.sfOf(port) : undefined;
        if (!sf) throw new Errno(-E.EOPNOTSUPP);
        return { state: sf.state, opstate: sf.opstate };
      },
      fnStateSet: (port, state, ext) => {
        if (!this.sfTable.enabled) {
          fail(-E.EOPNOTSUPP, ext, `${MLX5}Port state set is only supported in eswitch switchdev mode or SF ports are disabled.`);
        }
        const sf = this.sfOf(port);
        if (!sf) throw new Errno(-E.ENODEV);
        this.stateSet(sf, state, ext);
      },
    };
  }

  private stateSet(sf: Sf, state: FnState, ext: ExtAck): void {
    if (state === sf.state) return;
    if (state === FnState.ACTIVE) sf.activate(ext);
    else sf.deactivate();
  }

  /**
   * The simulator's assumption, not the kernel's: mlx5 itself does not refuse a capability
   * change on an active SF (mlx5_devlink_port_fn_roce_set and max_io_eqs_set send
   * SET_HCA_CAP for the function whatever its state); the firmware decides, and
   * mlx5 reports its refusal as "Failed setting HCA roce cap" / "Failed setting HCA caps".
   * The simulator acts as firmware that refuses while the function is active or still
   * attached, with EBUSY.
   */
  private capsWhileInactive(sf: Sf, ext: ExtAck, what: string): void {
    if (sf.state === FnState.ACTIVE || sf.aux) fail(-E.EBUSY, ext, `${MLX5}Failed setting HCA ${what}`);
  }

  /** Newer kernels: mlx5_esw_dl_sf_port_ops. */
  private sfPortOps(sf: Sf): PortOps {
    return {
      portDel: () => this.sfTable.del(sf),
      fnHwAddrGet: () => sf.mac,
      fnHwAddrSet: (_p, addr) => {
        sf.mac = addr;
      },
      fnRoceGet: () => sf.roce,
      fnRoceSet: (_p, enable, ext) => {
        if (enable === sf.roce) return;
        this.capsWhileInactive(sf, ext, 'roce cap');
        sf.roce = enable;
      },
      fnStateGet: () => ({ state: sf.state, opstate: sf.opstate }),
      fnStateSet: (_p, state, ext) => this.stateSet(sf, state, ext),
      fnMaxIoEqsGet: () => sf.maxIoEqs,
      fnMaxIoEqsSet: (_p, v, ext) => {
        checkMaxIoEqs(v, ext);
        this.capsWhileInactive(sf, ext, 'caps');
        sf.maxIoEqs = v;
      },
    };
  }

  /** Newer kernels: mlx5_esw_pf_vf_dl_port_ops for the host PF's port. */
  private hostPfOps(): PortOps {
    let roce = true;
    let eqs = 64;
    return {
      fnHwAddrGet: () => this.hostPfMac,
      fnHwAddrSet: (_p, addr) => {
        this.hostPfMac = addr;
      },
      fnRoceGet: () => roce,
      fnRoceSet: (_p, enable) => {
        roce = enable;
      },
      // mlx5_esw_pf_vf_dl_port_ops has them; the core allows them on VFs only
      fnMigratableGet: () => false,
      fnMigratableSet: () => undefined,
      fnMaxIoEqsGet: () => eqs,
      fnMaxIoEqsSet: (_p, v, ext) => {
        checkMaxIoEqs(v, ext);
        eqs = v;
      },
    };
  }

  private rateCheck(v: bigint, ext: ExtAck): void {
    if (v % LINKSPEED_UNIT !== 0n) fail(-E.EINVAL, ext, `${MLX5}TX rate value not in link speed units of 1Mbps`);
    if (v / LINKSPEED_UNIT > LINK_MAX_MBPS) fail(-E.EINVAL, ext, `${MLX5}TX rate value exceed link maximum speed`);
  }

  private driver(): DevlinkDriver {
    const rateSet = (_r: Rate, v: bigint, ext: ExtAck): void => this.rateCheck(v, ext);
    return {
      portOps: this.devlinkPortOps(),
      portNew: (_inst, attrs, ext) => this.sfTable.add(attrs, ext),
      portDel: (_inst, index, ext) => {
        if (!this.sfTable.enabled) {
          fail(-E.EOPNOTSUPP, ext, `${MLX5}Port del is only supported in eswitch switchdev mode or SF ports are disabled.`);
        }
        const sf = this.sfTable.lookup(index);
        if (!sf) throw new Errno(-E.ENODEV);
        this.sfTable.del(sf);
      },
      eswitchModeGet: () => this.mode,
      eswitchModeSet: (_inst, mode) => {
        if (mode !== EswMode.LEGACY && mode !== EswMode.SWITCHDEV) throw new Errno(-E.EINVAL);
        if (mode === this.mode) return;
        if (mode === EswMode.SWITCHDEV) this.enterSwitchdev();
        else this.leaveSwitchdev();
      },
      inlineModeGet: () => this.inlineMode,
      inlineModeSet: (_inst, mode, ext) => {
        // MLX5_CAP_INLINE_MODE_NOT_REQUIRED: only "none" is accepted
        if (mode !== 0) fail(-E.EOPNOTSUPP, ext, `${MLX5}Inline mode can't be set`);
        this.inlineMode = mode;
      },
      encapModeGet: () => this.encapMode,
      encapModeSet: (_inst, mode) => {
        if (mode > 1) throw new Errno(-E.EOPNOTSUPP);
        this.encapMode = mode;
      },
      infoGet: () => mlx5Info(this.world.core.family.flavor === 'current' ? this.serial : undefined, this.psid),
      reloadActions: (1 << 1) | (1 << 2),
      reloadLimits: 1 << 1,
      reloadDown: (_inst, _action, _limit, ext) => {
        if (this.sfDevAllocated()) fail(-E.EOPNOTSUPP, ext, `${MLX5}reload is unsupported when SFs are allocated`);
        // mlx5_devlink_reload_down: a warning only, the reload goes on
        if (this.vfs > 0) ext.setMsg(`${MLX5}reload while VFs are present is unfavorable`);
      },
      reloadUp: (_inst, action, limit) => (action === 2 ? (limit === 1 ? 1 << 2 : (1 << 2) | (1 << 1)) : 1 << action),
      rateLeafTxShareSet: rateSet,
      rateLeafTxMaxSet: rateSet,
      rateLeafParentSet: () => undefined,
      rateNodeTxShareSet: rateSet,
      rateNodeTxMaxSet: rateSet,
      rateNodeParentSet: () => undefined,
      rateNodeNew: (_r, ext) => {
        if (this.mode !== EswMode.SWITCHDEV) fail(-E.EOPNOTSUPP, ext, `${MLX5}Rate node creation supported only in switchdev mode`);
      },
      rateNodeDel: () => undefined,
    };
  }

  /** Switch the eswitch from outside the netlink interface (tests, setup). */
  setEswitch(mode: 'legacy' | 'switchdev'): void {
    const want = mode === 'switchdev' ? EswMode.SWITCHDEV : EswMode.LEGACY;
    if (want === this.mode) return;
    if (want === EswMode.SWITCHDEV) this.enterSwitchdev();
    else this.leaveSwitchdev();
  }
}

