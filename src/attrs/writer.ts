/**
 * A writer that grows one buffer and patches lengths at the end, libmnl-style:
 * put<Type>(type, value) appends one attribute (struct nlattr + payload, padded to
 * NLA_ALIGNTO), nestStart/nestEnd/nestCancel wrap a nest, reserve() makes room for a
 * fixed header the caller fills in later.
 *
 * Values are written in host byte order (netlink's), except the *Be variants. The host
 * is checked once to be little-endian (every Linux target Node supports is).
 */
import { endianness } from 'node:os';

/** NLA_ALIGNTO: attributes and messages are aligned on 4 bytes. */
export const NLA_ALIGNTO = 4;
/** NLA_HDRLEN: sizeof(struct nlattr). */
export const NLA_HDRLEN = 4;
/** NLA_F_NESTED: set on nests we send. */
export const NLA_F_NESTED = 1 << 15;
/** NLA_F_NET_BYTEORDER. */
export const NLA_F_NET_BYTEORDER = 1 << 14;
/** NLA_TYPE_MASK: the attribute number without the two flag bits. */
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** NLA_ALIGN(len). */
export function nlaAlign(len: number): number {
  return (len + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}

if (endianness() !== 'LE') throw new Error('devlink-sf supports little-endian hosts only');

const U64_MAX = (1n << 64n) - 1n;

export class AttrWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Make room for `n` more bytes, doubling the buffer when needed. */
  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 64); // a 0-byte start must still grow
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Reserve `n` zeroed bytes (a fixed header); returns their offset. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    const b = this.buf;
    // headers are a few bytes: a loop beats a call into fill() here
    for (let i = at; i < at + n; i++) b[i] = 0;
    this.pos += n;
    return at;
  }

  /** Write a u32 at an offset already written (patching a length). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v, at);
  }

  patchU8(at: number, v: number): void {
    this.buf[at] = v;
  }

  /** Start an attribute of `len` payload bytes; returns the payload offset. Pads after it. */
  private attr(type: number, len: number): number {
    const total = NLA_HDRLEN + len;
    const padded = nlaAlign(total);
    this.ensure(padded);
    const b = this.buf;
    const at = this.pos;
    b.writeUInt16LE(total, at);
    b.writeUInt16LE(type, at + 2);
    // zero the padding so output is deterministic
    for (let i = at + total; i < at + padded; i++) b[i] = 0;
    this.pos = at + padded;
    return at + NLA_HDRLEN;
  }

  // Each put takes the payload offset from attr() BEFORE touching this.buf: attr() may
  // grow (replace) the buffer, and `this.buf.writeX(v, this.attr(...))` would evaluate
  // the old buffer first and write the value into it.

  putU8(type: number, v: number): void {
    const at = this.attr(type, 1);
    this.buf[at] = v;
  }

  putU16(type: number, v: number): void {
    const at = this.attr(type, 2);
    this.buf.writeUInt16LE(v, at);
  }

  putU32(type: number, v: number): void {
    const at = this.attr(type, 4);
    this.buf.writeUInt32LE(v, at);
  }

  putU64(type: number, v: bigint): void {
    const at = this.attr(type, 8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), at);
  }

  putS8(type: number, v: number): void {
    const at = this.attr(type, 1);
    this.buf.writeInt8(v, at);
  }

  putS16(type: number, v: number): void {
    const at = this.attr(type, 2);
    this.buf.writeInt16LE(v, at);
  }

  putS32(type: number, v: number): void {
    const at = this.attr(type, 4);
    this.buf.writeInt32LE(v, at);
  }

  putS64(type: number, v: bigint): void {
    const at = this.attr(type, 8);
    this.buf.writeBigInt64LE(v, at);
  }

  putU16Be(type: number, v: number): void {
    const at = this.attr(type, 2);
    this.buf.writeUInt16BE(v, at);
  }

  putU32Be(type: number, v: number): void {
    const at = this.attr(type, 4);
    this.buf.writeUInt32BE(v, at);
  }

  putU64Be(type: number, v: bigint): void {
    const at = this.attr(type, 8);
    this.buf.writeBigUInt64BE(v & U64_MAX, at);
  }

  /** NLA_NUL_STRING: the string's bytes and a terminating NUL. */
  putString(type: number, s: string): void {
    const len = s.length;
    if (len <= 64 && isAscii(s, len)) {
      // the common case (bus and device names): copy the char codes, no UTF-8 encoder
      const at = this.attr(type, len + 1);
      const b = this.buf;
      for (let i = 0; i < len; i++) b[at + i] = s.charCodeAt(i);
      b[at + len] = 0;
      return;
    }
    const n = Buffer.byteLength(s);
    const at = this.attr(type, n + 1);
    this.buf.write(s, at, n, 'utf8');
    this.buf[at + n] = 0;
  }

  putBinary(type: number, data: Uint8Array): void {
    const at = this.attr(type, data.length);
    this.buf.set(data, at);
  }

  /** NLA_FLAG: present or absent, no payload. */
  putFlag(type: number): void {
    this.attr(type, 0);
  }

  /** NLA_BITFIELD32: struct nla_bitfield32 { u32 value; u32 selector; }. */
  putBitfield32(type: number, value: number, selector: number): void {
    const at = this.attr(type, 8);
    this.buf.writeUInt32LE(value >>> 0, at);
    this.buf.writeUInt32LE(selector >>> 0, at + 4);
  }

  /** Open a nest: writes a placeholder header; NLA_F_NESTED is set unless `flagged` is false. */
  nestStart(type: number, flagged = true): number {
    this.ensure(NLA_HDRLEN);
    const at = this.pos;
    this.buf.writeUInt16LE(0, at);
    this.buf.writeUInt16LE(flagged ? type | NLA_F_NESTED : type, at + 2);
    this.pos += NLA_HDRLEN;
    return at;
  }

  /** Close a nest opened at `at`: patch its length. */
  nestEnd(at: number): void {
    this.buf.writeUInt16LE(this.pos - at, at);
  }

  /** Drop a nest opened at `at` and everything written in it. */
  nestCancel(at: number): void {
    this.pos = at;
  }

  /** The bytes written, as a view of the internal buffer (no copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * For a writer used message after message (not part of the package's API): the bytes
 * written in `w`, copied into a Buffer of their length, and `w` emptied for the next one.
 */
export function takeWritten(w: AttrWriter): Buffer {
  const n = w.length;
  const out = Buffer.allocUnsafe(n);
  const b = w['buf'];
  // a request is a few dozen bytes: a loop, where copy() of part of a buffer makes a view of it first
  if (n <= 256) for (let i = 0; i < n; i++) out[i] = b[i];
  else b.copy(out, 0, 0, n);
  w.nestCancel(0);
  return out;
}

function isAscii(s: string, len: number): boolean {
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
