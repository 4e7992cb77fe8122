/**
 * Table-driven decoding of a run of attributes into a typed object.
 *
 * Every read is bounds-checked: an attribute length below NLA_HDRLEN, one that runs past
 * the end of its container, leftover bytes shorter than an attribute header, and nesting
 * deeper than MAX_NEST_DEPTH all raise MalformedError, never another kind of exception.
 * Each attribute's length is checked against its type once, then read without further
 * checks (libmnl's habit). Attributes the table does not know are kept in `$unknown`, and
 * so is a known fixed-size attribute whose payload has another size (flagged `wrongSize`):
 * a newer kernel widening one attribute must not make a whole port or event undecodable.
 */
import { MalformedError } from './errors';
import { AttrDefs, AttrSet, CompiledAttr, Decoded, FIXED_SIZE, Kind, UnknownAttr } from './schema';
import { NLA_HDRLEN, NLA_TYPE_MASK } from './writer';
import { compileDecoder, RunDecoder } from './compiled';

/** Deeper nesting than this is refused (the kernel's own policies stop at 10). */
export const MAX_NEST_DEPTH = 16;

type Mutable = Record<string, unknown> & { $unknown?: UnknownAttr[] };

/** Decode the attributes in buf[start, end) with `set`. */
export function decodeAttrs<D extends AttrDefs>(
  set: AttrSet<D>,
  buf: Buffer,
  start = 0,
  end = buf.length,
): Decoded<D> {
  checkRange(buf, start, end);
  return decodeRun(set, buf, start, end, 0) as Decoded<D>;
}

function checkRange(buf: Buffer, start: number, end: number): void {
  if (start < 0 || end > buf.length || start > end) {
    throw new MalformedError('attribute range outside the buffer', start);
  }
}

/**
 * decodeAttrs into `into`, an object of the caller's used again for message after message
 * (one object less per message: a dump of 16,000 ports made 16,000 of them, ~160 bytes
 * each). Every key `into` has is set to undefined first, so it reads as a fresh result;
 * nested values, arrays and `$unknown` are new each time. The caller keeps nothing of
 * `into` itself, only the values read out of it, before the next call.
 */
export function decodeAttrsInto<D extends AttrDefs>(
  set: AttrSet<D>, buf: Buffer, start: number, end: number, into: Partial<Decoded<D>>,
): Decoded<D> {
  checkRange(buf, start, end);
  const o = into as Mutable;
  for (const k in o) o[k] = undefined;
  return decodeRun(set, buf, start, end, 0, o) as Decoded<D>;
}

/** Each set's compiled decoder (null: the set keeps the generic loop), built on first use. */
const compiled = new WeakMap<AttrSet<AttrDefs>, RunDecoder | null>();

const helpers = {
  value: (c: CompiledAttr, buf: Buffer, at: number, len: number, depth: number): unknown => {
    try {
      return readValue(c, buf, at, len, depth);
    } catch (e) {
      throw e instanceof MalformedError ? e.within('.' + c.name) : e;
    }
  },
  string: (buf: Buffer, at: number, len: number): string => readString(buf, at, len),
  maxDepth: MAX_NEST_DEPTH,
};

/** One run of attributes; `into`: the object to decode into (decodeAttrsInto), else a new one. */
function decodeRun(set: AttrSet<AttrDefs>, buf: Buffer, start: number, end: number, depth: number, into?: Mutable): Mutable {
  let f = compiled.get(set);
  if (f === undefined) {
    f = compileDecoder(set, helpers) ?? null;
    compiled.set(set, f);
  }
  return f !== null ? f(buf, start, end, depth, into) : genericRun(set, buf, start, end, depth, into);
}

/** decodeAttrs without the compiled decoders: what they must reproduce (for tests). */
export function decodeAttrsGeneric<D extends AttrDefs>(set: AttrSet<D>, buf: Buffer, start = 0, end = buf.length): Decoded<D> {
  return genericRun(set, buf, start, end, 0) as Decoded<D>;
}

/** The table-driven loop the compiled decoders reproduce. */
function genericRun(set: AttrSet<AttrDefs>, buf: Buffer, start: number, end: number, depth: number, into?: Mutable): Mutable {
  if (depth > MAX_NEST_DEPTH) throw new MalformedError(`nesting deeper than ${MAX_NEST_DEPTH}`, start);
  const out: Mutable = into ?? {};
  const byId = set.byId;
  let p = start;
  while (end - p >= NLA_HDRLEN) {
    const len = buf[p] | (buf[p + 1] << 8);
    const rawType = buf[p + 2] | (buf[p + 3] << 8);
    if (len < NLA_HDRLEN) throw new MalformedError(`attribute length ${len} below ${NLA_HDRLEN}`, p);
    if (len > end - p) throw new MalformedError(`attribute length ${len} runs past the end`, p);
    const c = byId[rawType & NLA_TYPE_MASK];
    const size = c === undefined ? -1 : FIXED_SIZE[c.kind];
    if (c === undefined || (size >= 0 && len - NLA_HDRLEN !== size)) {
      const data = Buffer.from(buf.subarray(p + NLA_HDRLEN, p + len));
      (out.$unknown ??= []).push(c === undefined ? { type: rawType, data } : { type: rawType, data, wrongSize: { name: c.name, expected: size } });
    } else {
      let v: unknown;
      try {
        v = readValue(c, buf, p + NLA_HDRLEN, len - NLA_HDRLEN, depth);
      } catch (e) {
        throw e instanceof MalformedError ? e.within('.' + c.name) : e;
      }
      if (c.multi) {
        const arr = out[c.key] as unknown[] | undefined;
        if (arr === undefined) out[c.key] = [v];
        else arr.push(v);
      } else {
        out[c.key] = v;
      }
    }
    p += (len + 3) & ~3;
  }
  if (p < end) throw new MalformedError(`${end - p} bytes left over after the last attribute`, p);
  return out;
}

function readValue(c: CompiledAttr, buf: Buffer, at: number, len: number, depth: number): unknown {
  const kind = c.kind;
  const size = FIXED_SIZE[kind];
  if (size >= 0 && len !== size) {
    throw new MalformedError(`payload of ${len} bytes for a ${c.def.type} (expects ${size})`, at - NLA_HDRLEN);
  }
  let n: number;
  switch (kind) {
    case Kind.U8: n = buf[at]; break;
    case Kind.U16: n = buf[at] | (buf[at + 1] << 8); break;
    case Kind.U32: n = buf.readUInt32LE(at); break;
    case Kind.S8: n = buf.readInt8(at); break;
    case Kind.S16: n = buf.readInt16LE(at); break;
    case Kind.S32: n = buf.readInt32LE(at); break;
    case Kind.U16BE: n = buf.readUInt16BE(at); break;
    case Kind.U32BE: n = buf.readUInt32BE(at); break;
    case Kind.U64: return buf.readBigUInt64LE(at);
    case Kind.S64: return buf.readBigInt64LE(at);
    case Kind.U64BE: return buf.readBigUInt64BE(at);
    case Kind.STRING: return readString(buf, at, len);
    case Kind.BINARY: return Buffer.from(buf.subarray(at, at + len));
    case Kind.FLAG: return true;
    case Kind.BITFIELD32: return { value: buf.readUInt32LE(at), selector: buf.readUInt32LE(at + 4) };
    case Kind.NEST: {
      const set = c.nestedSet();
      return set ? decodeRun(set, buf, at, at + len, depth + 1) : Buffer.from(buf.subarray(at, at + len));
    }
    case Kind.NEST_ARRAY: return readNestArray(c, buf, at, len, depth);
    default: throw new MalformedError(`no reader for kind ${kind as number}`, at);
  }
  if (c.enumNames !== undefined) {
    const name = c.enumNames.get(n);
    if (name !== undefined) return name;
  }
  return n;
}

/** Entries of the table of recently decoded short strings (a power of two). */
const SHORT_STRINGS = 256;
const shortStrings: string[] = new Array<string>(SHORT_STRINGS).fill('');

/** NLA_NUL_STRING: drop the terminating NUL (and anything after a first NUL). */
function readString(buf: Buffer, at: number, len: number): string {
  let end = at + len;
  // Short ASCII strings are the common case, and repeat (bus, device and driver names in
  // every message of a dump): looked up in a small table first, by a hash taken while
  // checking the bytes, so a repeated name allocates nothing.
  if (len <= 24) {
    let h = 0;
    let i = at;
    for (; i < end; i++) {
      const ch = buf[i];
      if (ch === 0) break;
      if (ch >= 0x80) return buf.toString('utf8', at, nulEnd(buf, at, end));
      h = (h * 31 + ch) | 0;
    }
    const n = i - at;
    const slot = (h ^ (h >>> 9)) & (SHORT_STRINGS - 1);
    const cached = shortStrings[slot];
    if (cached.length === n) {
      let j = 0;
      while (j < n && cached.charCodeAt(j) === buf[at + j]) j++;
      if (j === n) return cached;
    }
    const s = buf.toString('latin1', at, i);
    shortStrings[slot] = s;
    return s;
  }
  end = nulEnd(buf, at, end);
  return buf.toString('utf8', at, end);
}

function nulEnd(buf: Buffer, at: number, end: number): number {
  const z = buf.indexOf(0, at);
  return z >= 0 && z < end ? z : end;
}

/** An indexed array of nests: each inner attribute is one entry, decoded with the nested set. */
function readNestArray(c: CompiledAttr, buf: Buffer, at: number, len: number, depth: number): unknown[] {
  const set = c.nestedSet();
  const out: unknown[] = [];
  const end = at + len;
  let p = at;
  while (end - p >= NLA_HDRLEN) {
    const l = buf[p] | (buf[p + 1] << 8);
    if (l < NLA_HDRLEN) throw new MalformedError(`attribute length ${l} below ${NLA_HDRLEN}`, p, `[${out.length}]`);
    if (l > end - p) throw new MalformedError(`attribute length ${l} runs past the end`, p, `[${out.length}]`);
    try {
      out.push(set ? decodeRun(set, buf, p + NLA_HDRLEN, p + l, depth + 1) : Buffer.from(buf.subarray(p + NLA_HDRLEN, p + l)));
    } catch (e) {
      throw e instanceof MalformedError ? e.within(`[${out.length}]`) : e;
    }
    p += (l + 3) & ~3;
  }
  if (p < end) throw new MalformedError(`${end - p} bytes left over after the last attribute`, p, `[${out.length}]`);
  return out;
}
