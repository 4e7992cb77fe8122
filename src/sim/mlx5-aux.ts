/**
 * An active SF's auxiliary device mlx5_core.sf.N (sf/dev/dev.c) and what the SF driver
 * brings up on it: its own devlink instance auxiliary/mlx5_core.sf.N with a virtual port
 * (the kernel announces the instance with DEVLINK_CMD_NEW, then the port, then the
 * port's netdev), its netdev enp<bus>s<slot>f<pf>s<sfnum>, its RDMA device, and the
 * sysfs entries that tie them together. Removal undoes it in reverse.
 */
import { DevlinkDriver, Errno, Instance, Netdev, Port } from './model';
import type { Sf } from './mlx5-sf';
import type { World } from './world';
import { mlx5Params, mlx5Info } from './mlx5-common';
import { mlx5EnReporters, mlx5FwReporters } from './mlx5-health';
import { setFlashKind } from './cmd-flash';
import { mlx5Traps } from './cmd-trap';
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

/** The SF's own devlink ops: not an eswitch manager, so eswitch calls answer EPERM. */
function sfDriver(sf: Sf): DevlinkDriver {
  return {
    portOps: {},
    eswitchModeGet: () => {
      throw new Errno(-E.EPERM);
    },
    eswitchModeSet: () => {
      throw new Errno(-E.EPERM);
    },
    infoGet: () => mlx5Info(sf.pf.serial, sf.pf.psid),
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
  for (const p of mlx5Params(false)) inst.params.push(p);
  mlx5FwReporters(core, inst, false);
  setFlashKind(inst, 'no-mcqi');
  mlx5Traps(inst, () => false);
  core.register(inst);
  const vhca = w.nextVhcaId();
  const port: Port = {
    instance: inst, index: vhca << 16, type: PortType.NOTSET, desiredType: PortType.NOTSET,
    netdev: undefined, ibdev: undefined, flavour: Flavour.VIRTUAL, splittable: false, ops: {}, rate: undefined,
  };
  core.portRegister(port);
  const netdev = { ifindex: w.nextIfindex(), name: sfNetdevName(sf.pf.pci, sf.pf.pfnum, sf.sfnum) };
  core.portTypeEthSet(port, netdev);
  mlx5EnReporters(core, port);
  const rdma = w.nextRdmaName();
  const aux: AuxSf = { world: w, id, name, inst, port, netdev, rdma, pci: sf.pf.pci };
  w.sysfs?.addSf(aux, sf.sfnum, sf.mac, aux.pci);
  return aux;
}

export function removeAux(aux: AuxSf): void {
  const w = aux.world;
  w.sysfs?.removeSf(aux, aux.pci);
  w.core.portTypeClear(aux.port);
  w.core.portUnregister(aux.port);
  w.core.unregister(aux.inst);
  w.auxIds.free(aux.id);
}
