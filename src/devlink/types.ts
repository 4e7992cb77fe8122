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

export interface PortFunctionCaps {
  readonly roce?: boolean;
  readonly migratable?: boolean;
  readonly ipsecCrypto?: boolean;
  readonly ipsecPacket?: boolean;
}

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

export interface EswitchInfo {
  readonly handle: string;
  readonly mode?: EswitchModeName | number;
  readonly inlineMode?: InlineModeName | number;
  readonly encapMode?: EncapModeName | number;
}

export interface EswitchSettings {
  readonly mode?: EswitchModeName;
  readonly inlineMode?: InlineModeName;
  readonly encapMode?: EncapModeName;
}

export const ESWITCH_SETTINGS_KEYS = keysOf<EswitchSettings>({ mode: true, inlineMode: true, encapMode: true });

/**
 * A network namespace: a name in /var/run/netns ('ns1'), a path ('/proc/1234/ns/net'),
 * an open descriptor of one ({ fd }), a process's ({ pid }), or a peer id ({ id }).
 */
export type NetnsTarget = string | { readonly fd: number } | { readonly pid: number } | { readonly id: number };

export interface ReloadOptions {
  readonly action?: 'driver_reinit' | 'fw_activate';
  readonly limit?: 'no_reset';
  /** Move the instance (and what its driver re-creates: netdevs, RDMA devices) there. */
  readonly netns?: NetnsTarget;
}

export const RELOAD_OPTIONS_KEYS = keysOf<ReloadOptions>({ action: true, limit: true, netns: true });

/** The options of the dumps that can be narrowed to one device: params, ports, rates. */
export interface DeviceFilter {
  /** Only the objects of this devlink instance: 'pci/0000:06:00.0'. */
  readonly dev?: string;
}

export const DEVICE_FILTER_KEYS = keysOf<DeviceFilter>({ dev: true });

export interface SetParamOptions {
  readonly cmode: 'runtime' | 'driverinit' | 'permanent';
}

export const SET_PARAM_OPTIONS_KEYS = keysOf<SetParamOptions>({ cmode: true });

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

export type ParamValue = number | bigint | string | boolean;

export interface DevlinkParam {
  readonly handle: string;
  readonly name: string;
  readonly generic: boolean;
  readonly type: ParamTypeName | number;
  readonly values: readonly { readonly cmode: ParamCmodeName | number; readonly value: ParamValue | undefined }[];
}

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
}

export interface RateSettings {
  /** Bytes per second. */
  readonly txShare?: bigint | number;
  readonly txMax?: bigint | number;
  readonly txPriority?: number;
  readonly txWeight?: number;
  /** Parent node name; '' detaches from the parent. */
  readonly parent?: string;
}

export const RATE_SETTINGS_KEYS = keysOf<RateSettings>({ txShare: true, txMax: true, txPriority: true, txWeight: true, parent: true });

export interface AddPortOptions {
  readonly flavour: 'pcisf' | PortFlavourName;
  readonly pfnum: number;
  readonly sfnum?: number;
  readonly controller?: number;
  /** A port index of the caller's choosing (mlx5 refuses it). */
  readonly index?: number;
}

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

export const PORT_FUNCTION_SETTINGS_KEYS = keysOf<PortFunctionSettings>({
  hwAddr: true, state: true, roce: true, migratable: true, ipsecCrypto: true, ipsecPacket: true, caps: true, maxIoEqs: true,
});

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
    readonly done: bigint; readonly total: bigint; readonly timeoutS: bigint;
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
