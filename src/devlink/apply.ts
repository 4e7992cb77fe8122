/**
 * Declarative sub-functions: a desired state (the SFs each device should have) is
 * compared with what the kernel has, giving a plan (create, change, delete, unchanged);
 * the plan is applied with bounded concurrency through ensure/destroy, so applying the
 * same state twice changes nothing the second time.
 *
 *   { "devices": { "pci/0000:06:00.0": { "pfnum": 0, "subfunctions": [
 *       { "sfnum": 88, "hwAddr": "00:00:00:00:88:88", "caps": { "roce": true }, "state": "active" } ] } } }
 *
 * `hw_addr` is accepted for `hwAddr`, as iproute2 spells it; `pfnum` may be left out
 * when the device's ports tell it (see devicePfnum).
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, defined } from '../attrs/options';
import { FN_CAP_NAMES } from './constants';
import type { Devlink } from './devlink';
import { checkUint, formatMac, parseDevHandle, parseMac } from './handle';
import { LifecycleOptions, SubfunctionSpec } from './subfunction';
import type { DevlinkPort, PortFunctionCaps } from './types';

export interface DesiredSf {
  readonly sfnum: number;
  readonly pfnum?: number;
  readonly controller?: number;
  readonly hwAddr?: string;
  readonly caps?: PortFunctionCaps;
  readonly maxIoEqs?: number;
  readonly state?: 'active' | 'inactive';
}

export interface DesiredState {
  readonly devices: Readonly<Record<string, { readonly pfnum?: number; readonly subfunctions: readonly DesiredSf[] }>>;
}

export type PlanAction = 'create' | 'change' | 'delete' | 'unchanged';

export interface PlanItem {
  readonly action: PlanAction;
  readonly dev: string;
  readonly pfnum: number;
  readonly sfnum: number;
  readonly controller: number;
  /** The port as it is now (change, delete, unchanged). */
  readonly current?: DevlinkPort;
  /** What will be applied (create, change, unchanged). */
  readonly spec?: SubfunctionSpec;
  /** For change: the fields that differ. */
  readonly changes?: readonly string[];
}

export interface ApplyOptions extends LifecycleOptions {
  /** Delete SFs of the listed devices that the desired state does not name. */
  readonly prune?: boolean;
  /** SFs worked on at once (default 8). */
  readonly concurrency?: number;
  /** Called after each item, done or failed. */
  readonly onProgress?: (done: number, total: number, item: PlanItem, error?: unknown) => void;
  /** Per-SF time bound (default 60 s). */
  readonly timeoutMs?: number;
}

export interface ApplyResult {
  readonly plan: readonly PlanItem[];
  readonly created: number;
  readonly changed: number;
  readonly deleted: number;
  readonly unchanged: number;
  readonly failed: readonly { readonly item: PlanItem; readonly error: unknown }[];
}


/** Check a parsed YAML/JSON document; errors name the field, e.g. devices["pci/0000:06:00.0"].subfunctions[1].hwAddr. */
export function parseDesiredState(doc: unknown): DesiredState {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ValidationError('(file)', 'expected an object with "devices"');
  const devicesIn = (doc as Record<string, unknown>).devices;
  if (devicesIn === null || typeof devicesIn !== 'object' || Array.isArray(devicesIn)) {
    throw new ValidationError('devices', 'expected a map from device handle to { pfnum?, subfunctions: [...] }');
  }
  const devices: Record<string, { pfnum?: number; subfunctions: DesiredSf[] }> = {};
  for (const [dev, v] of Object.entries(devicesIn as Record<string, unknown>)) {
    const at = `devices[${JSON.stringify(dev)}]`;
    parseDevHandle(dev, at);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(at, 'expected { pfnum?, subfunctions: [...] }');
    const d = v as Record<string, unknown>;
    const pfnum = d.pfnum === undefined ? undefined : checkUint(d.pfnum, `${at}.pfnum`, 16);
    const list = d.subfunctions ?? [];
    if (!Array.isArray(list)) throw new ValidationError(`${at}.subfunctions`, 'expected a list');
    const seen = new Set<string>();
    const sfs = list.map((x, i) => parseSf(x, `${at}.subfunctions[${i}]`));
    for (const [i, sf] of sfs.entries()) {
      const k = `${sf.pfnum ?? pfnum}|${sf.controller ?? 0}|${sf.sfnum}`;
      if (seen.has(k)) throw new ValidationError(`${at}.subfunctions[${i}].sfnum`, `sfnum ${sf.sfnum} is listed twice`);
      seen.add(k);
    }
    devices[dev] = pfnum === undefined ? { subfunctions: sfs } : { pfnum, subfunctions: sfs };
  }
  return { devices };
}

const SF_KEYS = ['sfnum', 'pfnum', 'controller', 'hwAddr', 'hw_addr', 'caps', 'maxIoEqs', 'max_io_eqs', 'state'] as const;

function parseSf(x: unknown, at: string): DesiredSf {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) throw new ValidationError(at, 'expected { sfnum, hwAddr?, caps?, state? }');
  const o = checkKeys(x as Record<string, unknown>, at, SF_KEYS);
  const sf: { -readonly [K in keyof DesiredSf]: DesiredSf[K] } = { sfnum: checkUint(o.sfnum, `${at}.sfnum`, 32) };
  if (o.pfnum !== undefined) sf.pfnum = checkUint(o.pfnum, `${at}.pfnum`, 16);
  if (o.controller !== undefined) sf.controller = checkUint(o.controller, `${at}.controller`, 32);
  const mac = o.hwAddr ?? o.hw_addr;
  if (mac !== undefined) sf.hwAddr = formatMac(parseMac(mac, `${at}.hwAddr`));
  if (o.caps !== undefined) {
    const caps: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(checkKeys(o.caps as Record<string, unknown>, `${at}.caps`, FN_CAP_NAMES))) {
      if (typeof v !== 'boolean') throw new ValidationError(`${at}.caps.${k}`, 'expected true or false');
      caps[k] = v;
    }
    sf.caps = caps;
  }
  const eqs = o.maxIoEqs ?? o.max_io_eqs;
  if (eqs !== undefined) sf.maxIoEqs = checkUint(eqs, `${at}.maxIoEqs`, 32);
  if (o.state !== undefined) {
    if (o.state !== 'active' && o.state !== 'inactive') throw new ValidationError(`${at}.state`, 'expected "active" or "inactive"');
    sf.state = o.state;
  }
  return sf;
}

/**
 * The device's own PF number: from its local PF, VF or SF ports when it has any, else
 * from its uplink (mlx5 numbers the physical port after the PF: port 0 on PF 0).
 */
export function devicePfnum(ports: readonly DevlinkPort[]): number | undefined {
  const isLocalFn = (p: DevlinkPort): boolean => p.flavour === 'pcipf' || p.flavour === 'pcivf' || p.flavour === 'pcisf';
  const local = ports.find((p) => isLocalFn(p) && p.pfnum !== undefined && p.external !== true && (p.controller ?? 0) === 0);
  if (local) return local.pfnum;
  const uplinks = ports.filter((p) => p.flavour === 'physical' && p.number !== undefined);
  return uplinks.length === 1 ? uplinks[0].number : undefined;
}

/** Compare the desired state with the kernel's. Nothing is changed. */
export async function planApply(dl: Devlink, desired: DesiredState, o: Pick<ApplyOptions, 'prune' | 'signal'> = {}): Promise<PlanItem[]> {
  checkApplyOptions(o);
  const plan: PlanItem[] = [];
  for (const [dev, d] of Object.entries(desired.devices)) {
    const ports = await dl.ports({ dev, ...(o.signal ? { signal: o.signal } : {}) });
    const sfPorts = ports.filter((p) => p.flavour === 'pcisf');
    const defaultPf = d.pfnum ?? devicePfnum(ports);
    const wanted = new Set<DevlinkPort>();
    for (const sf of d.subfunctions) {
      const pfnum = sf.pfnum ?? defaultPf;
      if (pfnum === undefined) throw new ValidationError(`devices[${JSON.stringify(dev)}].pfnum`, 'no pfnum given and the device has no port that tells it');
      const controller = sf.controller ?? 0;
      const spec: SubfunctionSpec = {
        dev, pfnum, sfnum: sf.sfnum, ...(sf.controller !== undefined ? { controller } : {}),
        ...(sf.hwAddr !== undefined ? { hwAddr: sf.hwAddr } : {}), ...(sf.caps ? { caps: sf.caps } : {}),
        ...(sf.maxIoEqs !== undefined ? { maxIoEqs: sf.maxIoEqs } : {}), activate: sf.state !== 'inactive',
      };
      const cur = sfPorts.find((p) => p.pfnum === pfnum && p.sfnum === sf.sfnum && (p.controller ?? 0) === controller);
      if (!cur) {
        plan.push({ action: 'create', dev, pfnum, sfnum: sf.sfnum, controller, spec });
        continue;
      }
      wanted.add(cur);
      const changes = differences(cur, sf);
      const action = changes.length ? 'change' : 'unchanged';
      plan.push({ action, dev, pfnum, sfnum: sf.sfnum, controller, current: cur, spec, ...(changes.length ? { changes } : {}) });
    }
    if (o.prune) {
      for (const p of sfPorts) {
        if (wanted.has(p)) continue;
        plan.push({ action: 'delete', dev, pfnum: p.pfnum ?? 0, sfnum: p.sfnum ?? 0, controller: p.controller ?? 0, current: p });
      }
    }
  }
  return plan;
}

function differences(p: DevlinkPort, sf: DesiredSf): string[] {
  const out: string[] = [];
  const f = p.function ?? {};
  if (sf.hwAddr !== undefined && f.hwAddr !== sf.hwAddr) out.push(`hw_addr ${f.hwAddr ?? '-'} -> ${sf.hwAddr}`);
  for (const k of FN_CAP_NAMES) {
    const want = sf.caps?.[k];
    if (want !== undefined && f.caps?.[k] !== want) out.push(`${k} ${f.caps?.[k] ?? '-'} -> ${want}`);
  }
  if (sf.maxIoEqs !== undefined && f.maxIoEqs !== sf.maxIoEqs) out.push(`max_io_eqs ${f.maxIoEqs ?? '-'} -> ${sf.maxIoEqs}`);
  const state = sf.state ?? 'active';
  if (f.state !== state) out.push(`state ${String(f.state ?? '-')} -> ${state}`);
  return out;
}

const APPLY_KEYS = ['prune', 'concurrency', 'onProgress', 'timeoutMs', 'signal', 'sysfsRoot'] as const;

function checkApplyOptions(o: ApplyOptions): void {
  checkKeys(o, 'options', APPLY_KEYS);
  if (o.concurrency !== undefined && (typeof o.concurrency !== 'number' || !Number.isInteger(o.concurrency) || o.concurrency < 1)) {
    throw new ValidationError('concurrency', 'expected a positive integer');
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new ValidationError('onProgress', 'expected a function');
  if (o.prune !== undefined && typeof o.prune !== 'boolean') throw new ValidationError('prune', 'expected true or false');
}

/** Carry out a plan with bounded concurrency; failures are collected, not thrown. */
export async function runPlan(dl: Devlink, plan: readonly PlanItem[], o: ApplyOptions = {}): Promise<ApplyResult> {
  checkApplyOptions(o);
  const limit = o.concurrency ?? 8;
  const failed: { item: PlanItem; error: unknown }[] = [];
  const counts = { create: 0, change: 0, delete: 0, unchanged: 0 };
  let next = 0;
  let done = 0;
  const life: LifecycleOptions = defined({ timeoutMs: o.timeoutMs, signal: o.signal, sysfsRoot: o.sysfsRoot || undefined });
  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const item = plan[next++];
      let error: unknown;
      try {
        if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
        if (item.action === 'create' || item.action === 'change') await dl.ensureSubfunction({ ...item.spec!, ...life });
        else if (item.action === 'delete') {
          await dl.destroySubfunction({ dev: item.dev, pfnum: item.pfnum, sfnum: item.sfnum, controller: item.controller }, life);
        }
        counts[item.action]++;
      } catch (e) {
        error = e;
        failed.push({ item, error: e });
      }
      done++;
      o.onProgress?.(done, plan.length, item, error);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, plan.length) }, worker));
  return { plan, created: counts.create, changed: counts.change, deleted: counts.delete, unchanged: counts.unchanged, failed };
}

/** planApply then runPlan: the whole of `devlink-sf apply` as a function. */
export async function applyDesiredState(dl: Devlink, desired: DesiredState, o: ApplyOptions = {}): Promise<ApplyResult> {
  return runPlan(dl, await planApply(dl, desired, o), o);
}

