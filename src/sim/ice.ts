/**
 * One Intel E810 PF (ice, Linux 6.12: ice/devlink/devlink_port.c, ice_sf_eth.c): its
 * devlink instance pci/<BDF> with the PF port (flavour physical, index = the main VSI's,
 * 0), the eswitch, and sub-functions ("dynamic ports"):
 *
 * - ice_devlink_port_new: ice_devlink_port_new_check_attr's checks in order, then
 *   switchdev; ice_reserve_sf_num answers EBUSY for a taken sfnum (xa_insert) and, when
 *   none is given, EINVAL on 6.12 (see `autoSfnum`); ice_vsi_alloc takes a VSI
 *   slot (the port index) with pf->next_vsi's hint; a random MAC (eth_random_addr); the
 *   representor registers the SF port (PORT_NEW), then its netdev (PORT_NEW eth).
 * - Activation is synchronous (auxiliary_device_add probes at once): the auxiliary device
 *   ice.sf.N (N from a pool starting at 1) with its devlink instance auxiliary/ice.sf.N,
 *   a virtual port (index = the SF's VSI) and a netdev whose parent is the PF's PCI
 *   device; then opstate attached. Deactivation removes them at once. The simulator's
 *   timings do not apply to ice.
 * - hw_addr may change only while detached (EBUSY); 0 or a multicast address is
 *   EADDRNOTAVAIL.
 * - ice_eswitch_mode_set to legacy keeps the SFs (only the representor table is reset).
 *
 * Not modelled: the Tx scheduler tree ice exports as rate nodes and leaves
 * (ice_devlink_rate_init_tx_topology), VFs, port split, params, the PF instance's
 * nested-devlink attribute (devl_nested_devlink_set).
 */
import { randomBytes } from 'node:crypto';
import { ExtAck } from './policy';
import { DevlinkDriver, Errno, fail, Instance, Netdev, Port, PortNewAttrs } from './model';
import type { World } from './world';
import { C, E, EswMode, Flavour, FnOpstate, FnState, PortType } from './uapi';

/** An Intel E810 PF driven by ice (kernel 'current' only: ice has SFs since 6.12). */
export interface IceDeviceOptions {
  /** "pci/0000:3b:00.0". */
  readonly handle: string;
  /** Selects this driver. */
  readonly driver: 'ice';
  /** The PF's number. */
  readonly pfnum: number;
  /** The eswitch mode at start (default legacy). */
  readonly eswitch?: 'legacy' | 'switchdev';
  /**
   * VSI slots of the PF (func_caps.guar_num_vsi); 64 by default. Two are taken at probe:
   * the LAN VSI (0) and the flow director control VSI (1), so SFs start at index 2.
   */
  readonly maxVsis?: number;
  /** pci_msix_can_alloc_dyn: false refuses SFs (EOPNOTSUPP). true by default. */
  readonly dynamicMsix?: boolean;
  /**
   * A port add without sfnum. In 6.12 ice_reserve_sf_num calls xa_alloc on pf->sf_nums,
   * which ice_init_pf sets up with plain xa_init (no XA_FLAGS_ALLOC): __xa_alloc warns and
   * returns EINVAL, with no ext-ack message. That is the default (false). true acts as a
   * kernel whose sf_nums tracks free entries: the lowest free sfnum is picked.
   */
  readonly autoSfnum?: boolean;
}

const KEYS = new Set(['handle', 'driver', 'pfnum', 'eswitch', 'maxVsis', 'dynamicMsix', 'autoSfnum']);

/** The device options, checked like any input: names, types and ranges. */
function checkOptions(o: IceDeviceOptions): void {
  const bad = (what: string): never => {
    throw new TypeError(`ice device ${String(o.handle)}: ${what}`);
  };
  for (const k of Object.keys(o)) if (!KEYS.has(k)) bad(`unknown option "${k}"`);
  if (!Number.isInteger(o.pfnum) || o.pfnum < 0 || o.pfnum > 7) bad('pfnum must be an integer 0..7');
  if (o.eswitch !== undefined && o.eswitch !== 'legacy' && o.eswitch !== 'switchdev') bad('eswitch must be "legacy" or "switchdev"');
  // the LAN and control VSIs take two slots
  if (o.maxVsis !== undefined && (!Number.isInteger(o.maxVsis) || o.maxVsis < 2 || o.maxVsis > 768)) bad('maxVsis must be an integer 2..768');
  for (const k of ['dynamicMsix', 'autoSfnum'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') bad(`${k} must be a boolean`);
}

/** NL_SET_ERR_MSG_MOD's prefix (KBUILD_MODNAME). */
export const ICE = 'ice: ';

/** struct ice_dynamic_port. */
export class IceSf {
  active = false;
  attached = false;
  port!: Port;
  aux: { id: number; name: string; inst: Instance; port: Port; netdev: Netdev } | undefined;

  constructor(readonly pf: IcePf, readonly sfnum: number, readonly vsi: number, public mac: Buffer) {}
}

/** eth_random_addr: random, multicast bit cleared, locally administered bit set. */
function randomMac(): Buffer {
  const b = randomBytes(6);
  b[0] = (b[0] & 0xfe) | 0x02;
  return b;
}

/** is_valid_ether_addr: not multicast and not all zeros. */
function validEther(a: Buffer): boolean {
  return a.length === 6 && !(a[0] & 1) && a.some((x) => x !== 0);
}

export class IcePf {
  readonly inst: Instance;
  readonly pci: string;
  readonly pfnum: number;
  readonly uplink: Port;
  mode: EswMode = EswMode.LEGACY;
  /** pf->sf_nums. */
  readonly sfNums = new Set<number>();
  /** pf->dyn_ports, by VSI index. */
  readonly sfs = new Map<number, IceSf>();
  /** pf->vsi: true where a VSI is allocated. */
  private readonly vsis: boolean[];
  private nextVsi: number;
  private readonly dynamicMsix: boolean;
  private readonly autoSfnum: boolean;

  constructor(readonly world: World, opts: IceDeviceOptions) {
    checkOptions(opts);
    if (world.core.family.flavor === '6.1') {
      throw new TypeError(`ice sub-functions need Linux 6.12: device ${opts.handle} needs kernel 'current'`);
    }
    const m = /^pci\/(.+)$/.exec(opts.handle);
    if (!m) throw new TypeError(`device handle "${opts.handle}" is not pci/<address>`);
    this.pci = m[1];
    this.pfnum = opts.pfnum;
    this.dynamicMsix = opts.dynamicMsix ?? true;
    this.autoSfnum = opts.autoSfnum ?? false;
    this.vsis = Array.from({ length: opts.maxVsis ?? 64 }, (_, i) => i < 2);
    this.nextVsi = 2;
    const core = world.core;
    this.inst = core.createInstance('pci', this.pci, this.driver());
    const bdf = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(this.pci);
    const name = bdf ? `enp${parseInt(bdf[1], 16)}s${parseInt(bdf[2], 16)}f${this.pfnum}np${this.pfnum}` : `eth-pf${this.pfnum}`;
    this.uplink = {
      instance: this.inst, index: 0, type: PortType.ETH, desiredType: PortType.NOTSET,
      netdev: { ifindex: world.nextIfindex(), name }, ibdev: undefined, flavour: Flavour.PHYSICAL, number: this.pfnum,
      splittable: false, ops: {}, rate: undefined,
    };
    this.inst.ports.push(this.uplink);
    core.register(this.inst);
    if (opts.eswitch === 'switchdev') this.mode = EswMode.SWITCHDEV;
  }

  /** Switch the eswitch from outside the netlink interface (tests, setup). */
  setEswitch(mode: 'legacy' | 'switchdev'): void {
    this.mode = mode === 'switchdev' ? EswMode.SWITCHDEV : EswMode.LEGACY;
  }

  // ---- port add (ice_devlink_port_new) ----

  /** ice_devlink_port_new_check_attr, then the switchdev check. */
  private checkAttr(a: PortNewAttrs, ext: ExtAck): void {
    if (a.flavour !== Flavour.PCI_SF) fail(-E.EOPNOTSUPP, ext, `${ICE}Flavour other than pcisf is not supported`);
    if (a.controller !== undefined) fail(-E.EOPNOTSUPP, ext, `${ICE}Setting controller is not supported`);
    if (a.portIndex !== undefined) fail(-E.EOPNOTSUPP, ext, `${ICE}Driver does not support user defined port index assignment`);
    if (a.pfnum !== this.pfnum) fail(-E.EINVAL, ext, `${ICE}Incorrect pfnum supplied`);
    if (!this.dynamicMsix) fail(-E.EOPNOTSUPP, ext, `${ICE}Dynamic MSIX-X interrupt allocation is not supported`);
    if (this.mode !== EswMode.SWITCHDEV) fail(-E.EOPNOTSUPP, ext, `${ICE}SF ports are only supported in eswitch switchdev mode`);
  }

  /** ice_reserve_sf_num: xa_alloc (lowest free) or xa_insert (EBUSY when taken). */
  private reserveSfNum(a: PortNewAttrs, ext: ExtAck): number {
    if (a.sfnum === undefined) {
      // __xa_alloc: WARN_ON_ONCE(!xa_track_free(xa)) -> -EINVAL
      if (!this.autoSfnum) throw new Errno(-E.EINVAL);
      let n = 0;
      while (this.sfNums.has(n)) n++;
      this.sfNums.add(n);
      return n;
    }
    if (this.sfNums.has(a.sfnum)) fail(-E.EBUSY, ext, `${ICE}Subfunction with given sfnum already exists`);
    this.sfNums.add(a.sfnum);
    return a.sfnum;
  }

  /** ice_vsi_alloc and ice_get_free_slot: the hinted slot if free, else the lowest free. */
  private vsiAlloc(): number | undefined {
    const idx = this.nextVsi;
    if (idx < 0) return undefined;
    this.vsis[idx] = true;
    const hint = idx + 1 < this.vsis.length && !this.vsis[idx + 1] ? idx + 1 : this.vsis.indexOf(false);
    this.nextVsi = hint;
    return idx;
  }

  /** ice_vsi_free: the freed slot is the next hint. */
  private vsiFree(idx: number): void {
    this.vsis[idx] = false;
    this.nextVsi = idx;
  }

  private portNew(a: PortNewAttrs, ext: ExtAck): number {
    this.checkAttr(a, ext);
    const sfnum = this.reserveSfNum(a, ext);
    const vsi = this.vsiAlloc();
    if (vsi === undefined) {
      this.sfNums.delete(sfnum);
      fail(-E.ENOMEM, ext, `${ICE}Unable to allocate VSI`);
    }
    const sf = new IceSf(this, sfnum, vsi, randomMac());
    this.sfs.set(vsi, sf);
    // ice_eswitch_attach_sf -> ice_repr_add_sf: the SF port, then the representor netdev
    const core = this.world.core;
    sf.port = {
      instance: this.inst, index: vsi, type: PortType.NOTSET, desiredType: PortType.NOTSET,
      netdev: undefined, ibdev: undefined, flavour: Flavour.PCI_SF, pf: this.pfnum, sf: sfnum,
      splittable: false, ops: this.sfPortOps(sf), rate: undefined, relInstance: () => sf.aux?.inst,
    };
    core.portRegister(sf.port);
    core.portTypeEthSet(sf.port, { ifindex: this.world.nextIfindex(), name: this.world.nextEthName() });
    return vsi;
  }

  /** ice_dealloc_dynamic_port. */
  private dealloc(sf: IceSf): void {
    this.deactivate(sf);
    this.sfNums.delete(sf.sfnum);
    const core = this.world.core;
    // ice_repr_rem_sf: unregister_netdev, then ice_devlink_destroy_sf_port
    core.portTypeClear(sf.port);
    core.portUnregister(sf.port);
    this.sfs.delete(sf.vsi);
    this.vsiFree(sf.vsi);
  }

  // ---- activation (ice_sf_eth_activate, ice_sf_dev_probe / ice_sf_dev_remove) ----

  private activate(sf: IceSf): void {
    if (sf.active) return;
    const w = this.world;
    const core = w.core;
    const id = w.iceAuxIds.alloc();
    const name = `ice.sf.${id}`;
    const inst = core.createInstance('auxiliary', name, sfDevDriver());
    // ice_devlink_create_sf_dev_port and ice_sf_cfg_netdev before devl_register: unannounced
    const port: Port = {
      instance: inst, index: sf.vsi, type: PortType.NOTSET, desiredType: PortType.NOTSET,
      netdev: undefined, ibdev: undefined, flavour: Flavour.VIRTUAL, splittable: false, ops: {}, rate: undefined,
    };
    core.portRegister(port);
    const netdev = { ifindex: w.nextIfindex(), name: w.nextEthName() };
    core.portTypeEthSet(port, netdev);
    sf.aux = { id, name, inst, port, netdev };
    w.sysfs?.addPlainSf(name, this.pci, netdev, sf.mac);
    core.register(inst);
    sf.attached = true;
    sf.active = true;
    this.relChanged(sf);
  }

  private deactivate(sf: IceSf): void {
    if (!sf.active) return;
    const aux = sf.aux;
    if (aux) {
      const w = this.world;
      // ice_sf_dev_remove: the netdev, the port, then devl_unregister
      w.core.portTypeClear(aux.port);
      w.core.portUnregister(aux.port);
      w.core.unregister(aux.inst);
      w.sysfs?.removePlainSf(aux.name, this.pci, aux.netdev);
      w.iceAuxIds.free(aux.id);
      sf.aux = undefined;
    }
    sf.attached = false;
    sf.active = false;
    this.relChanged(sf);
  }

  /** devlink_port_rel_notify_cb: a work item announces the SF port again. */
  private relChanged(sf: IceSf): void {
    this.world.sched.after(0, () => {
      if (this.sfs.get(sf.vsi) === sf) this.world.core.notifyPort(sf.port, C.PORT_NEW);
    });
  }

  // ---- devlink callbacks ----

  /** ice_devlink_port_sf_ops. */
  private sfPortOps(sf: IceSf): Port['ops'] {
    return {
      portDel: () => this.dealloc(sf),
      fnHwAddrGet: () => sf.mac,
      fnHwAddrSet: (_p, addr, ext) => {
        if (sf.attached) fail(-E.EBUSY, ext, `${ICE}Ethernet address can be change only in detached state`);
        if (!validEther(addr)) fail(-E.EADDRNOTAVAIL, ext, `${ICE}Invalid ethernet address`);
        sf.mac = addr;
      },
      fnStateGet: () => ({
        state: sf.active ? FnState.ACTIVE : FnState.INACTIVE,
        opstate: sf.attached ? FnOpstate.ATTACHED : FnOpstate.DETACHED,
      }),
      fnStateSet: (_p, state) => (state === FnState.ACTIVE ? this.activate(sf) : this.deactivate(sf)),
    };
  }

  private driver(): DevlinkDriver {
    return {
      portOps: {},
      portNew: (_inst, attrs, ext) => this.portNew(attrs, ext),
      eswitchModeGet: () => this.mode,
      eswitchModeSet: (_inst, mode, ext) => {
        if (mode === this.mode) return;
        if (mode === EswMode.LEGACY) {
          // ice_eswitch_mode_set: xa_destroy(&pf->eswitch.reprs); the SFs stay
          this.mode = mode;
          ext.setMsg(`${ICE}Changed eswitch mode to legacy`);
        } else if (mode === EswMode.SWITCHDEV) {
          this.mode = mode;
          ext.setMsg(`${ICE}Changed eswitch mode to switchdev`);
        } else {
          fail(-E.EINVAL, ext, `${ICE}Unknown eswitch mode`);
        }
      },
      infoGet: () => ({ driverName: 'ice', fixed: [['board.id', 'K91258-000']], running: [['fw.mgmt', '7.4.13']], stored: [['fw.mgmt', '7.4.13']] }),
      reloadActions: (1 << 1) | (1 << 2),
      reloadLimits: 0,
      reloadDown: (_inst, _action, _limit, ext) => {
        if (this.mode === EswMode.SWITCHDEV) fail(-E.EOPNOTSUPP, ext, `${ICE}Go to legacy mode before doing reinit`);
      },
      reloadUp: (_inst, action) => 1 << action,
    };
  }
}

/** ice_sf_devlink_ops: empty. The device's driver is ice_sf_driver, "ice.sf". */
function sfDevDriver(): DevlinkDriver {
  return { portOps: {}, reloadActions: 0, reloadLimits: 0, boundDriver: 'ice.sf' };
}

/** The invariants of an ice PF's SFs; throws through `check`. */
export function iceInvariants(pf: IcePf, check: (ok: boolean, what: () => string) => void): { sfs: number; attached: number } {
  let attached = 0;
  const h = pf.inst.handle;
  for (const sf of pf.sfs.values()) {
    check(pf.sfNums.has(sf.sfnum), () => `${h}: SF ${sf.sfnum} without its sfnum reserved`);
    check(pf.inst.port(sf.vsi) === sf.port, () => `${h}: SF ${sf.sfnum} has no port ${sf.vsi}`);
    check(sf.attached === (sf.aux !== undefined), () => `${h}: SF ${sf.sfnum} attached without an auxiliary device`);
    if (sf.aux) {
      attached++;
      check(sf.aux.inst.registered, () => `${sf.aux?.name} not registered`);
    }
  }
  check(pf.sfNums.size === pf.sfs.size, () => `${h}: ${pf.sfNums.size} sfnums for ${pf.sfs.size} SFs`);
  return { sfs: pf.sfs.size, attached };
}
