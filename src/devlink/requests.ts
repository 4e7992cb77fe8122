/**
 * Devlink request builders: validated input in, one netlink message out, attributes in
 * the order iproute2's dl_opts_put() writes them (handle, port type, split count,
 * eswitch mode / inline / encap, param name and cmode, reload action and limits,
 * port function nest, flavour, pfnum, sfnum, controller, rate attributes), so our
 * requests are byte-identical to `devlink`'s apart from sequence and port numbers,
 * with two exceptions that are iproute2 6.1's: it sends genl version 0 (fixed in 6.9;
 * we send DEVLINK_GENL_VERSION, 1) and leaves attribute padding unzeroed (we zero it).
 */
import { encodeAttrs } from '../attrs/encode';
import { Encodable } from '../attrs/schema';
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../genl/constants';
import { finishRequest, finishRequestCopy, startRequest, startRequestIn } from '../genl/message';
import { AttrWriter } from '../attrs/writer';
import {
  Cmd, DEVLINK_GENL_VERSION, EncapMode, EswitchMode, FnCap, InlineMode, ParamCmode, ParamType, PortFlavour, PortType,
} from './constants';
import { checkBool, checkName, checkNameString, checkU64, checkUint, DevHandle, parseMac, parseRateHandle, PortHandle } from './handle';
import { DevlinkAttrs, devlinkAttrs } from './schema';
import {
  ADD_PORT_OPTIONS_KEYS, AddPortOptions, ESWITCH_SETTINGS_KEYS, EswitchSettings, ParamValue, PORT_FUNCTION_CAPS_KEYS,
  PORT_FUNCTION_SETTINGS_KEYS, PortFunctionSettings, RATE_SETTINGS_KEYS, RateSettings,
} from './types';

export type DevlinkRequestAttrs = Encodable<DevlinkAttrs>;

/**
 * The writer devlink requests are encoded in, then copied out of at their length: one
 * Buffer per request, where a writer of its own made a writer, a buffer and a view of it
 * (port gets come by the thousand). Taken while in use: a request built meanwhile (from a
 * getter of the attributes, say) gets a writer of its own.
 */
let spareWriter: AttrWriter | undefined = new AttrWriter(256);

/** One devlink message: `familyId` is the run-time id from nlctrl. */
export function devlinkRequest(familyId: number, cmd: number, attrs: DevlinkRequestAttrs, dump = false): Buffer {
  const flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
  const spare = spareWriter;
  if (spare === undefined) {
    const w = startRequest(familyId, flags, cmd, DEVLINK_GENL_VERSION, 0, 128);
    encodeAttrs(devlinkAttrs, attrs, w);
    return finishRequest(w);
  }
  spareWriter = undefined;
  try {
    const w = startRequestIn(spare, familyId, flags, cmd, DEVLINK_GENL_VERSION);
    encodeAttrs(devlinkAttrs, attrs, w);
    return finishRequestCopy(w);
  } finally {
    spare.nestCancel(0); // empty again, also after a refused value (encodeAttrs leaves the header)
    spareWriter = spare;
  }
}

/**
 * Do-requests the kernel answers with exactly one message (their doit ends in
 * genlmsg_reply): sent without NLM_F_ACK, done at the reply, one datagram less. Not the
 * dpipe and health diagnose gets, which answer in several messages and a DONE.
 */
export const ONE_REPLY: ReadonlySet<number> = new Set([Cmd.GET, Cmd.PORT_GET, Cmd.ESWITCH_GET, Cmd.PARAM_GET, Cmd.INFO_GET, Cmd.RATE_GET]);

/** The object a request is about, as a handle: 'pci/0000:06:00.0/32768', 'pci/0000:06:00.0 param max_macs'. */
export function targetOf(a: DevlinkRequestAttrs): string {
  if (a.busName === undefined || a.devName === undefined) return '';
  const dev = `${a.busName}/${a.devName}`;
  if (a.portIndex !== undefined) return `${dev}/${a.portIndex}`;
  if (a.rateNodeName !== undefined) return `${dev}/${a.rateNodeName}`;
  if (a.paramName !== undefined) return `${dev} param ${a.paramName}`;
  return dev;
}

export function devAttrs(h: DevHandle): DevlinkRequestAttrs {
  return { busName: h.bus, devName: h.dev };
}

export function portAttrs(h: PortHandle): DevlinkRequestAttrs {
  return { busName: h.bus, devName: h.dev, portIndex: h.index };
}

const FLAVOURS = Object.keys(PortFlavour) as (keyof typeof PortFlavour)[];

/** DEVLINK_CMD_PORT_NEW: handle, [port index], flavour u16, pfnum u16, [sfnum u32], [controller u32]. */
export function addPortAttrs(h: DevHandle, options: AddPortOptions): DevlinkRequestAttrs {
  const o = checkKeys(options, '', ADD_PORT_OPTIONS_KEYS);
  const flavour = checkName(o.flavour, 'flavour', FLAVOURS);
  const pfnum = checkUint(o.pfnum, 'pfnum', 16);
  const a: { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] } = { busName: h.bus, devName: h.dev };
  if (o.index !== undefined) a.portIndex = checkUint(o.index, 'index', 32);
  a.portFlavour = flavour;
  a.portPciPfNumber = pfnum;
  // no sfnum for pcisf is the driver's to judge (mlx5 refuses; ice allocates, or on 6.12 EINVAL): the core accepts it
  if (o.sfnum !== undefined) a.portPciSfNumber = checkUint(o.sfnum, 'sfnum', 32);
  if (o.controller !== undefined) a.portControllerNumber = checkUint(o.controller, 'controller', 32);
  return a;
}

type FunctionAttrs = { -readonly [K in keyof NonNullable<DevlinkRequestAttrs['portFunction']>]: NonNullable<DevlinkRequestAttrs['portFunction']>[K] };

/**
 * The caps bitfield32 of a port function: selector = the capabilities given, value =
 * those set. A capability may be given flat (`roce`) or in `caps` (`caps.roce`), not
 * both ways differently.
 */
function capsBitfield(s: PortFunctionSettings): FunctionAttrs['caps'] {
  const nested = checkKeys(s.caps, 'caps', PORT_FUNCTION_CAPS_KEYS);
  let value = 0;
  let selector = 0;
  for (const name of PORT_FUNCTION_CAPS_KEYS) {
    const flat = s[name] === undefined ? undefined : checkBool(s[name], name);
    const inCaps = nested[name] === undefined ? undefined : checkBool(nested[name], `caps.${name}`);
    if (flat !== undefined && inCaps !== undefined && flat !== inCaps) {
      throw new ValidationError(name, `${flat} here but caps.${name} is ${inCaps}`);
    }
    const v = flat ?? inCaps;
    if (v === undefined) continue;
    selector |= FnCap[name];
    if (v) value |= FnCap[name];
  }
  return selector ? { value, selector } : undefined;
}

/** DEVLINK_CMD_PORT_SET with a PORT_FUNCTION nest (NLA_F_NESTED): hw_addr, state, caps, max_io_eqs. */
export function portFunctionAttrs(h: PortHandle, settings: PortFunctionSettings): DevlinkRequestAttrs {
  const s = checkKeys(settings, '', PORT_FUNCTION_SETTINGS_KEYS);
  const fn: FunctionAttrs = {};
  if (s.hwAddr !== undefined) fn.hwAddr = parseMac(s.hwAddr, 'hwAddr');
  if (s.state !== undefined) fn.state = checkName(s.state, 'state', ['active', 'inactive'] as const);
  const caps = capsBitfield(s);
  if (caps) fn.caps = caps;
  if (s.maxIoEqs !== undefined) fn.maxIoEqs = checkUint(s.maxIoEqs, 'maxIoEqs', 32);
  if (Object.keys(fn).length === 0) {
    throw new ValidationError('settings', `nothing to set: give ${PORT_FUNCTION_SETTINGS_KEYS.join(', ')}`);
  }
  return { ...portAttrs(h), portFunction: fn };
}

const ESW_MODES = Object.keys(EswitchMode) as (keyof typeof EswitchMode)[];
const INLINE_MODES = Object.keys(InlineMode) as (keyof typeof InlineMode)[];
const ENCAP_MODES = Object.keys(EncapMode) as (keyof typeof EncapMode)[];

/** DEVLINK_CMD_ESWITCH_SET: handle, mode u16, inline-mode u8, encap-mode u8. */
export function eswitchAttrs(h: DevHandle, settings: EswitchSettings): DevlinkRequestAttrs {
  const s = checkKeys(settings, '', ESWITCH_SETTINGS_KEYS);
  const a: { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] } = devAttrs(h);
  if (s.mode !== undefined) a.eswitchMode = checkName(s.mode, 'mode', ESW_MODES);
  if (s.inlineMode !== undefined) a.eswitchInlineMode = checkName(s.inlineMode, 'inlineMode', INLINE_MODES);
  if (s.encapMode !== undefined) a.eswitchEncapMode = checkName(s.encapMode, 'encapMode', ENCAP_MODES);
  if (Object.keys(a).length === 2) throw new ValidationError('settings', `nothing to set: give ${ESWITCH_SETTINGS_KEYS.join(', ')}`);
  return a;
}

const PORT_TYPES = ['auto', 'eth', 'ib'] as const;

export function portTypeAttrs(h: PortHandle, type: string): DevlinkRequestAttrs {
  return { ...portAttrs(h), portType: checkName(type, 'type', PORT_TYPES) as keyof typeof PortType };
}

export function splitAttrs(h: PortHandle, count: number): DevlinkRequestAttrs {
  return { ...portAttrs(h), portSplitCount: checkUint(count, 'count', 32) };
}

export const PARAM_CMODES = Object.keys(ParamCmode) as (keyof typeof ParamCmode)[];

/**
 * DEVLINK_CMD_PARAM_SET: handle, PARAM_NAME, PARAM_VALUE_CMODE, PARAM_TYPE, then
 * PARAM_VALUE_DATA typed by the parameter's type (a flag for a true bool, nothing for false).
 */
export function paramSetRequest(familyId: number, h: DevHandle, name: string, type: number, value: ParamValue, cmode: string): Buffer {
  checkNameString(name, 'name', 'a parameter name');
  const cm = checkName(cmode, 'cmode', PARAM_CMODES);
  const w = startRequest(familyId, NLM_F_REQUEST | NLM_F_ACK, Cmd.PARAM_SET, DEVLINK_GENL_VERSION, 0, 128);
  encodeAttrs(devlinkAttrs, { busName: h.bus, devName: h.dev, paramName: name, paramValueCmode: cm, paramType: type }, w);
  putParamValue(w, type, value);
  return finishRequest(w);
}

const PARAM_VALUE_DATA = 86;
/** __DEVLINK_PARAM_MAX_STRING_VALUE (include/net/devlink.h): a string value and its NUL; longer ones get EINVAL. */
const PARAM_MAX_STRING_VALUE = 32;

function putParamValue(w: AttrWriter, type: number, v: ParamValue): void {
  checkParamValue(type, v, 'value');
  switch (type) {
    case ParamType.u8: w.putU8(PARAM_VALUE_DATA, v as number); return;
    case ParamType.u16: w.putU16(PARAM_VALUE_DATA, v as number); return;
    case ParamType.u32: w.putU32(PARAM_VALUE_DATA, v as number); return;
    case ParamType.u64: w.putU64(PARAM_VALUE_DATA, checkU64(v, 'value')); return;
    case ParamType.string: w.putString(PARAM_VALUE_DATA, v as string); return;
    case ParamType.bool: if (v === true) w.putFlag(PARAM_VALUE_DATA); return;
  }
}

/** A value a parameter of type `type` (ParamType) can take, as PARAM_SET writes it; else a ValidationError naming `field`. */
export function checkParamValue(type: number, v: unknown, field: string): void {
  switch (type) {
    case ParamType.u8: checkUint(v, field, 8); return;
    case ParamType.u16: checkUint(v, field, 16); return;
    case ParamType.u32: checkUint(v, field, 32); return;
    case ParamType.u64: checkU64(v, field); return;
    case ParamType.string: checkParamString(v, field); return;
    case ParamType.bool: checkBool(v, field); return;
    default:
      throw new ValidationError(field, `parameter type ${type} is not one this library can write`);
  }
}

function checkParamString(v: unknown, field: string): void {
  if (typeof v !== 'string' || v.includes('\0')) throw new ValidationError(field, `expected a string without NUL, got ${describeValue(v)}`);
  if (Buffer.byteLength(v) >= PARAM_MAX_STRING_VALUE) {
    throw new ValidationError(field, `${describeValue(v)} is longer than ${PARAM_MAX_STRING_VALUE - 1} bytes, the most a parameter string holds`);
  }
}

/**
 * A value some parameter type can take, the type unknown (a driver's own parameter): true
 * or false, an integer from 0 to 2^64-1 (a number or a bigint), or a string a parameter
 * holds. Else a ValidationError naming `field`.
 */
export function checkAnyParamValue(v: unknown, field: string): void {
  if (typeof v === 'boolean') return;
  if (typeof v === 'string') return checkParamString(v, field);
  if (typeof v === 'number' || typeof v === 'bigint') {
    checkU64(v, field);
    return;
  }
  throw new ValidationError(field, `expected true or false, an integer from 0 to 2^64-1 or a string, got ${describeValue(v)}`);
}

/** Rate attributes in iproute2's order: tx_share, tx_priority, tx_weight, tx_max, parent. */
export function rateSettingsAttrs(settings: RateSettings): DevlinkRequestAttrs {
  const s = checkKeys(settings, '', RATE_SETTINGS_KEYS);
  const a: { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] } = {};
  if (s.txShare !== undefined) a.rateTxShare = checkU64(s.txShare, 'txShare');
  if (s.txPriority !== undefined) a.rateTxPriority = checkUint(s.txPriority, 'txPriority', 32);
  if (s.txWeight !== undefined) a.rateTxWeight = checkUint(s.txWeight, 'txWeight', 32);
  if (s.txMax !== undefined) a.rateTxMax = checkU64(s.txMax, 'txMax');
  // '' detaches from the parent (iproute2's noparent sends the empty string)
  if (s.parent !== undefined) a.rateParentNodeName = s.parent === '' ? '' : checkNameString(s.parent, 'parent', 'a rate node name');
  if (s.tcBws !== undefined) {
    if (!Array.isArray(s.tcBws)) throw new ValidationError('tcBws', 'expected a list of { index, bw }');
    a.rateTcBws = s.tcBws.map((t: unknown, i) => {
      const o = checkKeys(t as { index?: unknown; bw?: unknown }, `tcBws[${i}]`, ['index', 'bw']);
      const index = checkUint(o.index, `tcBws[${i}].index`, 8);
      if (index > 7) throw new ValidationError(`tcBws[${i}].index`, `${index} is not a traffic class (0..7)`);
      return { rateTcIndex: index, rateTcBw: checkUint(o.bw, `tcBws[${i}].bw`, 32) };
    });
  }
  return a;
}

/** DEVLINK_ATTR_RATE_TC_BWS. */
const TC_BWS_ATTR = 180;

/**
 * Rate settings as attributes for a family that knows attributes up to `maxAttr` (0:
 * not said). Traffic-class shares need DEVLINK_ATTR_RATE_TC_BWS (180, Linux 6.16): a
 * kernel whose family says it knows fewer attributes would refuse them (6.1: EINVAL) or,
 * with liberal per-op policies, ignore them; they are refused here.
 */
export function rateSettingsFor(settings: RateSettings, maxAttr: number): DevlinkRequestAttrs {
  const a = rateSettingsAttrs(settings);
  if (a.rateTcBws !== undefined && maxAttr !== 0 && maxAttr < TC_BWS_ATTR) {
    throw new ValidationError('tcBws', `this kernel's devlink knows attributes up to ${maxAttr}; traffic-class shares need ${TC_BWS_ATTR} (Linux 6.16+)`);
  }
  return a;
}

/** A rate object's handle attributes: a leaf's port index, or a node's name. */
export function rateAttrs(r: ReturnType<typeof parseRateHandle>): DevlinkRequestAttrs {
  return r.node !== undefined
    ? { busName: r.bus, devName: r.dev, rateNodeName: r.node }
    : { busName: r.bus, devName: r.dev, portIndex: r.index };
}

/** rateAttrs of a handle ('pci/0000:06:00.0/32768', 'pci/0000:06:00.0/group1'), checked. */
export function rateHandleAttrs(handle: string): DevlinkRequestAttrs {
  return rateAttrs(parseRateHandle(handle));
}
