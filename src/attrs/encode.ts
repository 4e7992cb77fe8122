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
    const at = path + '.' + (c ? c.name : key);
    if (c === undefined) throw new ValidationError(at, `not an attribute of ${set.name}`);
    if (c.multi) {
      if (!Array.isArray(v)) throw new ValidationError(at, 'expected an array (the attribute repeats)');
      for (const item of v) writeValue(c, item, w, at);
    } else {
      writeValue(c, v, w, at);
    }
  }
}

function writeValue(c: CompiledAttr, v: unknown, w: AttrWriter, path: string): void {
  const id = c.id;
  switch (c.kind) {
    case Kind.U8: w.putU8(id, uint(c, v, 0xff, path)); return;
    case Kind.U16: w.putU16(id, uint(c, v, 0xffff, path)); return;
    case Kind.U32: w.putU32(id, uint(c, v, 0xffffffff, path)); return;
    case Kind.U16BE: w.putU16Be(id, uint(c, v, 0xffff, path)); return;
    case Kind.U32BE: w.putU32Be(id, uint(c, v, 0xffffffff, path)); return;
    case Kind.S8: w.putS8(id, sint(v, 7, path)); return;
    case Kind.S16: w.putS16(id, sint(v, 15, path)); return;
    case Kind.S32: w.putS32(id, sint(v, 31, path)); return;
    case Kind.U64: w.putU64(id, big(v, false, path)); return;
    case Kind.U64BE: w.putU64Be(id, big(v, false, path)); return;
    case Kind.S64: w.putS64(id, big(v, true, path)); return;
    case Kind.STRING: {
      if (typeof v !== 'string') throw new ValidationError(path, 'expected a string');
      if (v.includes('\0')) throw new ValidationError(path, 'contains a NUL character');
      const n = Buffer.byteLength(v);
      if (c.maxLen >= 0 && n > c.maxLen) throw new ValidationError(path, `longer than ${c.maxLen} bytes`);
      if (n + 1 > MAX_PAYLOAD) throw new ValidationError(path, `longer than an attribute can hold (${MAX_PAYLOAD - 1} bytes)`);
      w.putString(id, v);
      return;
    }
    case Kind.BINARY: {
      if (!(v instanceof Uint8Array)) throw new ValidationError(path, 'expected bytes (a Buffer or Uint8Array)');
      if (c.maxLen >= 0 && v.length > c.maxLen) throw new ValidationError(path, `longer than ${c.maxLen} bytes`);
      if (v.length > MAX_PAYLOAD) throw new ValidationError(path, `longer than an attribute can hold (${MAX_PAYLOAD} bytes)`);
      w.putBinary(id, v);
      return;
    }
    case Kind.FLAG:
      if (typeof v !== 'boolean') throw new ValidationError(path, 'expected true or false');
      if (v) w.putFlag(id);
      return;
    case Kind.BITFIELD32: {
      const b = v as Bitfield32;
      if (b === null || typeof b !== 'object') throw new ValidationError(path, 'expected { value, selector }');
      w.putBitfield32(id, uint(c, b.value, 0xffffffff, path + '.value'), uint(c, b.selector, 0xffffffff, path + '.selector'));
      return;
    }
    case Kind.NEST: {
      const set = c.nestedSet();
      if (set === undefined) throw new ValidationError(path, 'nest without an attribute set');
      const at = w.nestStart(id, c.flagNested);
      encodeRun(set, v as Record<string, unknown>, w, path);
      nestEnd(w, at, path);
      return;
    }
    case Kind.NEST_ARRAY: {
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
function uint(c: CompiledAttr, v: unknown, max: number, path: string): number {
  if (typeof v === 'string' && c.enumValues !== undefined) {
    const n = c.enumValues[v];
    if (n === undefined || !Object.prototype.hasOwnProperty.call(c.enumValues, v)) {
      throw new ValidationError(path, `"${v}" is not one of ${Object.keys(c.enumValues).join(', ')}`);
    }
    return n;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ValidationError(path, c.enumValues ? `expected one of ${Object.keys(c.enumValues).join(', ')}` : 'expected an integer');
  }
  if (v < 0 || v > max) throw new ValidationError(path, `${v} is outside 0..${max}`);
  return v;
}

function sint(v: unknown, bits: number, path: string): number {
  const lim = 2 ** bits;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValidationError(path, 'expected an integer');
  if (v < -lim || v >= lim) throw new ValidationError(path, `${v} is outside ${-lim}..${lim - 1}`);
  return v;
}

function big(v: unknown, signed: boolean, path: string): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else throw new ValidationError(path, 'expected a bigint or a safe integer');
  const lo = signed ? -(1n << 63n) : 0n;
  const hi = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  if (b < lo || b > hi) throw new ValidationError(path, `${b} is outside ${lo}..${hi}`);
  return b;
}
