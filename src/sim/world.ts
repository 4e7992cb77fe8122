/**
 * What all simulated mlx5 devices share: the devlink core they register into, the clock
 * of asynchronous steps, the sysfs tree, and the machine-wide counters (auxiliary device
 * ids from one pool, ifindexes, ethN names, RDMA device names, vhca ids).
 */
import type { DevlinkCore } from './core';
import type { Scheduler } from './scheduler';
import type { Mlx5PortAddOrder } from './mlx5-port-new';
import type { Sysfs } from './sysfs';

export interface Timing {
  /** Activation to the SF's auxiliary device and devlink instance appearing (opstate attached). */
  readonly attachMs: number;
  /** Deactivation (or deletion of an active SF) to the auxiliary device going away. */
  readonly detachMs: number;
  /** The auxiliary device gone to the firmware freeing the function (opstate detached, sfnum reusable). */
  readonly freeMs: number;
}

/** Lowest-free id allocator (the kernel's IDA). */
export class IdPool {
  private readonly used = new Set<number>();

  /** `first`: 1 for an xarray of DEFINE_XARRAY_ALLOC1. */
  constructor(private readonly first = 0) {}

  alloc(): number {
    let i = this.first;
    while (this.used.has(i)) i++;
    this.used.add(i);
    return i;
  }

  free(id: number): void {
    this.used.delete(id);
  }

  has(id: number): boolean {
    return this.used.has(id);
  }
}

export class World {
  /** mlx5_adev_idx_alloc(): one pool for PFs and SFs of every mlx5 device. */
  readonly auxIds = new IdPool();
  /** ice_sf_aux_id (DEFINE_XARRAY_ALLOC1): ice SF auxiliary device ids, from 1. */
  readonly iceAuxIds = new IdPool(1);
  private ifindex = 1;
  private eth = 0;
  private rdma = 0;
  private vhca = 0;

  constructor(
    readonly core: DevlinkCore,
    readonly sched: Scheduler,
    readonly timing: Timing,
    readonly sysfs: Sysfs | undefined,
    /** The kernel's order of mlx5's port add checks. */
    readonly mlx5PortAddOrder: Mlx5PortAddOrder = '6.12',
  ) {}

  nextIfindex(): number {
    return ++this.ifindex;
  }

  /** Kernel-assigned netdev names of representors: eth0, eth1, ... */
  nextEthName(): string {
    return `eth${this.eth++}`;
  }

  nextRdmaName(): string {
    return `mlx5_${this.rdma++}`;
  }

  nextVhcaId(): number {
    return this.vhca++;
  }
}
