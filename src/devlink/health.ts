/**
 * Health reporters (DEVLINK_CMD_HEALTH_REPORTER_*): of a device ('pci/0000:06:00.0') or of
 * a port ('pci/0000:06:00.0/65535'), named ('fw', 'tx', ...). Requests carry the handle,
 * [PORT_INDEX], HEALTH_REPORTER_NAME, then GRACEFUL_PERIOD u64, AUTO_RECOVER u8 and
 * AUTO_DUMP u8, the order of iproute2's dl_opts_put (iproute2 6.1 writes the attributes
 * of `health recover` twice, a slip of its own; we write them once).
 *
 * Diagnose answers with formatted messages in several parts and a DONE; the dump is a
 * netlink dump. Both come back as one fmsg tree (fmsg.ts).
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import type { CallOptions } from '../genl/connection';
import { ProtocolError } from '../genl/errors';
import { NlMsg } from '../genl/message';
import { Cmd } from './constants';
import { decodeMessage, DevlinkDecoded } from './decode';
import type { Devlink } from './devlink';
import { decodeOne, dumpOf } from './dumps';
import { FmsgItem, fmsgItems, FmsgObject, fmsgTree } from './fmsg';
import { checkBool, checkNameString, checkU64, devHandle, isPortHandle, parseDevHandle, parsePortHandle, portHandle } from './handle';
import type { DevlinkRequestAttrs } from './requests';

/** enum devlink_health_reporter_state. */
export const HealthState = { healthy: 0, error: 1 } as const;
export type HealthStateName = keyof typeof HealthState;

export interface HealthReporter {
  /** The owner's handle: the device's, or the port's for a port reporter. */
  readonly handle: string;
  /** The device's handle. */
  readonly dev: string;
  readonly port?: number;
  readonly name: string;
  /** A number for a state this library does not know. */
  readonly state: HealthStateName | number;
  readonly errorCount: bigint;
  readonly recoverCount: bigint;
  /** Reporters that can recover: the least time between recoveries, in ms. */
  readonly gracePeriodMs?: bigint;
  readonly autoRecover?: boolean;
  /** Reporters that can dump: whether an error takes a dump by itself. */
  readonly autoDump?: boolean;
  /** When the stored dump was taken: ms since boot (DUMP_TS), and ns since the epoch (DUMP_TS_NS). */
  readonly lastDumpMs?: bigint;
  readonly lastDumpNs?: bigint;
}

export interface HealthReporterSettings {
  readonly gracePeriodMs?: number | bigint;
  readonly autoRecover?: boolean;
  readonly autoDump?: boolean;
}

export const HEALTH_SETTINGS_KEYS = ['gracePeriodMs', 'autoRecover', 'autoDump'] as const satisfies readonly (keyof HealthReporterSettings)[];

type Attrs = { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] };

/** The owner (device or port handle) and the reporter name, checked. */
export function reporterAttrs(handle: unknown, name: unknown): Attrs {
  if (typeof handle !== 'string') throw new ValidationError('handle', `expected a device or port handle, got ${describeValue(handle)}`);
  const a: Attrs = {};
  if (isPortHandle(handle)) {
    const h = parsePortHandle(handle, 'handle');
    Object.assign(a, { busName: h.bus, devName: h.dev, portIndex: h.index });
  } else {
    const h = parseDevHandle(handle, 'handle');
    Object.assign(a, { busName: h.bus, devName: h.dev });
  }
  a.healthReporterName = checkNameString(name, 'reporter', 'a health reporter name');
  return a;
}

/** DEVLINK_CMD_HEALTH_REPORTER_SET: at least one setting. */
export function healthSetAttrs(handle: unknown, name: unknown, settings: HealthReporterSettings): Attrs {
  const a = reporterAttrs(handle, name);
  const s = checkKeys(settings, 'settings', HEALTH_SETTINGS_KEYS);
  if (s.gracePeriodMs !== undefined) a.healthReporterGracefulPeriod = checkU64(s.gracePeriodMs, 'gracePeriodMs');
  if (s.autoRecover !== undefined) a.healthReporterAutoRecover = checkBool(s.autoRecover, 'autoRecover') ? 1 : 0;
  if (s.autoDump !== undefined) a.healthReporterAutoDump = checkBool(s.autoDump, 'autoDump') ? 1 : 0;
  if (Object.keys(a).length === (a.portIndex === undefined ? 3 : 4)) {
    throw new ValidationError('settings', `nothing to set: give ${HEALTH_SETTINGS_KEYS.join(', ')}`);
  }
  return a;
}

const STATE_NAMES = new Map<number, HealthStateName>(Object.entries(HealthState).map(([k, v]) => [v, k as HealthStateName]));

export function reporterFrom(a: DevlinkDecoded): HealthReporter {
  const r = a.healthReporter;
  if (a.busName === undefined || a.devName === undefined) throw new ProtocolError("the kernel's health reporter message has no handle");
  if (!r || r.healthReporterName === undefined || r.healthReporterState === undefined) {
    throw new ProtocolError("the kernel's health reporter message has no DEVLINK_ATTR_HEALTH_REPORTER with name and state");
  }
  const dev = devHandle(a.busName, a.devName);
  const out: { -readonly [K in keyof HealthReporter]: HealthReporter[K] } = {
    handle: a.portIndex !== undefined ? portHandle(a.busName, a.devName, a.portIndex) : dev,
    dev,
    name: r.healthReporterName,
    state: STATE_NAMES.get(r.healthReporterState) ?? r.healthReporterState,
    errorCount: r.healthReporterErrCount ?? 0n,
    recoverCount: r.healthReporterRecoverCount ?? 0n,
  };
  if (a.portIndex !== undefined) out.port = a.portIndex;
  if (r.healthReporterGracefulPeriod !== undefined) out.gracePeriodMs = r.healthReporterGracefulPeriod;
  if (r.healthReporterAutoRecover !== undefined) out.autoRecover = r.healthReporterAutoRecover !== 0;
  if (r.healthReporterAutoDump !== undefined) out.autoDump = r.healthReporterAutoDump !== 0;
  if (r.healthReporterDumpTs !== undefined) out.lastDumpMs = r.healthReporterDumpTs;
  if (r.healthReporterDumpTsNs !== undefined) out.lastDumpNs = r.healthReporterDumpTsNs;
  return out;
}

/** The fmsg stream of every message, joined. */
export function fmsgItemsFrom(msgs: readonly NlMsg[]): FmsgItem[] {
  const items: FmsgItem[] = [];
  for (const m of msgs) {
    const f = decodeMessage(m).fmsg;
    if (f) items.push(...fmsgItems(f));
  }
  return items;
}

/** The fmsg stream of every message, read as one tree. */
export function fmsgFrom(msgs: readonly NlMsg[]): FmsgObject {
  return fmsgTree(fmsgItemsFrom(msgs));
}

/** The calls Devlink's health methods are made of (devlink.ts delegates here). */
export const health = {
  list(dl: Devlink, o: { readonly dev?: string } & CallOptions): Promise<HealthReporter[]> {
    // 6.1 dumps every reporter whatever the request names; the filter runs here
    return dumpOf(dl, Cmd.HEALTH_REPORTER_GET, o, reporterFrom, (r, h) => r.dev === devHandle(h.bus, h.dev));
  },

  async get(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<HealthReporter> {
    return decodeOne(await dl.request(Cmd.HEALTH_REPORTER_GET, reporterAttrs(handle, name), call), reporterFrom, 'health reporter get');
  },

  async recover(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<void> {
    await dl.request(Cmd.HEALTH_REPORTER_RECOVER, reporterAttrs(handle, name), call);
  },

  async diagnose(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<FmsgObject> {
    return fmsgTree(await health.diagnoseItems(dl, handle, name, call));
  },

  /** The stream as the kernel sent it (for printers that follow it item by item, as iproute2's). */
  async diagnoseItems(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<FmsgItem[]> {
    return fmsgItemsFrom(await dl.request(Cmd.HEALTH_REPORTER_DIAGNOSE, reporterAttrs(handle, name), call));
  },

  /** The stored dump, taken now if there is none (the kernel's dump get does). */
  async dump(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<FmsgObject> {
    return fmsgTree(await health.dumpItems(dl, handle, name, call));
  },

  async dumpItems(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<FmsgItem[]> {
    return fmsgItemsFrom(await dl.dump(Cmd.HEALTH_REPORTER_DUMP_GET, reporterAttrs(handle, name), call));
  },

  /** HEALTH_REPORTER_TEST: the driver reports a test error (netdevsim's dummy does). */
  async test(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<void> {
    await dl.request(Cmd.HEALTH_REPORTER_TEST, reporterAttrs(handle, name), call);
  },

  async clearDump(dl: Devlink, handle: string, name: string, call: CallOptions): Promise<void> {
    await dl.request(Cmd.HEALTH_REPORTER_DUMP_CLEAR, reporterAttrs(handle, name), call);
  },

  async set(dl: Devlink, handle: string, name: string, settings: HealthReporterSettings, call: CallOptions): Promise<void> {
    await dl.request(Cmd.HEALTH_REPORTER_SET, healthSetAttrs(handle, name, settings), call);
  },
};
