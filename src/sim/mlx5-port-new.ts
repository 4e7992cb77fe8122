/**
 * mlx5_devlink_sf_port_new's checks (drivers/net/ethernet/mellanox/mlx5/core/sf/devlink.c):
 * the attributes (mlx5_sf_new_check_attr) and the SF table, in the order of the kernel
 * simulated. Used by a PF's port add and by an SF's own instance.
 */
import { ExtAck } from './policy';
import { fail, Flavor, PortNewAttrs } from './model';
import { MLX5 } from './mlx5-common';
import { E, Flavour } from './uapi';

/**
 * The order of mlx5's port add checks: '6.12' (mlx5_sf_new_check_attr, then the SF table;
 * every kernel up to 6.12 and later ones until the change below) or 'newest' ("net/mlx5:
 * SF, allow SF creation for satellite PF controllers": mlx5_sf_table_supported and the
 * switchdev check first, then the attributes, with pfnum checked against the PF of the
 * requested controller, mlx5_esw_sf_controller_to_pfnum).
 */
export type Mlx5PortAddOrder = '6.12' | 'newest';

/** What mlx5_devlink_sf_port_new knows of the device it runs on. */
export interface PortNewDev {
  readonly flavor: Flavor;
  readonly order: Mlx5PortAddOrder;
  /** mlx5_get_dev_index: the PCI function (an SF's own instance: its parent PF's). */
  readonly pfnum: number;
  /** mlx5_core_is_ecpf_esw_manager. */
  readonly ecpf: boolean;
  /** mlx5_sf_table_supported: an eswitch manager (false on an SF's own instance). */
  readonly tableSupported: boolean;
  /** The SF table is enabled (the eswitch is in switchdev mode). */
  readonly switchdev: boolean;
}

/** mlx5_sf_new_check_attr. */
function checkAttr(a: PortNewAttrs, dev: PortNewDev, ext: ExtAck): void {
  if (a.flavour !== Flavour.PCI_SF) fail(-E.EOPNOTSUPP, ext, `${MLX5}Driver supports only SF port addition`);
  if (a.portIndex !== undefined) fail(-E.EOPNOTSUPP, ext, `${MLX5}Driver does not support user defined port index assignment`);
  if (a.sfnum === undefined) fail(-E.EOPNOTSUPP, ext, `${MLX5}User must provide unique sfnum. Driver does not support auto assignment`);
  if (a.controller && !dev.ecpf) fail(-E.EOPNOTSUPP, ext, `${MLX5}External controller is unsupported`);
  // mlx5_esw_sf_controller_to_pfnum: the host PF of controller 1 has the ECPF's number here
  if (a.pfnum !== dev.pfnum) fail(-E.EOPNOTSUPP, ext, `${MLX5}Invalid pfnum supplied`);
}

/** The SF table checks of mlx5_devlink_sf_port_new. */
function checkTable(dev: PortNewDev, ext: ExtAck): void {
  if (dev.flavor === '6.1') {
    // mlx5_sf_table_try_get: no table, or one not enabled
    if (!dev.tableSupported || !dev.switchdev) {
      fail(-E.EOPNOTSUPP, ext, `${MLX5}Port add is only supported in eswitch switchdev mode or SF ports are disabled.`);
    }
    return;
  }
  if (!dev.tableSupported) fail(-E.EOPNOTSUPP, ext, `${MLX5}SF ports are not supported.`);
  if (!dev.switchdev) fail(-E.EOPNOTSUPP, ext, `${MLX5}SF ports are only supported in eswitch switchdev mode.`);
}

/** mlx5_devlink_sf_port_new's checks in the order of the kernel acted as. */
export function portNewChecks(a: PortNewAttrs, dev: PortNewDev, ext: ExtAck): void {
  if (dev.order === 'newest') {
    checkTable(dev, ext);
    checkAttr(a, dev, ext);
    return;
  }
  checkAttr(a, dev, ext);
  checkTable(dev, ext);
}
