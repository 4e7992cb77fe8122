/**
 * Table-driven encoding with validation: every value is checked against its attribute's
 * type (integer range, enum name, string and binary length) before it is written, and a
 * refused value raises ValidationError naming the attribute path. Attributes are
 * written in the order of the object's keys, so a caller controls the wire order
 * (iproute2's order, for byte-identical requests).
 */
import { ValidationError } from './errors';
import { AttrDefs, AttrSet, Bitfield32, CompiledAttr, Encodable, Kind, UnknownAttr } from './schema';
import { AttrWriter, NLA_HDRLEN } from './writer';

/** nla_len is a u16: the most payload one attribute (or nest) can carry. */
const MAX_PAYLOAD = 0xffff - NLA_HDRLEN;

/** Encode `value` with `set` into `w`. On ValidationError nothing is left written in `w`. */
export function encodeAttrs<D extends AttrDefs>(set: AttrSet<D>, value: Encodable<D>, w: AttrWriter): void {
  const start = w.length;
  try {
    encodeRun(set, value as Record<string, unknown>, w, '');
  } catch (e) {
    w.nestCancel(start); // rewind: a refused value must not leave half an object behind
    throw e;
  }
}

function encodeRun(set: AttrSet<AttrDefs>, value: Record<string, unknown>, w: AttrWriter, path: string): void {
  if (value === null || typeof value !== 'object') throw new ValidationError(path || set.name, 'expected an object');
  for (const key in value) {
    const v = value[key];
    if (v === undefined) continue;
    if (key === '$unknown') {
      if (!Array.isArray(v)) throw new ValidationError(path + '.$unknown', 'expected an array');
      for (const u of v as readonly UnknownAttr[]) putUnknown(u, w, path + '.$unknown');
      continue;
    }
    const c = set.byKey.get(key);
    if (c === undefined) throw new ValidationError(path + '.' + key, `not an attribute of ${set.name}`);
    if (c.multi) {
      if (!Array.isArray(v)) throw invalid(path, c, 'expected an array (the attribute repeats)');
      for (const item of v) writeValue(c, item, w, path);
    } else {
      writeValue(c, v, w, path);
    }
  }
}

/**
 * The attribute's path is only spelled out when something is refused (`invalid`):
 * building it for every attribute written was a measurable share of encoding.
 */
function invalid(parent: string, c: CompiledAttr, reason: string, suffix = ''): ValidationError {
  return new ValidationError(parent + '.' + c.name + suffix, reason);
}

/** Write attribute `c` with value `v`; `parent` is the path of the run it belongs to. */
function writeValue(c: CompiledAttr, v: unknown, w: AttrWriter, parent: string): void {
  const id = c.id;
  switch (c.kind) {
    case Kind.U8: w.putU8(id, uint(c, v, 0xff, parent)); return;
    case Kind.U16: w.putU16(id, uint(c, v, 0xffff, parent)); return;
    case Kind.U32: w.putU32(id, uint(c, v, 0xffffffff, parent)); return;
    case Kind.U16BE: w.putU16Be(id, uint(c, v, 0xffff, parent)); return;
    case Kind.U32BE: w.putU32Be(id, uint(c, v, 0xffffffff, parent)); return;
    case Kind.S8: w.putS8(id, sint(c, v, 7, parent)); return;
    case Kind.S16: w.putS16(id, sint(c, v, 15, parent)); return;
    case Kind.S32: w.putS32(id, sint(c, v, 31, parent)); return;
    case Kind.U64: w.putU64(id, big(c, v, false, parent)); return;
    case Kind.U64BE: w.putU64Be(id, big(c, v, false, parent)); return;
    case Kind.S64: w.putS64(id, big(c, v, true, parent)); return;
    case Kind.STRING: {
      if (typeof v !== 'string') throw invalid(parent, c, 'expected a string');
      const n = stringBytes(v);
      if (n < 0) throw invalid(parent, c, 'contains a NUL character');
      if (c.maxLen >= 0 && n > c.maxLen) throw invalid(parent, c, `longer than ${c.maxLen} bytes`);
      if (n + 1 > MAX_PAYLOAD) throw invalid(parent, c, `longer than an attribute can hold (${MAX_PAYLOAD - 1} bytes)`);
      w.putString(id, v);
      return;
    }
    case Kind.BINARY: {
      if (!(v instanceof Uint8Array)) throw invalid(parent, c, 'expected bytes (a Buffer or Uint8Array)');
      if (c.maxLen >= 0 && v.length > c.maxLen) throw invalid(parent, c, `longer than ${c.maxLen} bytes`);
      if (v.length > MAX_PAYLOAD) throw invalid(parent, c, `longer than an attribute can hold (${MAX_PAYLOAD} bytes)`);
      w.putBinary(id, v);
      return;
    }
    case Kind.FLAG:
      if (typeof v !== 'boolean') throw invalid(parent, c, 'expected true or false');
      if (v) w.putFlag(id);
      return;
    case Kind.BITFIELD32: {
      const b = v as Bitfield32;
      if (b === null || typeof b !== 'object') throw invalid(parent, c, 'expected { value, selector }');
      w.putBitfield32(id, uint(c, b.value, 0xffffffff, parent, '.value'), uint(c, b.selector, 0xffffffff, parent, '.selector'));
      return;
    }
    case Kind.NEST: {
      const path = parent + '.' + c.name;
      const set = c.nestedSet();
      if (set === undefined) throw new ValidationError(path, 'nest without an attribute set');
      const at = w.nestStart(id, c.flagNested);
      encodeRun(set, v as Record<string, unknown>, w, path);
      nestEnd(w, at, path);
      return;
    }
    case Kind.NEST_ARRAY: {
      const path = parent + '.' + c.name;
      const set = c.nestedSet();
      if (set === undefined) throw new ValidationError(path, 'nest without an attribute set');
      if (!Array.isArray(v)) throw new ValidationError(path, 'expected an array');
      const at = w.nestStart(id, c.flagNested);
      v.forEach((entry, i) => {
        const e = w.nestStart(i + 1, c.flagNested);
        encodeRun(set, entry as Record<string, unknown>, w, `${path}[${i}]`);
        nestEnd(w, e, `${path}[${i}]`);
      });
      nestEnd(w, at, path);
      return;
    }
  }
}

/**
 * UTF-8 length of a string, or -1 when it contains a NUL. ASCII (the usual bus, device
 * and netdev names) is measured in JavaScript, without a call into C++.
 */
function stringBytes(v: string): number {
  for (let i = 0; i < v.length; i++) {
    const ch = v.charCodeAt(i);
    if (ch === 0) return -1;
    if (ch >= 0x80) return v.includes('\0', i) ? -1 : Buffer.byteLength(v);
  }
  return v.length;
}

/** Close a nest, refusing one whose contents overflow nla_len. */
function nestEnd(w: AttrWriter, at: number, path: string): void {
  if (w.length - at > 0xffff) throw new ValidationError(path, `nest longer than an attribute can hold (${MAX_PAYLOAD} bytes)`);
  w.nestEnd(at);
}

/** An attribute kept from a decode, written back as it came. */
function putUnknown(u: UnknownAttr, w: AttrWriter, path: string): void {
  if (u === null || typeof u !== 'object' || !Number.isInteger(u.type) || u.type < 0 || u.type > 0xffff) {
    throw new ValidationError(path, 'expected { type: 0..65535, data }');
  }
  if (!(u.data instanceof Uint8Array)) throw new ValidationError(path, 'expected bytes (a Buffer or Uint8Array)');
  if (u.data.length > MAX_PAYLOAD) throw new ValidationError(path, `longer than an attribute can hold (${MAX_PAYLOAD} bytes)`);
  w.putBinary(u.type, u.data);
}

/** An unsigned integer, or an enum name, within [0, max]. */
function uint(c: CompiledAttr, v: unknown, max: number, parent: string, suffix = ''): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === 'string' && c.enumValues !== undefined) {
    const n = c.enumValues[v];
    if (n === undefined || !Object.prototype.hasOwnProperty.call(c.enumValues, v)) {
      throw invalid(parent, c, `"${v}" is not one of ${Object.keys(c.enumValues).join(', ')}`, suffix);
    }
    return n;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalid(parent, c, c.enumValues ? `expected one of ${Object.keys(c.enumValues).join(', ')}` : 'expected an integer', suffix);
  }
  throw invalid(parent, c, `${v} is outside 0..${max}`, suffix);
}

function sint(c: CompiledAttr, v: unknown, bits: number, parent: string): number {
  const lim = 2 ** bits;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(parent, c, 'expected an integer');
  if (v < -lim || v >= lim) throw invalid(parent, c, `${v} is outside ${-lim}..${lim - 1}`);
  return v;
}

function big(c: CompiledAttr, v: unknown, signed: boolean, parent: string): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else throw invalid(parent, c, 'expected a bigint or a safe integer');
  const lo = signed ? -(1n << 63n) : 0n;
  const hi = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  if (b < lo || b > hi) throw invalid(parent, c, `${b} is outside ${lo}..${hi}`);
  return b;
}
