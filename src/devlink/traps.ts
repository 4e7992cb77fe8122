/**
 * Packet traps, their groups and policers (DEVLINK_CMD_TRAP_*, TRAP_GROUP_*,
 * TRAP_POLICER_*), as 6.1's devlink_nl_trap_fill and friends write them: the handle, then
 * TRAP_GROUP_NAME, TRAP_NAME, TRAP_TYPE u8, [TRAP_GENERIC], TRAP_ACTION u8, TRAP_METADATA
 * (flags: IN_PORT 0, FA_COOKIE 1), STATS (RX_PACKETS 0, RX_BYTES 1, [RX_DROPPED 2], u64).
 * Requests put their attributes in iproute2's order: handle, TRAP_NAME, TRAP_GROUP_NAME,
 * TRAP_ACTION, TRAP_POLICER_ID, TRAP_POLICER_RATE, TRAP_POLICER_BURST.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import type { CallOptions } from '../genl/connection';
import { ProtocolError } from '../genl/errors';
import { Cmd } from './constants';
import type { DevlinkDecoded } from './decode';
import type { Devlink } from './devlink';
import { decodeOne, dumpOf } from './dumps';
import { checkName, checkNameString, checkU64, checkUint, DevHandle, devHandle, parseDevHandle } from './handle';
import type { DevlinkRequestAttrs } from './requests';

/** enum devlink_trap_action and enum devlink_trap_type. */
export const TrapAction = { drop: 0, trap: 1, mirror: 2 } as const;
export const TrapType = { drop: 0, exception: 1, control: 2 } as const;
export type TrapActionName = keyof typeof TrapAction;
export type TrapTypeName = keyof typeof TrapType;
const ACTIONS = Object.keys(TrapAction) as TrapActionName[];

export interface TrapStats {
  readonly rxPackets?: bigint;
  readonly rxBytes?: bigint;
  readonly rxDropped?: bigint;
}

export interface DevlinkTrap {
  readonly handle: string;
  readonly name: string;
  readonly type: TrapTypeName | number;
  readonly generic: boolean;
  readonly action: TrapActionName | number;
  readonly group: string;
  readonly metadata: { readonly inPort: boolean; readonly faCookie: boolean };
  readonly stats: TrapStats;
}

export interface DevlinkTrapGroup {
  readonly handle: string;
  readonly name: string;
  readonly generic: boolean;
  readonly policer?: number;
  readonly stats: TrapStats;
}

export interface DevlinkTrapPolicer {
  readonly handle: string;
  readonly id: number;
  readonly rate?: bigint;
  readonly burst?: bigint;
  readonly stats: TrapStats;
}

export interface TrapGroupSettings {
  readonly action?: TrapActionName;
  /** A policer id, or null to unbind the group from its policer (iproute2's nopolicer). */
  readonly policer?: number | null;
}

export interface TrapPolicerSettings {
  readonly rate?: number | bigint;
  readonly burst?: number | bigint;
}

/** The nested attributes of a binary payload, by type (these nests number from 0). */
function nested(b: Buffer | undefined): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  if (!b) return out;
  for (let p = 0; b.length - p >= 4;) {
    const len = b.readUInt16LE(p);
    if (len < 4 || p + len > b.length) throw new ProtocolError(`a nested attribute at ${p} has length ${len}, past its nest`);
    out.set(b.readUInt16LE(p + 2) & 0x3fff, b.subarray(p + 4, p + len));
    p += (len + 3) & ~3;
  }
  return out;
}

function statsFrom(b: Buffer | undefined): TrapStats {
  const m = nested(b);
  const u64 = (t: number): bigint | undefined => {
    const d = m.get(t);
    return d && d.length >= 8 ? d.readBigUInt64LE(0) : undefined;
  };
  const s: { -readonly [K in keyof TrapStats]: TrapStats[K] } = {};
  const packets = u64(0);
  const bytes = u64(1);
  const dropped = u64(2);
  if (packets !== undefined) s.rxPackets = packets;
  if (bytes !== undefined) s.rxBytes = bytes;
  if (dropped !== undefined) s.rxDropped = dropped;
  return s;
}

const nameOf = <T extends string>(names: Record<T, number>, v: number): T | number =>
  (Object.keys(names) as T[]).find((k) => names[k] === v) ?? v;

function handleOf(a: DevlinkDecoded, what: string): string {
  if (a.busName === undefined || a.devName === undefined) throw new ProtocolError(`the kernel's ${what} message has no handle`);
  return devHandle(a.busName, a.devName);
}

export function trapFrom(a: DevlinkDecoded): DevlinkTrap {
  const handle = handleOf(a, 'trap');
  if (a.trapName === undefined || a.trapGroupName === undefined || a.trapType === undefined || a.trapAction === undefined) {
    throw new ProtocolError("the kernel's trap message lacks its name, group, type or action");
  }
  const md = nested(a.trapMetadata);
  return {
    handle, name: a.trapName, type: nameOf(TrapType, a.trapType), generic: a.trapGeneric === true,
    action: nameOf(TrapAction, a.trapAction), group: a.trapGroupName,
    metadata: { inPort: md.has(0), faCookie: md.has(1) }, stats: statsFrom(a.stats),
  };
}

export function trapGroupFrom(a: DevlinkDecoded): DevlinkTrapGroup {
  const handle = handleOf(a, 'trap group');
  if (a.trapGroupName === undefined) throw new ProtocolError("the kernel's trap group message has no DEVLINK_ATTR_TRAP_GROUP_NAME");
  return {
    handle, name: a.trapGroupName, generic: a.trapGeneric === true,
    ...(a.trapPolicerId !== undefined ? { policer: a.trapPolicerId } : {}), stats: statsFrom(a.stats),
  };
}

export function trapPolicerFrom(a: DevlinkDecoded): DevlinkTrapPolicer {
  const handle = handleOf(a, 'trap policer');
  if (a.trapPolicerId === undefined) throw new ProtocolError("the kernel's trap policer message has no DEVLINK_ATTR_TRAP_POLICER_ID");
  return {
    handle, id: a.trapPolicerId,
    ...(a.trapPolicerRate !== undefined ? { rate: a.trapPolicerRate } : {}),
    ...(a.trapPolicerBurst !== undefined ? { burst: a.trapPolicerBurst } : {}),
    stats: statsFrom(a.stats),
  };
}

type Attrs = { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] };

function devAttrsOf(dev: string): Attrs {
  const h = parseDevHandle(dev);
  return { busName: h.bus, devName: h.dev };
}

export function trapAttrs(dev: string, name: unknown, action?: unknown): Attrs {
  const a = devAttrsOf(dev);
  a.trapName = checkNameString(name, 'trap', 'a trap name');
  if (action !== undefined) a.trapAction = TrapAction[checkName(action, 'action', ACTIONS)];
  return a;
}

export function trapGroupAttrs(dev: string, name: unknown, settings?: TrapGroupSettings): Attrs {
  const a = devAttrsOf(dev);
  a.trapGroupName = checkNameString(name, 'group', 'a trap group name');
  if (settings === undefined) return a;
  const s = checkKeys(settings, 'settings', ['action', 'policer']);
  if (s.action !== undefined) a.trapAction = TrapAction[checkName(s.action, 'action', ACTIONS)];
  if (s.policer !== undefined) a.trapPolicerId = s.policer === null ? 0 : checkUint(s.policer, 'policer', 32);
  if (s.action === undefined && s.policer === undefined) throw new ValidationError('settings', 'nothing to set: give action or policer');
  return a;
}

export function trapPolicerAttrs(dev: string, id: unknown, settings?: TrapPolicerSettings): Attrs {
  const a = devAttrsOf(dev);
  const n = checkUint(id, 'policer', 32);
  if (n === 0) throw new ValidationError('policer', `${describeValue(id)} is not a policer id (they start at 1)`);
  a.trapPolicerId = n;
  if (settings === undefined) return a;
  const s = checkKeys(settings, 'settings', ['rate', 'burst']);
  if (s.rate !== undefined) a.trapPolicerRate = checkU64(s.rate, 'rate');
  if (s.burst !== undefined) a.trapPolicerBurst = checkU64(s.burst, 'burst');
  if (s.rate === undefined && s.burst === undefined) throw new ValidationError('settings', 'nothing to set: give rate or burst');
  return a;
}

type DevFilter = { readonly dev?: string } & CallOptions;
const onDev = (x: { readonly handle: string }, h: DevHandle): boolean => x.handle === `${h.bus}/${h.dev}`;

/** A get's one reply, decoded. */
async function getOne<T>(dl: Devlink, cmd: number, attrs: DevlinkRequestAttrs, call: CallOptions, from: (a: DevlinkDecoded) => T): Promise<T> {
  return decodeOne(await dl.request(cmd, attrs, call), from, '');
}

/** The calls Devlink's trap methods are made of. */
export const traps = {
  list: (dl: Devlink, o: DevFilter) => dumpOf(dl, Cmd.TRAP_GET, o, trapFrom, onDev),
  get: (dl: Devlink, dev: string, name: string, call: CallOptions) => getOne(dl, Cmd.TRAP_GET, trapAttrs(dev, name), call, trapFrom),
  set: async (dl: Devlink, dev: string, name: string, action: TrapActionName, call: CallOptions): Promise<void> => {
    await dl.request(Cmd.TRAP_SET, trapAttrs(dev, name, action), call);
  },
  groups: (dl: Devlink, o: DevFilter) => dumpOf(dl, Cmd.TRAP_GROUP_GET, o, trapGroupFrom, onDev),
  group: (dl: Devlink, dev: string, name: string, call: CallOptions) => getOne(dl, Cmd.TRAP_GROUP_GET, trapGroupAttrs(dev, name), call, trapGroupFrom),
  setGroup: async (dl: Devlink, dev: string, name: string, s: TrapGroupSettings, call: CallOptions): Promise<void> => {
    await dl.request(Cmd.TRAP_GROUP_SET, trapGroupAttrs(dev, name, s), call);
  },
  policers: (dl: Devlink, o: DevFilter) => dumpOf(dl, Cmd.TRAP_POLICER_GET, o, trapPolicerFrom, onDev),
  policer: (dl: Devlink, dev: string, id: number, call: CallOptions) => getOne(dl, Cmd.TRAP_POLICER_GET, trapPolicerAttrs(dev, id), call, trapPolicerFrom),
  setPolicer: async (dl: Devlink, dev: string, id: number, s: TrapPolicerSettings, call: CallOptions): Promise<void> => {
    await dl.request(Cmd.TRAP_POLICER_SET, trapPolicerAttrs(dev, id, s), call);
  },
};
