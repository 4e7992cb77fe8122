/**
 * Devlink messages to typed objects. Every decoder starts from the same table-driven
 * decodeAttrs(devlinkAttrs, ...) and maps the result; what the tables do not know is
 * kept in `unknown`, never an error.
 *
 * What identifies an object (bus and device name, port index, rate node name) must be
 * there and must make a handle this library accepts back (handle.ts, nameFault): a reply
 * that breaks this is the kernel's fault, not the caller's, and is a ProtocolError, not
 * the ValidationError that re-reading the handle would raise later.
 */
import { describeValue } from '../attrs/options';
import { decodeAttrs, decodeAttrsInto } from '../attrs/decode';
import { Decoded } from '../attrs/schema';
import { ProtocolError } from '../genl/errors';
import { genlAttrsStart, NlMsg } from '../genl/message';
import { FnCap, ParamType } from './constants';
import { devHandle, formatMac, nameFault, portHandle } from './handle';
import { devlinkAttrs, DevlinkAttrs, portFunctionAttrs } from './schema';
import type { DevlinkDevice, DevlinkParam, DevlinkPort, DevlinkRate, DeviceInfo, EswitchInfo, ParamValue, PortFunction, PortFunctionCaps } from './types';

export type DevlinkDecoded = Decoded<DevlinkAttrs>;

/** The attributes of a devlink message. */
export function decodeMessage(m: NlMsg): DevlinkDecoded {
  return decodeAttrs(devlinkAttrs, m.buf, genlAttrsStart(m), m.offset + m.length);
}

/** decodeMessage into `scratch`, an object used again for each message of a dump (decodeAttrsInto). */
export function decodeMessageInto(m: NlMsg, scratch: Partial<DevlinkDecoded>): DevlinkDecoded {
  return decodeAttrsInto(devlinkAttrs, m.buf, genlAttrsStart(m), m.offset + m.length, scratch);
}

/** One name of an object's identity, as the kernel sent it (`attr`: its uapi name). */
function nameFrom(v: string | undefined, attr: string): string {
  if (v === undefined) throw new ProtocolError(`the kernel's devlink message has no ${attr}`);
  const fault = nameFault(v);
  if (fault !== undefined) throw new ProtocolError(`the kernel's devlink message has a ${attr} that ${fault}: ${describeValue(v)}`);
  return v;
}

/** The bus and device names of a message, or of a nested handle (`where`: the nest's uapi name). */
function identityFrom(a: { readonly busName?: string; readonly devName?: string }, where = ''): { bus: string; dev: string } {
  return { bus: nameFrom(a.busName, `${where}DEVLINK_ATTR_BUS_NAME`), dev: nameFrom(a.devName, `${where}DEVLINK_ATTR_DEV_NAME`) };
}

/**
 * The device the last port message named, checked once: a dump sends thousands of ports
 * of a few devices in a row. The port objects share its bus and device strings (one copy
 * each instead of one per port: less to allocate, and to copy at each young-generation
 * GC while a dump's ports are held) and its handle prefix "bus/dev/".
 */
let lastBus = '';
let lastDev = '';
let lastPrefix = '';

/** The (interned) identity of a port message and its handle prefix. */
function portIdentity(a: DevlinkDecoded): void {
  const bus = a.busName;
  const dev = a.devName;
  if (bus === lastBus && dev === lastDev && bus !== '') return;
  const id = identityFrom(a);
  lastBus = id.bus;
  lastDev = id.dev;
  lastPrefix = `${id.bus}/${id.dev}/`;
}

function devHandleFrom(a: { readonly busName?: string; readonly devName?: string }, where = ''): string {
  const { bus, dev } = identityFrom(a, where);
  return devHandle(bus, dev);
}

/** DEVLINK_ATTR_PORT_INDEX, which every port message carries. */
function portIndexFrom(a: DevlinkDecoded): number {
  if (a.portIndex === undefined) throw new ProtocolError("the kernel's devlink port message has no DEVLINK_ATTR_PORT_INDEX");
  return a.portIndex;
}

export function deviceFrom(a: DevlinkDecoded): DevlinkDevice {
  const { bus, dev } = identityFrom(a);
  const d: { -readonly [K in keyof DevlinkDevice]: DevlinkDevice[K] } = { handle: devHandle(bus, dev), bus, dev };
  if (a.reloadFailed !== undefined) d.reloadFailed = a.reloadFailed !== 0;
  if (a.nestedDevlink) d.nested = a.nestedDevlink.map((h) => devHandleFrom(h, 'DEVLINK_ATTR_NESTED_DEVLINK.'));
  if (a.$unknown) d.unknown = a.$unknown;
  return d;
}

type PortFields = { -readonly [K in keyof DevlinkPort]: DevlinkPort[K] };

/**
 * Builds a port as the object literal portFrom once built, same keys in the same order, an
 * optional one absent when the kernel did not send it, and Object.prototype as its
 * prototype (deepStrictEqual against a literal holds). A constructor, not a literal with
 * keys added one by one: V8 sizes the objects a constructor makes to hold every key it
 * assigns, so a port is one object instead of an object and a separate array of the keys
 * added past the literal's (a 16,000-port dump holds 16,000 of them through several
 * scavenges: bench/README.md).
 */
interface PortObjectCtor {
  new (a: DevlinkDecoded, handle: string, bus: string, dev: string, index: number): PortFields;
}
const PortObject = function (this: PortFields, a: DevlinkDecoded, handle: string, bus: string, dev: string, index: number): void {
  this.handle = handle;
  this.bus = bus;
  this.dev = dev;
  this.index = index;
  this.type = a.portType ?? 'notset';
  if (a.portDesiredType !== undefined) this.desiredType = a.portDesiredType;
  if (a.portNetdevName !== undefined) this.netdev = a.portNetdevName;
  if (a.portNetdevIfindex !== undefined) this.ifindex = a.portNetdevIfindex;
  if (a.portIbdevName !== undefined) this.ibdev = a.portIbdevName;
  if (a.portFlavour !== undefined) this.flavour = a.portFlavour;
  if (a.portNumber !== undefined) this.number = a.portNumber;
  if (a.portControllerNumber !== undefined) this.controller = a.portControllerNumber;
  if (a.portPciPfNumber !== undefined) this.pfnum = a.portPciPfNumber;
  if (a.portPciVfNumber !== undefined) this.vfnum = a.portPciVfNumber;
  if (a.portPciSfNumber !== undefined) this.sfnum = a.portPciSfNumber;
  if (a.portExternal !== undefined) this.external = a.portExternal !== 0;
  if (a.portSplittable !== undefined) this.splittable = a.portSplittable !== 0;
  if (a.portLanes !== undefined) this.lanes = a.portLanes;
  if (a.portSplitGroup !== undefined) this.splitGroup = a.portSplitGroup;
  if (a.portSplitSubportNumber !== undefined) this.splitSubportNumber = a.portSplitSubportNumber;
  if (a.portSplitCount !== undefined) this.splitCount = a.portSplitCount;
  if (a.linecardIndex !== undefined) this.linecard = a.linecardIndex;
  if (a.portFunction !== undefined) this.function = functionFrom(a.portFunction);
  if (a.$unknown) this.unknown = a.$unknown;
} as unknown as PortObjectCtor;
PortObject.prototype = Object.prototype;

export function portFrom(a: DevlinkDecoded): DevlinkPort {
  portIdentity(a);
  const index = portIndexFrom(a);
  // portHandle(bus, dev, index), from the prefix
  return new PortObject(a, lastPrefix + index, lastBus, lastDev, index);
}

/**
 * The decoders that read values out of the decoded attributes and keep nothing of the
 * object itself (its nested objects, arrays and `$unknown` are new per message): a dump
 * through one of them decodes every message into one reused object (dumps.ts). A test
 * decodes two messages in a row that way and checks the first result did not change.
 */
export const KEEPS_NO_DECODED: ReadonlySet<(a: DevlinkDecoded) => unknown> = new Set<(a: DevlinkDecoded) => unknown>([portFrom, deviceFrom]);

function functionFrom(f: Decoded<typeof portFunctionAttrs.defs>): PortFunction {
  const out: { -readonly [K in keyof PortFunction]: PortFunction[K] } = {};
  if (f.hwAddr !== undefined) out.hwAddr = formatMac(f.hwAddr);
  if (f.state !== undefined) out.state = f.state;
  if (f.opstate !== undefined) out.opstate = f.opstate;
  if (f.caps !== undefined) out.caps = capsFrom(f.caps.value, f.caps.selector);
  if (f.maxIoEqs !== undefined) out.maxIoEqs = f.maxIoEqs;
  if (f.devlink !== undefined) out.devlink = devHandleFrom(f.devlink, 'DEVLINK_PORT_FN_ATTR_DEVLINK.');
  if (f.$unknown) out.unknown = f.$unknown;
  return out;
}

/** The kernel reports caps with selector = the bits it supports; value = the bits set. */
function capsFrom(value: number, selector: number): PortFunctionCaps {
  const caps: { -readonly [K in keyof PortFunctionCaps]: boolean } = {};
  const sel = selector || value;
  for (const [name, bit] of Object.entries(FnCap) as [keyof PortFunctionCaps, number][]) {
    if (sel & bit) caps[name] = (value & bit) !== 0;
  }
  return caps;
}

export function eswitchFrom(a: DevlinkDecoded): EswitchInfo {
  const e: { -readonly [K in keyof EswitchInfo]: EswitchInfo[K] } = { handle: devHandleFrom(a) };
  if (a.eswitchMode !== undefined) e.mode = a.eswitchMode;
  if (a.eswitchInlineMode !== undefined) e.inlineMode = a.eswitchInlineMode;
  if (a.eswitchEncapMode !== undefined) e.encapMode = a.eswitchEncapMode;
  return e;
}

export function infoFrom(a: DevlinkDecoded): DeviceInfo {
  const versions = (list: DevlinkDecoded['infoVersionFixed']): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const v of list ?? []) if (v.infoVersionName !== undefined) out[v.infoVersionName] = v.infoVersionValue ?? '';
    return out;
  };
  const info: { -readonly [K in keyof DeviceInfo]: DeviceInfo[K] } = {
    handle: devHandleFrom(a),
    versions: { fixed: versions(a.infoVersionFixed), running: versions(a.infoVersionRunning), stored: versions(a.infoVersionStored) },
  };
  if (a.infoDriverName !== undefined) info.driver = a.infoDriverName;
  if (a.infoSerialNumber !== undefined) info.serialNumber = a.infoSerialNumber;
  if (a.infoBoardSerialNumber !== undefined) info.boardSerialNumber = a.infoBoardSerialNumber;
  return info;
}

const PARAM_TYPE_NAMES = new Map<number, DevlinkParam['type']>(Object.entries(ParamType).map(([k, v]) => [v, k as DevlinkParam['type']]));

export function paramFrom(a: DevlinkDecoded): DevlinkParam {
  const p = a.param ?? {};
  const typeNum = p.paramType ?? 0;
  const type = PARAM_TYPE_NAMES.get(typeNum) ?? typeNum;
  const values = (p.paramValuesList?.paramValue ?? []).map((v) => ({
    cmode: v.paramValueCmode ?? 'runtime',
    value: paramValue(typeNum, v.paramValueData),
  }));
  const handle = devHandleFrom(a);
  if (p.paramName === undefined) throw new ProtocolError("the kernel's devlink param message has no DEVLINK_ATTR_PARAM_NAME");
  return { handle, name: p.paramName, generic: p.paramGeneric === true, type, values };
}

/** PARAM_VALUE_DATA is typed by PARAM_TYPE: NLA_U8..NLA_U64, NLA_STRING, NLA_FLAG (present = true). */
function paramValue(type: number, data: Buffer | undefined): ParamValue | undefined {
  if (type === ParamType.bool) return data !== undefined;
  if (data === undefined) return undefined;
  switch (type) {
    case ParamType.u8: return data.length >= 1 ? data[0] : undefined;
    case ParamType.u16: return data.length >= 2 ? data.readUInt16LE(0) : undefined;
    case ParamType.u32: return data.length >= 4 ? data.readUInt32LE(0) : undefined;
    case ParamType.u64: return data.length >= 8 ? data.readBigUInt64LE(0) : undefined;
    case ParamType.string: {
      const z = data.indexOf(0);
      return data.toString('utf8', 0, z >= 0 ? z : data.length);
    }
    default: return undefined;
  }
}

export function rateFrom(a: DevlinkDecoded): DevlinkRate {
  const { bus, dev } = identityFrom(a);
  // a node by its name, a leaf by its port's index
  const handle = a.rateNodeName !== undefined
    ? `${bus}/${dev}/${nameFrom(a.rateNodeName, 'DEVLINK_ATTR_RATE_NODE_NAME')}`
    : portHandle(bus, dev, portIndexFrom(a));
  const r: { -readonly [K in keyof DevlinkRate]: DevlinkRate[K] } = {
    handle,
    bus, dev, type: a.rateType ?? (a.rateNodeName !== undefined ? 'node' : 'leaf'),
  };
  if (a.portIndex !== undefined) r.portIndex = a.portIndex;
  if (a.rateNodeName !== undefined) r.nodeName = a.rateNodeName;
  if (a.rateTxShare !== undefined) r.txShare = a.rateTxShare;
  if (a.rateTxMax !== undefined) r.txMax = a.rateTxMax;
  if (a.rateTxPriority !== undefined) r.txPriority = a.rateTxPriority;
  if (a.rateTxWeight !== undefined) r.txWeight = a.rateTxWeight;
  if (a.rateParentNodeName !== undefined) r.parent = a.rateParentNodeName;
  if (a.rateTcBws !== undefined) r.tcBws = a.rateTcBws.map((t) => ({ index: t.rateTcIndex ?? 0, bw: t.rateTcBw ?? 0 }));
  return r;
}
