/**
 * What a lifecycle call is asked: the SF's spec and the call's options, their checks
 * (everything refused before anything is sent), and the function settings that differ
 * from a port's.
 */
import * as fs from 'node:fs';
import { ValidationError } from '../attrs/errors';
import { checkKeys, defined } from '../attrs/options';
import { checkSignal, checkTimeoutMs } from '../genl/call-options';
import { KernelError } from '../genl/errors';
import { FN_CAP_NAMES, GENERIC_PARAM_TYPES, ParamType } from './constants';
import { checkUint, formatMac, parseDevHandle, parseMac } from './handle';
import { NetnsChoice, netnsChoice } from './reload';
import { addPortAttrs, checkAnyParamValue, checkParamValue, portFunctionAttrs } from './requests';
import type { SfDevices } from './sysfs';
import type { AddPortOptions, DevlinkPort, ParamValue, PortFunctionCaps, PortFunctionSettings } from './types';

/** The namespace an SF's instance is placed in (SubfunctionSpec.netns): a name in /var/run/netns or a path, or: */
export type SubfunctionNetns = string | {
  /** An open descriptor of the namespace (of /var/run/netns/NAME or /proc/PID/ns/net). */
  readonly fd: number;
} | {
  /** A process whose network namespace it is. */
  readonly pid: number;
};

/** The SF a lifecycle call creates or converges: its PF, numbers and function settings. */
export interface SubfunctionSpec {
  /** The PF's devlink handle: 'pci/0000:06:00.0'. */
  readonly dev: string;
  /** The PF number the SF belongs to (the PF port's pfnum). */
  readonly pfnum: number;
  /** The SF number; createSubfunction may leave it out where the driver picks one (an ice that allocates). */
  readonly sfnum: number;
  /** 0 (default): this host. Another: an external controller (a BlueField's host), no local device. */
  readonly controller?: number;
  /** The function's MAC address, '00:00:00:00:88:88'. */
  readonly hwAddr?: string;
  /** Capabilities to set (roce, migratable, ipsecCrypto, ipsecPacket). */
  readonly caps?: PortFunctionCaps;
  /** The function's max_io_eqs (newer kernels). */
  readonly maxIoEqs?: number;
  /** Activate the function (default true). */
  readonly activate?: boolean;
  /** Wait until the SF driver has attached (default when activating), or not at all. */
  readonly wait?: 'attached' | 'none';
  /**
   * driverinit parameters of the SF's own devlink instance, set once it has attached and
   * applied by one driver_reinit reload (only when one differs): `{ enable_eth: true }`
   * gives an mlx5 SF probed "light" (6.8+) its netdev; enable_rdma, enable_vnet likewise.
   * Checked before anything is sent: a generic parameter's value against its fixed type
   * (enable_eth bool, io_eq_size u32, ...), a driver's own against the types a parameter
   * can have.
   */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /**
   * Place the attached SF in this network namespace (a container's): its own devlink
   * instance is reloaded there (driver_reinit, one reload together with `params`), which
   * moves its netdev (and, with RDMA in exclusive mode, its RDMA device) along; the
   * instance and its netdev are then looked up in that namespace. A name in
   * /var/run/netns ('ns1'), a path ('/proc/1234/ns/net'), an open descriptor ({ fd }) or
   * a process ({ pid }), as reload() takes them (not { id }: a peer id cannot be opened
   * to look there). Only for an SF of this host (controller 0) that is activated and
   * waited for. The port stays in the PF's instance, here: destroy works from here.
   */
  readonly netns?: SubfunctionNetns;
}

/** How a lifecycle call runs: its deadline, its abort signal, where sysfs is. */
export interface LifecycleOptions {
  /** Bound on the whole operation (default 60 s; 0: none). */
  readonly timeoutMs?: number;
  /** Aborts the call; it then cleans up and rejects with a SubfunctionError (ECANCELED) saying what it left. */
  readonly signal?: AbortSignal;
  /** Where sysfs is: '/sys' (default), or what the transport says (the simulator's tree). */
  readonly sysfsRoot?: string;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type CallOpts = { timeoutMs: number; signal?: AbortSignal };

/** An SF named by its PF and numbers rather than its port handle (destroy, find). */
export type SfTarget = Pick<SubfunctionSpec, 'dev' | 'pfnum' | 'sfnum' | 'controller'>;

/**
 * A created or converged SF: its port as the kernel reports it after the call, and (when
 * attached on this host) its auxiliary device, devlink instance, netdev and RDMA device.
 */
export interface Subfunction extends Partial<SfDevices> {
  /** The SF's port, read after the last step. */
  readonly port: DevlinkPort;
  /**
   * With `netns` in the spec: the path of the namespace the SF's instance and netdev are
   * in ('/var/run/netns/ns1'); `netdev` is then the name seen there, `devlink` the
   * instance's handle there.
   */
  readonly netns?: string;
}

export const SPEC_KEYS = ['dev', 'pfnum', 'sfnum', 'controller', 'hwAddr', 'caps', 'maxIoEqs', 'activate', 'wait', 'params', 'netns'] as const;
export const OPTION_KEYS = ['timeoutMs', 'signal', 'sysfsRoot'] as const;
/** SfTarget's keys: what names an SF. */
export const TARGET_KEYS = ['dev', 'pfnum', 'sfnum', 'controller'] as const satisfies readonly (keyof SfTarget)[];

/** The pcisf port-add options of an SF's identity. */
export function addPortOf(t: { pfnum: number; sfnum?: number; controller?: number }): AddPortOptions {
  return { flavour: 'pcisf', pfnum: t.pfnum, ...defined({ sfnum: t.sfnum, controller: t.controller }) };
}

export function sfName(s: { dev: string; pfnum: number; sfnum?: number; controller?: number }): string {
  return `${s.dev}${s.controller ? ` controller ${s.controller}` : ''} pfnum ${s.pfnum}${s.sfnum !== undefined ? ` sfnum ${s.sfnum}` : ''}`;
}

export function isErrno(e: unknown, errno: number): boolean {
  return e instanceof KernelError && e.errno === errno;
}

export function checkLifecycleOptions(o: LifecycleOptions): void {
  // the engine's own checks: one wording for a timeout or a signal everywhere
  checkTimeoutMs(o.timeoutMs);
  checkSignal(o.signal);
  if (o.sysfsRoot !== undefined && (typeof o.sysfsRoot !== 'string' || o.sysfsRoot === '')) throw new ValidationError('sysfsRoot', 'expected a directory path');
}

/** Everything checked before anything is sent; returns the function settings the spec asks for. */
export function validateSpec(spec: SubfunctionSpec & LifecycleOptions, sfnumRequired: boolean): PortFunctionSettings {
  if (spec === undefined) throw new ValidationError('spec', 'expected { dev, pfnum, sfnum, ... }');
  checkKeys(spec, 'spec', [...SPEC_KEYS, ...OPTION_KEYS]);
  checkLifecycleOptions(spec);
  const h = parseDevHandle(spec.dev, 'dev');
  if (sfnumRequired && spec.sfnum === undefined) throw new ValidationError('sfnum', 'the SF is found by its sfnum: give one');
  addPortAttrs(h, addPortOf(spec));
  if (spec.wait !== undefined && spec.wait !== 'attached' && spec.wait !== 'none') throw new ValidationError('wait', 'expected "attached" or "none"');
  if (spec.activate !== undefined && typeof spec.activate !== 'boolean') throw new ValidationError('activate', 'expected true or false');
  const fn: Mutable<PortFunctionSettings> = {};
  if (spec.hwAddr !== undefined) fn.hwAddr = formatMac(parseMac(spec.hwAddr, 'hwAddr'));
  for (const [k, v] of Object.entries(checkKeys(spec.caps, 'caps', FN_CAP_NAMES))) {
    if (typeof v !== 'boolean') throw new ValidationError(`caps.${k}`, 'expected true or false');
    fn[k as keyof PortFunctionCaps] = v;
  }
  if (spec.maxIoEqs !== undefined) fn.maxIoEqs = checkUint(spec.maxIoEqs, 'maxIoEqs', 32);
  if (spec.params !== undefined) {
    if (spec.params === null || typeof spec.params !== 'object' || Array.isArray(spec.params)) {
      throw new ValidationError('params', 'expected { name: value, ... }');
    }
    if (spec.activate === false || spec.wait === 'none') {
      throw new ValidationError('params', 'the SF\'s instance exists only once it has attached: params need activate and wait "attached"');
    }
    for (const [k, v] of Object.entries(spec.params)) {
      if (!/^[\w.-]+$/.test(k)) throw new ValidationError(`params.${k}`, 'not a parameter name');
      checkSpecParam(k, v);
    }
  }
  if (spec.netns !== undefined) checkSpecNetns(spec);
  if (Object.keys(fn).length > 0) portFunctionAttrs({ bus: h.bus, dev: h.dev, index: 0 }, fn);
  return fn;
}

/**
 * A value of `params`: one of a generic parameter's type (the devlink core fixes it for
 * every driver), or of some parameter type for a driver's own (the kernel knows its type).
 */
function checkSpecParam(name: string, v: unknown): void {
  const type = Object.hasOwn(GENERIC_PARAM_TYPES, name) ? GENERIC_PARAM_TYPES[name] : undefined;
  if (type === undefined) return checkAnyParamValue(v, `params.${name}`);
  try {
    checkParamValue(ParamType[type], v, `params.${name}`);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    throw new ValidationError(e.field, `${e.reason} (${name} is a generic devlink parameter of type ${type})`);
  }
}

/**
 * An SF named for destroySubfunction or findSubfunction: SfTarget's keys, or the whole spec the SF was made
 * with (a daemon destroys what it created from the same object). Only the identity names
 * the SF; the spec's other settings are checked as createSubfunction checks them (a bad
 * one is refused, not ignored), except that a namespace is not opened: the container may
 * be gone, and destroying its SF is the clean-up. A call option given here is pointed to
 * the options argument.
 */
export function checkTarget(t: SfTarget, method: 'destroySubfunction' | 'findSubfunction' = 'destroySubfunction'): void {
  if (t !== null && typeof t === 'object' && !Array.isArray(t)) {
    const spec: Record<string, unknown> = { ...t };
    for (const k of Object.keys(t)) {
      if (!(OPTION_KEYS as readonly string[]).includes(k)) continue;
      // findSubfunction has always taken its call options in the target too (its caller checks them): the rest is checked here
      if (method === 'destroySubfunction') {
        throw new ValidationError(`target.${k}`, `${k} goes in the second argument (options): destroySubfunction(target, { ${k} })`);
      }
      delete spec[k];
    }
    checkKeys(spec, 'target', SPEC_KEYS);
    if (Object.keys(spec).some((k) => !(TARGET_KEYS as readonly string[]).includes(k))) {
      const { netns, ...rest } = spec as unknown as SubfunctionSpec;
      if (netns !== undefined) netnsChoice(netns);
      validateSpec(rest as SubfunctionSpec, false);
    }
    return;
  }
  checkKeys(t, 'target', TARGET_KEYS);
}

/**
 * The path a namespace given as a name, a path, { fd } or { pid } can be opened by (for a
 * socket there); undefined for { id }.
 */
export function netnsPath(c: NetnsChoice): string | undefined {
  if ('open' in c) return c.open;
  if (c.attr === 'netnsPid') return `/proc/${c.value}/ns/net`;
  if (c.attr === 'netnsFd') return `/proc/self/fd/${c.value}`;
  return undefined;
}

/** The spec's netns: its form (reload.ts), that it can be opened, and that the SF will have an instance here to move. */
function checkSpecNetns(spec: SubfunctionSpec): void {
  const c = netnsChoice(spec.netns);
  const field = 'open' in c ? 'netns' : `netns.${c.attr === 'netnsFd' ? 'fd' : c.attr === 'netnsPid' ? 'pid' : 'id'}`;
  const at = netnsPath(c);
  if (at === undefined) {
    throw new ValidationError(field, 'a peer id names no namespace this host can open to find the SF in: give a name, a path, { fd } or { pid }');
  }
  if ((spec.controller ?? 0) !== 0) {
    throw new ValidationError('netns', 'an SF of an external controller attaches on that host: there is no instance here to move into a namespace');
  }
  if (spec.activate === false || spec.wait === 'none') {
    throw new ValidationError('netns', 'the SF\'s instance exists only once it has attached: netns needs activate and wait "attached"');
  }
  try {
    fs.statSync(at);
  } catch (e) {
    throw new ValidationError(field, `cannot open network namespace ${JSON.stringify(at)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The function settings that differ from the port's. */
export function differences(f: NonNullable<DevlinkPort['function']>, want: PortFunctionSettings): PortFunctionSettings {
  const diff: Mutable<PortFunctionSettings> = {};
  if (want.hwAddr !== undefined && f.hwAddr !== want.hwAddr) diff.hwAddr = want.hwAddr;
  for (const k of FN_CAP_NAMES) if (want[k] !== undefined && f.caps?.[k] !== want[k]) diff[k] = want[k];
  if (want.maxIoEqs !== undefined && f.maxIoEqs !== want.maxIoEqs) diff.maxIoEqs = want.maxIoEqs;
  return diff;
}
