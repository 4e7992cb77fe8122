/**
 * mlx5 sub-functions (drivers/net/ethernet/mellanox/mlx5/core/sf/{devlink,hw_table}.c):
 * the hardware table of function slots per controller (sfnum uniqueness, capacity,
 * deferred free), the port add (its checks in mlx5-port-new.ts), and the vhca state machine:
 *
 *   ALLOCATED (inactive/detached) --activate--> ACTIVE (active/detached)
 *   ACTIVE --attachMs: aux device + devlink instance appear--> IN_USE (active/attached)
 *   ACTIVE|IN_USE --deactivate--> TEARDOWN (inactive/attached)
 *   TEARDOWN --detachMs: aux device gone, then freeMs: firmware frees--> ALLOCATED
 *
 * Deleting an SF that is not ALLOCATED leaves its slot (and sfnum) taken until the
 * firmware frees the function.
 */
import { ExtAck } from './policy';
import { Errno, fail, Port, PortNewAttrs } from './model';
import type { Cancel } from './scheduler';
import type { Mlx5Pf } from './mlx5';
import { createAux, removeAux, AuxSf } from './mlx5-aux';
import { MLX5 } from './mlx5-common';
import { portNewChecks } from './mlx5-port-new';
import { C, E, FnOpstate, FnState } from './uapi';

export const enum Hw { ALLOCATED, ACTIVE, IN_USE, TEARDOWN }

interface Slot {
  allocated: boolean;
  sfnum: number;
  pendingDelete: boolean;
}

/** One hardware function slot table (struct mlx5_sf_hwc_table). */
export class Hwc {
  readonly slots: Slot[];
  constructor(readonly base: number, max: number) {
    this.slots = Array.from({ length: max }, () => ({ allocated: false, sfnum: 0, pendingDelete: false }));
  }

  /** mlx5_sf_hw_table_id_alloc: EEXIST wins over ENOSPC. */
  alloc(sfnum: number): number {
    let free = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (!s.allocated) {
        if (free < 0) free = i;
        continue;
      }
      if (s.sfnum === sfnum) return -E.EEXIST;
    }
    if (free < 0) return -E.ENOSPC;
    this.slots[free] = { allocated: true, sfnum, pendingDelete: false };
    return free;
  }

  free(id: number): void {
    this.slots[id] = { allocated: false, sfnum: 0, pendingDelete: false };
  }
}

/** struct mlx5_sf plus the function's firmware state. */
export class Sf {
  hw: Hw = Hw.ALLOCATED;
  mac: Buffer = Buffer.alloc(6);
  roce = true;
  /** MLX5_ESW_DEFAULT_SF_COMP_EQS. */
  maxIoEqs = 8;
  aux: AuxSf | undefined;
  /** Removed from the table by a port delete; the function may still be freeing. */
  deleted = false;
  private attach: Cancel | undefined;
  port!: Port;

  constructor(
    readonly pf: Mlx5Pf,
    readonly controller: number,
    readonly sfnum: number,
    readonly slot: number,
    readonly fnId: number,
    readonly index: number,
  ) {}

  get state(): FnState {
    return this.hw === Hw.ACTIVE || this.hw === Hw.IN_USE ? FnState.ACTIVE : FnState.INACTIVE;
  }

  get opstate(): FnOpstate {
    return this.hw === Hw.IN_USE || this.hw === Hw.TEARDOWN ? FnOpstate.ATTACHED : FnOpstate.DETACHED;
  }

  /** mlx5_sf_activate: enable_hca, then the SF driver attaches after attachMs. */
  activate(ext: ExtAck): void {
    if (this.state === FnState.ACTIVE) return;
    if (this.hw !== Hw.ALLOCATED) fail(-E.EBUSY, ext, `${MLX5}SF is inactivated but it is still attached`);
    this.hw = Hw.ACTIVE;
    const w = this.pf.world;
    this.attach = w.sched.after(w.timing.attachMs, () => {
      this.attach = undefined;
      if (this.hw !== Hw.ACTIVE) return;
      // sf/dev/dev.c: only SFs of the local controller get an auxiliary device here; an
      // external controller's SF attaches on that host (the BlueField's x86 side)
      if (this.controller === 0) this.aux = createAux(this);
      this.hw = Hw.IN_USE;
      this.relChanged();
    });
  }

  /** mlx5_sf_deactivate / disable_hca: teardown, then detach and free. */
  deactivate(): void {
    if (this.state !== FnState.ACTIVE) return;
    this.attach?.cancel();
    this.attach = undefined;
    this.hw = Hw.TEARDOWN;
    const w = this.pf.world;
    w.sched.after(w.timing.detachMs, () => {
      if (this.aux) {
        removeAux(this.aux);
        this.aux = undefined;
        this.relChanged();
      }
      w.sched.after(w.timing.freeMs, () => this.freed());
    });
  }

  /** The firmware's vhca event: the function is back to ALLOCATED. */
  private freed(): void {
    this.hw = Hw.ALLOCATED;
    const hwc = this.pf.sfTable.hwc(this.controller);
    const slot = hwc.slots[this.slot];
    if (slot.allocated && slot.pendingDelete) hwc.free(this.slot);
  }

  /** Newer kernels announce the port again when its function's devlink instance comes or goes. */
  private relChanged(): void {
    if (this.pf.world.core.family.flavor === 'current' && !this.deleted) this.pf.world.core.notifyPort(this.port, C.PORT_NEW);
  }
}

/** struct mlx5_sf_table with its hardware table. */
export class SfTable {
  enabled = false;
  readonly byIndex = new Map<number, Sf>();
  private readonly local: Hwc;
  private readonly external: Hwc;

  /**
   * mlx5_sf_hw_table_init: the local table starts at the device's sf_base_id (0x8000 here);
   * on an ECPF the external one at the host's sf_base_id (`hostSfBaseId`).
   */
  constructor(private readonly pf: Mlx5Pf, maxSfs: number, hostSfBaseId: number) {
    this.local = new Hwc(0x8000, maxSfs);
    this.external = new Hwc(hostSfBaseId, pf.ecpf ? maxSfs : 0);
  }

  hwc(controller: number): Hwc {
    return controller ? this.external : this.local;
  }

  /** mlx5_devlink_sf_port_new. */
  add(a: PortNewAttrs, ext: ExtAck): number {
    const pf = this.pf;
    portNewChecks(a, {
      flavor: pf.world.core.family.flavor, order: pf.portAddOrder, pfnum: pf.pfnum, ecpf: pf.ecpf,
      tableSupported: true, switchdev: this.enabled,
    }, ext);
    const controller = a.controller ?? 0;
    // mlx5_esw_offloads_controller_valid: 0, or the host's number + 1 on an ECPF
    if (controller !== 0 && !(pf.ecpf && controller === 1)) fail(-E.EINVAL, ext, `${MLX5}Invalid controller number`);
    const sfnum = a.sfnum as number;
    const hwc = this.hwc(controller);
    const slot = hwc.alloc(sfnum);
    if (slot === -E.EEXIST) fail(-E.EEXIST, ext, `${MLX5}SF already exist. Choose different sfnum`);
    if (slot < 0) throw new Errno(slot);
    const fnId = hwc.base + slot;
    const sf = new Sf(this.pf, controller, sfnum, slot, fnId, (this.pf.vhcaId << 16) | fnId);
    this.byIndex.set(sf.index, sf);
    this.pf.sfVportEnable(sf);
    return sf.index;
  }

  /** mlx5_devlink_sf_port_del / mlx5_sf_dealloc. */
  del(sf: Sf): void {
    this.pf.sfVportDisable(sf);
    this.byIndex.delete(sf.index);
    sf.deleted = true;
    const hwc = this.hwc(sf.controller);
    if (sf.hw === Hw.ALLOCATED) {
      hwc.free(sf.slot);
      return;
    }
    hwc.slots[sf.slot].pendingDelete = true;
    sf.deactivate();
  }

  /** Leaving switchdev: every SF goes as if deleted. */
  disable(): void {
    this.enabled = false;
    for (const sf of [...this.byIndex.values()]) this.del(sf);
  }

  /** The SF of a port, for the devlink-level (6.1) callbacks. */
  lookup(index: number): Sf | undefined {
    return this.byIndex.get(index);
  }

  /** Every slot in use, for invariant checks. */
  slotsInUse(): { controller: number; sfnum: number; pendingDelete: boolean }[] {
    const out: { controller: number; sfnum: number; pendingDelete: boolean }[] = [];
    for (const [controller, hwc] of [[0, this.local], [1, this.external]] as const) {
      for (const s of hwc.slots) if (s.allocated) out.push({ controller, sfnum: s.sfnum, pendingDelete: s.pendingDelete });
    }
    return out;
  }
}

