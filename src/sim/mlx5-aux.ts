/**
 * An active SF's auxiliary device mlx5_core.sf.N (sf/dev/dev.c) and what the SF driver
 * brings up on it: its own devlink instance auxiliary/mlx5_core.sf.N with a virtual port,
 * its netdev enp<bus>s<slot>f<pf>s<sfnum>, its RDMA device, and the sysfs entries that
 * tie them together.
 *
 * 6.1: mlx5_sf_dev_probe runs mlx5_init_one (params, the eth port and its netdev) before
 * devlink_register, so the kernel announces the instance as NEW, then PORT_NEW already of
 * type eth with its netdev, then PARAM_NEW for each param (devlink_notify_register).
 * mlx5_sf_dev_remove unregisters first: PARAM_DEL for each param (last first), PORT_DEL
 * of the eth port, DEL; the netdev and port go afterwards, unannounced.
 *
 * 'current' (6.8+, "net/mlx5: Light probe local SFs"): an SF whose parent manages the
 * eswitch (every SF added here) is probed light (mlx5_init_one_light): devl_register
 * first (NEW), then its params (a PARAM_NEW each, enable_eth/rdma/vnet/roce false), and
 * no port, netdev or RDMA device. A devlink reload (driver_reinit) loads it fully
 * (mlx5_init_one_devl_locked): the eth port and its netdev if enable_eth is true, the RDMA
 * device if enable_rdma is. Removal (mlx5_uninit_one): the netdev (PORT_NEW notset), the
 * port (PORT_DEL), the params (PARAM_DEL each), then devl_unregister (DEL).
 */
import { DevlinkDriver, Errno, fail, Instance, Netdev, Port } from './model';
import { ExtAck } from './policy';
import type { Sf } from './mlx5-sf';
import { portNewChecks } from './mlx5-port-new';
import type { World } from './world';
import { MLX5, mlx5Info, mlx5LightParams, mlx5Params } from './mlx5-common';
import { mlx5EnReporters, mlx5FwReporters } from './mlx5-health';
import { setFlashKind } from './cmd-flash';
import { mlx5Traps } from './cmd-trap';
import { C, E, Flavour, PortType } from './uapi';

export interface AuxSf {
  readonly world: World;
  readonly id: number;
  readonly name: string;
  readonly inst: Instance;
  /** The eth port and its netdev, once loaded with enable_eth. */
  port: Port | undefined;
  netdev: Netdev | undefined;
  /** The RDMA device, once loaded with enable_rdma. */
  rdma: string | undefined;
  /** Probed light (6.8+): nothing but the instance and its params until a reload. */
  light: boolean;
  readonly sfnum: number;
  readonly mac: Buffer;
  /** The PF's PCI address (its sysfs directory holds the auxiliary device's). */
  readonly pci: string;
  readonly pfnum: number;
}

/**
 * The SF's own devlink ops: the same mlx5_devlink_ops as a PF's, on a device that is no
 * eswitch manager and has no SF table.
 */
function sfDriver(sf: Sf): DevlinkDriver {
  const w = sf.pf.world;
  // mlx5_devlink_eswitch_get -> mlx5_eswitch_check: !MLX5_ESWITCH_MANAGER(dev) is EOPNOTSUPP
  const notManager = (): never => {
    throw new Errno(-E.EOPNOTSUPP);
  };
  // mlx5_sf_table_try_get returns NULL on 6.1: the switchdev message of each op
  const noTable = (ext: ExtAck, what: string): never =>
    fail(-E.EOPNOTSUPP, ext, `${MLX5}${what} is only supported in eswitch switchdev mode or SF ports are disabled.`);
  return {
    portOps: {
      fnHwAddrGet: notManager,
      fnHwAddrSet: notManager,
      fnStateGet: notManager,
      fnStateSet: (_p, _s, ext) => noTable(ext, 'Port state set'),
    },
    portNew: (_inst, attrs, ext) => {
      // mlx5_get_dev_index of an SF is its parent's PCI function
      portNewChecks(attrs, {
        flavor: w.core.family.flavor, order: w.mlx5PortAddOrder, pfnum: sf.pf.pfnum, ecpf: false,
        tableSupported: false, switchdev: false,
      }, ext);
      throw new Errno(-E.EOPNOTSUPP);
    },
    portDel: (_inst, _index, ext) => noTable(ext, 'Port del'),
    eswitchModeGet: notManager,
    eswitchModeSet: notManager,
    inlineModeGet: notManager,
    inlineModeSet: notManager,
    encapModeGet: notManager,
    encapModeSet: notManager,
    infoGet: () => mlx5Info(sf.pf.serial, sf.pf.psid),
    // auxiliary_driver_register names mlx5_sf_driver "mlx5_core.sf"
    boundDriver: 'mlx5_core.sf',
    reloadActions: (1 << DRIVER_REINIT) | (1 << FW_ACTIVATE),
    reloadLimits: 1 << 1,
    // mlx5_devlink_reload_down: a lightweight device reloads with driver_reinit only
    reloadDown: (_i, action) => {
      const aux = sf.aux;
      if (aux?.light && action !== DRIVER_REINIT) throw new Errno(-E.EOPNOTSUPP);
      if (aux && !aux.light) unload(aux);
    },
    // mlx5_devlink_reload_up: a lightweight device is initialised fully
    reloadUp: (_i, action) => {
      const aux = sf.aux;
      if (aux) load(aux);
      return action === FW_ACTIVATE ? 0b110 : 1 << action;
    },
  };
}

const DRIVER_REINIT = 1;
const FW_ACTIVATE = 2;

function enabled(aux: AuxSf, name: string): boolean {
  return aux.inst.params.find((p) => p.name === name)?.driverinit === true;
}

/** mlx5_load + mlx5_register_device: the eth port and netdev, the RDMA device, as enabled. */
function load(aux: AuxSf): void {
  const w = aux.world;
  const core = w.core;
  aux.light = false;
  if (enabled(aux, 'enable_eth')) {
    const port: Port = {
      instance: aux.inst, index: w.nextVhcaId() << 16, type: PortType.NOTSET, desiredType: PortType.NOTSET,
      netdev: undefined, ibdev: undefined, flavour: Flavour.VIRTUAL, splittable: false, ops: {}, rate: undefined,
    };
    core.portRegister(port);
    // created in the instance's namespace: here udev names it; in a container's it keeps the kernel's eth%d
    const ns = aux.inst.netns;
    const netdev = { ifindex: w.nextIfindex(), name: ns === undefined ? sfNetdevName(aux.pci, aux.pfnum, aux.sfnum) : firstFreeEth(core.instances, ns) };
    core.portTypeEthSet(port, netdev);
    mlx5EnReporters(core, port);
    aux.port = port;
    aux.netdev = netdev;
    // sysfs shows the netdevs of its own namespace only
    if (ns === undefined) w.sysfs?.addSfNet(aux.name, aux.pci, aux.id, netdev, aux.mac);
  }
  if (enabled(aux, 'enable_rdma')) {
    aux.rdma = w.nextRdmaName();
    w.sysfs?.addSfRdma(aux.name, aux.pci, aux.id, aux.rdma);
  }
}

/** mlx5_unregister_device: the netdev (its port's type cleared), the port, the RDMA device. */
function unload(aux: AuxSf): void {
  const w = aux.world;
  if (aux.port) {
    w.core.portTypeClear(aux.port);
    w.core.portUnregister(aux.port);
  }
  w.sysfs?.removeSfNet(aux.name, aux.pci, aux.netdev, aux.rdma);
  aux.port = undefined;
  aux.netdev = undefined;
  aux.rdma = undefined;
}

/** dev_alloc_name's "eth%d" in the namespace `ns`: the lowest number no netdev of an instance there has. */
function firstFreeEth(instances: readonly Instance[], ns: string): string {
  const taken = new Set(instances.filter((i) => i.netns === ns).flatMap((i) => i.ports.map((p) => p.netdev?.name)));
  let n = 0;
  while (taken.has(`eth${n}`)) n++;
  return `eth${n}`;
}

/** "enp6s0f0s88" for sfnum 88 of PCI function 0000:06:00.0. */
export function sfNetdevName(pci: string, pfnum: number, sfnum: number): string {
  const m = /^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(pci);
  if (!m) return `sf${pfnum}s${sfnum}`;
  return `enp${parseInt(m[1], 16)}s${parseInt(m[2], 16)}f${pfnum}s${sfnum}`;
}

export function createAux(sf: Sf): AuxSf {
  const w = sf.pf.world;
  const core = w.core;
  const id = w.auxIds.alloc();
  const name = `mlx5_core.sf.${id}`;
  const inst = core.createInstance('auxiliary', name, sfDriver(sf));
  const six = core.family.flavor === '6.1';
  const aux: AuxSf = {
    world: w, id, name, inst, port: undefined, netdev: undefined, rdma: undefined, light: !six,
    sfnum: sf.sfnum, mac: sf.mac, pci: sf.pf.pci, pfnum: sf.pf.pfnum,
  };
  w.sysfs?.addSfAux(name, aux.pci, sf.sfnum);
  // the fw reporters, the flash kind and the drop traps of every mlx5 device (6.1 source)
  mlx5FwReporters(core, inst, false);
  setFlashKind(inst, 'no-mcqi');
  mlx5Traps(inst, () => false);
  if (six) {
    // mlx5_init_one before devlink_register: nothing of this is announced yet
    for (const p of mlx5Params(false, () => false, true)) inst.params.push(p);
    load(aux);
    core.register(inst);
  } else {
    // mlx5_init_one_light: devl_register, then the params (each announced once registered)
    core.register(inst);
    for (const p of mlx5LightParams()) {
      inst.params.push(p);
      core.notifyParam(inst, p, C.PARAM_NEW);
    }
  }
  return aux;
}

export function removeAux(aux: AuxSf): void {
  const w = aux.world;
  if (w.core.family.flavor === '6.1') {
    // devlink_unregister first, then mlx5_uninit_one: the rest goes unannounced
    w.core.unregister(aux.inst);
    unload(aux);
  } else {
    // mlx5_uninit_one(_light): the devices, the params, then devl_unregister
    unload(aux);
    for (const p of [...aux.inst.params].reverse()) w.core.notifyParam(aux.inst, p, C.PARAM_DEL);
    aux.inst.params.length = 0;
    w.core.unregister(aux.inst);
  }
  w.sysfs?.removeSfAux(aux.name, aux.pci);
  w.auxIds.free(aux.id);
}
