/**
 * What every mlx5 devlink instance reports: its params (mlx5_devlink_params and the
 * generic enable_eth/enable_rdma/enable_vnet/max_macs, in registration order, with the
 * driver's validation messages) and its info (mlx5_devlink_info_get).
 */
import { ExtAck } from './policy';
import { fail, InfoReport, Param, ParamValue } from './model';
import { Cmode, E, ParamNla } from './uapi';

const RUNTIME = 1 << Cmode.RUNTIME;
const DRIVERINIT = 1 << Cmode.DRIVERINIT;

/** The prefix of the driver's extack messages (KBUILD_MODNAME ": "). */
export const MLX5 = 'mlx5_core: ';

/** FW version reported running and stored. */
export const FW_VERSION = '22.36.1010';

function driverinitU32(name: string, value: number, validate?: (v: number, ext: ExtAck) => void): Param {
  return {
    name, generic: true, type: ParamNla.U32, cmodes: DRIVERINIT, driverinit: value,
    ...(validate ? { validate: (v: ParamValue, ext: ExtAck) => validate(Number(v), ext) } : {}),
  };
}

function driverinitBool(name: string, value = true): Param {
  return { name, generic: true, type: ParamNla.FLAG, cmodes: DRIVERINIT, driverinit: value };
}

/** fdb_large_groups with mlx5_devlink_large_group_num_validate. */
function fdbLargeGroups(): Param {
  return {
    name: 'fdb_large_groups', generic: false, type: ParamNla.U32, cmodes: DRIVERINIT, driverinit: 15,
    validate: (v, ext) => {
      const n = Number(v);
      if (n < 1 || n > 1024) fail(-E.EOPNOTSUPP, ext, `${MLX5}Unsupported group number, supported range is 1-1024`);
    },
  };
}

/**
 * The params of a lightweight SF (6.8+: mlx5_init_one_light runs
 * mlx5_devlink_params_register only), in registration order; enable_roce, enable_eth,
 * enable_rdma and enable_vnet default to false (!mlx5_dev_is_lightweight). The hairpin
 * params registered with enable_eth are not modelled.
 */
export function mlx5LightParams(): Param[] {
  return [
    driverinitBool('enable_roce', false), fdbLargeGroups(),
    driverinitU32('io_eq_size', 1024, eqDepth), driverinitU32('event_eq_size', 4096, eqDepth),
    driverinitBool('enable_eth', false), driverinitBool('enable_rdma', false), driverinitBool('enable_vnet', false),
  ];
}

function runtime(name: string, generic: boolean, type: ParamNla, initial: ParamValue, validate?: Param['validate']): Param {
  let value = initial;
  return {
    name, generic, type, cmodes: RUNTIME,
    get: () => value,
    set: (_c, v) => {
      value = v;
    },
    ...(validate ? { validate } : {}),
  };
}

const eqDepth = (v: number): void => {
  if (v < 64 || v > 4096) fail(-E.EINVAL);
};

/** esw_port_metadata on a device that is no eswitch manager (6.1 registers it for every mlx5 device). */
function eswPortMetadataNotManager(): Param {
  const notManager = (): never => fail(-E.EOPNOTSUPP);
  return {
    name: 'esw_port_metadata', generic: false, type: ParamNla.FLAG, cmodes: RUNTIME,
    // mlx5_devlink_esw_port_metadata_get/set: !MLX5_ESWITCH_MANAGER(dev) is EOPNOTSUPP, so
    // the param is left out of dumps and notifications
    get: notManager,
    set: notManager,
    validate: (_v, ext) => fail(-E.EOPNOTSUPP, ext, `${MLX5}E-Switch is unsupported`),
  };
}

/**
 * The params of a PF (`manager`: it manages the eswitch) or of an SF's instance, in
 * registration order (mlx5_devlink_params, then the auxiliary device params and max_macs).
 * fdb_large_groups is in mlx5_devlink_params, so an SF has it too; esw_port_metadata is
 * there as well on 6.1 (`eswParamOnSf`), unreadable on an SF, while 6.12 registers it
 * from esw_offloads_init, for eswitch managers only. `switchdev` tells the validations the
 * eswitch mode.
 */
export function mlx5Params(manager: boolean, switchdev: () => boolean = () => false, eswParamOnSf = false): Param[] {
  const params: Param[] = [
    runtime('flow_steering_mode', false, ParamNla.STRING, 'dmfs', (v, ext) => {
      if (v === 'dmfs') return;
      if (v === 'smfs') {
        if (switchdev()) fail(-E.EOPNOTSUPP, ext, `${MLX5}Software managed steering is not supported when eswitch offloads enabled.`);
        return;
      }
      fail(-E.EINVAL, ext, `${MLX5}Bad parameter: supported values are ["dmfs", "smfs"]`);
    }),
    driverinitBool('enable_roce'),
    fdbLargeGroups(),
  ];
  if (manager) {
    params.push(runtime('esw_port_metadata', false, ParamNla.FLAG, true, (_v, ext) => {
      // mlx5_devlink_esw_port_metadata_validate
      if (switchdev()) fail(-E.EBUSY, ext, `${MLX5}E-Switch must either disabled or non switchdev mode`);
    }));
  } else if (eswParamOnSf) {
    params.push(eswPortMetadataNotManager());
  }
  params.push(runtime('enable_remote_dev_reset', true, ParamNla.FLAG, true));
  params.push(driverinitU32('io_eq_size', 1024, eqDepth));
  params.push(driverinitU32('event_eq_size', 4096, eqDepth));
  params.push(driverinitBool('enable_eth'), driverinitBool('enable_rdma'), driverinitBool('enable_vnet'));
  if (manager) {
    params.push(driverinitU32('max_macs', 128, (v, ext) => {
      if (v === 0) fail(-E.EINVAL, ext, `${MLX5}max_macs value must be greater than 0`);
      if (v & (v - 1)) fail(-E.EINVAL, ext, `${MLX5}Only power of 2 values are supported for max_macs`);
      if (Math.log2(v) > 15) fail(-E.EINVAL, ext, `${MLX5}max_macs value is out of the supported range`);
    }));
  }
  return params;
}

/** mlx5_devlink_info_get. */
export function mlx5Info(serial: string | undefined, psid: string): InfoReport {
  return {
    driverName: 'mlx5_core',
    ...(serial !== undefined ? { serialNumber: serial } : {}),
    fixed: [['fw.psid', psid]],
    running: [['fw.version', FW_VERSION], ['fw', FW_VERSION]],
    stored: [['fw.version', FW_VERSION], ['fw', FW_VERSION]],
  };
}
