/**
 * The typed objects the devlink API takes and returns. Each options type the API takes
 * has its list of keys next to it (`..._KEYS`), written once through keysOf(), which
 * refuses at compile time a list that misses a key of the interface or adds one; the
 * run-time check of unknown keys (checkKeys) reads those lists.
 */
import type { UnknownAttr } from '../attrs/schema';
import type { HealthReporter } from './health';
import type { CallOptions } from '../genl/connection';
import type {
  EncapModeName, EswitchModeName, FnOpstateName, FnStateName, InlineModeName, ParamCmodeName,
  ParamTypeName, PortFlavourName, PortTypeName, RateTypeName,
} from './constants';

/** A devlink instance: 'pci/0000:06:00.0', 'auxiliary/mlx5_core.sf.4', 'netdevsim/netdevsim10'. */
export interface DevlinkDevice {
  readonly handle: string;
  readonly bus: string;
  readonly dev: string;
  readonly reloadFailed?: boolean;
  /** Devlink instances nested in this one (newer kernels). */
  readonly nested?: readonly string[];
  /** Attributes this library does not know, as the kernel sent them. */
  readonly unknown?: readonly UnknownAttr[];
}

/**
 * The keys of T, in the order written, as an array. The argument lists every key of T
 * (Required: optional ones too) and nothing else, so the array and the interface cannot
 * drift apart: a key added to one and not the other fails to compile.
 */
function keysOf<T>(keys: { readonly [K in keyof Required<T>]: true }): readonly (keyof T & string)[] {
  return Object.keys(keys) as (keyof T & string)[];
}

/** The options every call takes (checked by the engine); allowed in every options object of a call. */
export const CALL_OPTION_KEYS = keysOf<CallOptions>({ timeoutMs: true, signal: true });

/** A port function's capabilities (DEVLINK_PORT_FN_ATTR_CAPS, newer kernels); each true, false, or absent where not reported. */
export interface PortFunctionCaps {
  readonly roce?: boolean;
  readonly migratable?: boolean;
  readonly ipsecCrypto?: boolean;
  readonly ipsecPacket?: boolean;
}

/** The keys of PortFunctionCaps, for checking an options object. */
export const PORT_FUNCTION_CAPS_KEYS = keysOf<PortFunctionCaps>({ roce: true, migratable: true, ipsecCrypto: true, ipsecPacket: true });

/** What DEVLINK_ATTR_PORT_FUNCTION says of a port's function (PF, VF or SF). */
export interface PortFunction {
  /** '00:00:00:00:88:88'; the kernel's bytes formatted as iproute2 does. */
  readonly hwAddr?: string;
  readonly state?: FnStateName | number;
  readonly opstate?: FnOpstateName | number;
  readonly caps?: PortFunctionCaps;
  readonly maxIoEqs?: number;
  /** The function's own devlink instance (an SF's 'auxiliary/mlx5_core.sf.4'), newer kernels. */
  readonly devlink?: string;
  readonly unknown?: readonly UnknownAttr[];
}

/** A devlink port as `devlink port show` reports it: handle, flavour, type, netdev, numbers and function. */
export interface DevlinkPort {
  /** 'pci/0000:06:00.0/32768'. */
  readonly handle: string;
  readonly bus: string;
  readonly dev: string;
  readonly index: number;
  readonly type: PortTypeName | number;
  readonly desiredType?: PortTypeName | number;
  readonly netdev?: string;
  readonly ifindex?: number;
  readonly ibdev?: string;
  readonly flavour?: PortFlavourName | number;
  readonly number?: number;
  readonly controller?: number;
  readonly pfnum?: number;
  readonly vfnum?: number;
  readonly sfnum?: number;
  readonly external?: boolean;
  readonly splittable?: boolean;
  readonly lanes?: number;
  readonly splitGroup?: number;
  readonly splitSubportNumber?: number;
  readonly splitCount?: number;
  readonly linecard?: number;
  readonly function?: PortFunction;
  readonly unknown?: readonly UnknownAttr[];
}

/** A device's eswitch: mode (legacy or switchdev), inline mode and encap mode, as reported. */
export interface EswitchInfo {
  readonly handle: string;
  readonly mode?: EswitchModeName | number;
  readonly inlineMode?: InlineModeName | number;
  readonly encapMode?: EncapModeName | number;
}

/** The eswitch settings setEswitch changes; absent ones are left as they are. */
export interface EswitchSettings {
  readonly mode?: EswitchModeName;
  readonly inlineMode?: InlineModeName;
  readonly encapMode?: EncapModeName;
}

/** The keys of EswitchSettings, for checking an options object. */
export const ESWITCH_SETTINGS_KEYS = keysOf<EswitchSettings>({ mode: true, inlineMode: true, encapMode: true });

/**
 * A network namespace: a name in /var/run/netns ('ns1'), a path ('/proc/1234/ns/net'),
 * an open descriptor of one ({ fd }), a process's ({ pid }), or a peer id ({ id }).
 */
export type NetnsTarget = string | { readonly fd: number } | { readonly pid: number } | { readonly id: number };

/** What reload() does: the action (driver_reinit, fw_activate) and its limit (no_reset). */
export interface ReloadOptions {
  readonly action?: 'driver_reinit' | 'fw_activate';
  readonly limit?: 'no_reset';
  /** Move the instance (and what its driver re-creates: netdevs, RDMA devices) there. */
  readonly netns?: NetnsTarget;
}

/** The keys of ReloadOptions, for checking an options object. */
export const RELOAD_OPTIONS_KEYS = keysOf<ReloadOptions>({ action: true, limit: true, netns: true });

/** The options of the dumps that can be narrowed to one device: params, ports, rates. */
export interface DeviceFilter {
  /** Only the objects of this devlink instance: 'pci/0000:06:00.0'. */
  readonly dev?: string;
}

/** The keys of DeviceFilter, for checking an options object. */
export const DEVICE_FILTER_KEYS = keysOf<DeviceFilter>({ dev: true });

/** How setParam() sets a value: its configuration mode (runtime, driverinit, permanent). */
export interface SetParamOptions {
  readonly cmode: 'runtime' | 'driverinit' | 'permanent';
}

/** The keys of SetParamOptions, for checking an options object. */
export const SET_PARAM_OPTIONS_KEYS = keysOf<SetParamOptions>({ cmode: true });

/** What `devlink dev info` reports of a device: driver, serial number, and fixed, running and stored versions. */
export interface DeviceInfo {
  readonly handle: string;
  readonly driver?: string;
  readonly serialNumber?: string;
  readonly boardSerialNumber?: string;
  readonly versions: {
    readonly fixed: Readonly<Record<string, string>>;
    readonly running: Readonly<Record<string, string>>;
    readonly stored: Readonly<Record<string, string>>;
  };
}

/** A parameter's value: u8/u16/u32 as number, u64 as bigint, string, or flag as boolean. */
export type ParamValue = number | bigint | string | boolean;

/** A device parameter: its name, whether it is a generic one (or the driver's own), its type, and its value in each configuration mode. */
export interface DevlinkParam {
  readonly handle: string;
  readonly name: string;
  readonly generic: boolean;
  readonly type: ParamTypeName | number;
  readonly values: readonly { readonly cmode: ParamCmodeName | number; readonly value: ParamValue | undefined }[];
}

/** A rate object: a leaf (a port's) or a node (a group), with its shares, limits and parent. */
export interface DevlinkRate {
  /** 'pci/0000:06:00.0/32768' for a leaf, 'pci/0000:06:00.0/group1' for a node. */
  readonly handle: string;
  readonly bus: string;
  readonly dev: string;
  readonly type: RateTypeName | number;
  readonly portIndex?: number;
  readonly nodeName?: string;
  /** Bytes per second. */
  readonly txShare?: bigint;
  readonly txMax?: bigint;
  readonly txPriority?: number;
  readonly txWeight?: number;
  readonly parent?: string;
  /** Bandwidth share per traffic class (Linux 6.16+): index 0..7, bw a relative weight. */
  readonly tcBws?: readonly RateTcBw[];
}

/** One traffic class's bandwidth share. */
export interface RateTcBw {
  /** The traffic class, 0..7. */
  readonly index: number;
  /** Its relative share. */
  readonly bw: number;
}

/** The rate settings setRate and addRateNode change (tx_share and tx_max in bytes per second); absent ones are left. */
export interface RateSettings {
  /** Bytes per second. */
  readonly txShare?: bigint | number;
  readonly txMax?: bigint | number;
  readonly txPriority?: number;
  readonly txWeight?: number;
  /** Parent node name; '' detaches from the parent. */
  readonly parent?: string;
  /** Bandwidth share per traffic class (Linux 6.16+; refused before sending where the kernel's devlink is older). */
  readonly tcBws?: readonly RateTcBw[];
}

/** The keys of RateSettings, for checking an options object. */
export const RATE_SETTINGS_KEYS = keysOf<RateSettings>({ txShare: true, txMax: true, txPriority: true, txWeight: true, parent: true, tcBws: true });

/** The port addPort asks for: flavour (pcisf), pfnum, and sfnum, controller or index where given. */
export interface AddPortOptions {
  readonly flavour: 'pcisf' | PortFlavourName;
  readonly pfnum: number;
  readonly sfnum?: number;
  readonly controller?: number;
  /** A port index of the caller's choosing (mlx5 refuses it). */
  readonly index?: number;
}

/** The keys of AddPortOptions, for checking an options object. */
export const ADD_PORT_OPTIONS_KEYS = keysOf<AddPortOptions>({ flavour: true, pfnum: true, sfnum: true, controller: true, index: true });

/**
 * What setPortFunction() changes. Capabilities can be given flat (`roce: true`, as the
 * CLI's keywords are) or nested as the port reports them (`caps: { roce: true }`); a
 * capability given both ways must agree.
 */
export interface PortFunctionSettings extends PortFunctionCaps {
  readonly hwAddr?: string;
  readonly state?: 'active' | 'inactive';
  readonly caps?: PortFunctionCaps;
  readonly maxIoEqs?: number;
}

/** The keys of PortFunctionSettings, for checking an options object. */
export const PORT_FUNCTION_SETTINGS_KEYS = keysOf<PortFunctionSettings>({
  hwAddr: true, state: true, roce: true, migratable: true, ipsecCrypto: true, ipsecPacket: true, caps: true, maxIoEqs: true,
});

/** What reload() reports it did: the actions performed. */
export interface ReloadResult {
  readonly handle: string;
  /**
   * What the kernel says it did; undefined when it did not say (it answers with the
   * actions performed only when the request named an action or a limit).
   */
  readonly actionsPerformed?: readonly string[];
}

/** A flash update's progress (FLASH_UPDATE, FLASH_UPDATE_STATUS, FLASH_UPDATE_END notifications). */
export type FlashEvent =
  | { readonly type: 'flash'; readonly phase: 'begin' | 'end'; readonly handle: string }
  | {
    readonly type: 'flash'; readonly phase: 'status'; readonly handle: string; readonly message?: string; readonly component?: string;
    /** Progress, where the kernel sent it (a status may carry a message alone). */
    readonly done?: bigint; readonly total?: bigint; readonly timeoutS?: bigint;
  };

/** Events from monitor(). */
export type DevlinkEvent =
  | { readonly type: 'dev-new' | 'dev-del'; readonly device: DevlinkDevice }
  | { readonly type: 'port-new' | 'port-del'; readonly port: DevlinkPort }
  | { readonly type: 'rate-new' | 'rate-del'; readonly rate: DevlinkRate }
  /** DEVLINK_CMD_HEALTH_REPORTER_RECOVER: a reporter's state or counters changed (an error reported, a recovery). */
  | { readonly type: 'health'; readonly reporter: HealthReporter }
  | FlashEvent
  | { readonly type: 'resync'; readonly reason: 'overrun'; readonly devices: readonly DevlinkDevice[]; readonly ports: readonly DevlinkPort[] }
  | { readonly type: 'other'; readonly cmd: string; readonly attrs: Readonly<Record<string, unknown>> };
