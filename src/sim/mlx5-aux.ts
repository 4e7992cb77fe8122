/**
 * An active SF's auxiliary device mlx5_core.sf.N (sf/dev/dev.c) and what the SF driver
 * brings up on it: its own devlink instance auxiliary/mlx5_core.sf.N with a virtual port,
 * its netdev enp<bus>s<slot>f<pf>s<sfnum>, its RDMA device, and the sysfs entries that
 * tie them together.
 *
 * mlx5_sf_dev_probe runs mlx5_init_one (params, the eth port and its netdev) before
 * devlink_register, so the kernel announces the instance as NEW, then PORT_NEW already of
 * type eth with its netdev, then PARAM_NEW for each param (devlink_notify_register).
 * mlx5_sf_dev_remove unregisters first: PARAM_DEL for each param (last first), PORT_DEL
 * of the eth port, DEL; the netdev and port go afterwards, unannounced.
 */
import { DevlinkDriver, Errno, fail, Instance, Netdev, Port } from './model';
import { ExtAck } from './policy';
import { MLX5, portNewChecks, Sf } from './mlx5-sf';
import type { World } from './world';
import { mlx5Params, mlx5Info } from './mlx5-common';
import { E, Flavour, PortType } from './uapi';

export interface AuxSf {
  readonly world: World;
  readonly id: number;
  readonly name: string;
  readonly inst: Instance;
  readonly port: Port;
  readonly netdev: Netdev;
  readonly rdma: string;
  /** The PF's PCI address (its sysfs directory holds the auxiliary device's). */
  readonly pci: string;
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
    reloadActions: (1 << 1) | (1 << 2),
    reloadLimits: 1 << 1,
    reloadDown: () => undefined,
    reloadUp: (_i, action) => (action === 2 ? 0b110 : 1 << action),
  };
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
  for (const p of mlx5Params(false, () => false, core.family.flavor === '6.1')) inst.params.push(p);
  const vhca = w.nextVhcaId();
  const port: Port = {
    instance: inst, index: vhca << 16, type: PortType.NOTSET, desiredType: PortType.NOTSET,
    netdev: undefined, ibdev: undefined, flavour: Flavour.VIRTUAL, splittable: false, ops: {}, rate: undefined,
  };
  // mlx5_init_one: not yet registered, so neither announces anything
  core.portRegister(port);
  const netdev = { ifindex: w.nextIfindex(), name: sfNetdevName(sf.pf.pci, sf.pf.pfnum, sf.sfnum) };
  core.portTypeEthSet(port, netdev);
  const rdma = w.nextRdmaName();
  const aux: AuxSf = { world: w, id, name, inst, port, netdev, rdma, pci: sf.pf.pci };
  w.sysfs?.addSf(aux, sf.sfnum, sf.mac, aux.pci);
  core.register(inst);
  return aux;
}

export function removeAux(aux: AuxSf): void {
  const w = aux.world;
  w.core.unregister(aux.inst);
  // mlx5_uninit_one after devlink_unregister: nothing more is announced
  w.core.portTypeClear(aux.port);
  w.core.portUnregister(aux.port);
  w.sysfs?.removeSf(aux, aux.pci);
  w.auxIds.free(aux.id);
}
