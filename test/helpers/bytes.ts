/**
 * A tiny byte builder for expected bytes, written from the uapi layouts and NOT from
 * the code under test (no AttrWriter, no message.ts):
 *
 *   struct nlattr    { __u16 nla_len; __u16 nla_type; }                   + payload, NLA_ALIGN(4)
 *   struct nlmsghdr  { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags;
 *                      __u32 nlmsg_seq; __u32 nlmsg_pid; }                  + payload, NLMSG_ALIGN(4)
 *   struct genlmsghdr { __u8 cmd; __u8 version; __u16 reserved; }
 *   struct nlmsgerr  { int error; struct nlmsghdr msg; }                   + echoed payload + TLVs
 *
 * Integers are built byte by byte, little-endian (netlink's host order on every Linux
 * Node runs on) unless named *be.
 */

export type Bytes = readonly number[] | Uint8Array;

/** Bytes from a hex string; spaces, newlines and '|' are ignored. */
export function hex(s: string): Buffer {
  const clean = s.replace(/[\s|]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${s}`);
  const out = Buffer.alloc(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of some bytes (for readable assertion failures). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function cat(...parts: Bytes[]): Buffer {
  const arrays = parts.map((p) => Uint8Array.from(p));
  const out = Buffer.alloc(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function le(n: bigint, size: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(size * 8, n);
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

export const u8 = (n: number): number[] => le(BigInt(n), 1);
export const u16 = (n: number): number[] => le(BigInt(n), 2);
export const u32 = (n: number): number[] => le(BigInt(n), 4);
export const u64 = (n: bigint): number[] => le(n, 8);
export const s8 = (n: number): number[] => le(BigInt(n), 1);
export const s16 = (n: number): number[] => le(BigInt(n), 2);
export const s32 = (n: number): number[] => le(BigInt(n), 4);
export const s64 = (n: bigint): number[] => le(n, 8);
export const u16be = (n: number): number[] => le(BigInt(n), 2).reverse();
export const u32be = (n: number): number[] => le(BigInt(n), 4).reverse();
export const u64be = (n: bigint): number[] => le(n, 8).reverse();

/** ASCII/UTF-8 bytes of a string followed by a NUL (NLA_NUL_STRING). */
export function strz(s: string): number[] {
  return [...Buffer.from(s, 'utf8'), 0];
}

/** (len + 3) & ~3, spelled out. */
export function align4(n: number): number {
  return n % 4 === 0 ? n : n + (4 - (n % 4));
}

/** struct nlattr + payload + zero padding to 4. */
export function nla(type: number, payload: Bytes = []): Buffer {
  const p = Uint8Array.from(payload);
  const len = 4 + p.length;
  const out = Buffer.alloc(align4(len));
  out[0] = len & 0xff;
  out[1] = (len >> 8) & 0xff;
  out[2] = type & 0xff;
  out[3] = (type >> 8) & 0xff;
  out.set(p, 4);
  return out;
}

/** NLA_F_NESTED (1 << 15). */
export const F_NESTED = 0x8000;

/** A nest: NLA_F_NESTED set unless `flagged` is false. */
export function nest(type: number, children: Bytes[], flagged = true): Buffer {
  return nla(flagged ? type | F_NESTED : type, cat(...children));
}

export interface HdrFields {
  type: number;
  flags?: number;
  seq?: number;
  pid?: number;
}

/** struct nlmsghdr + payload, nlmsg_len covering both, padded to 4. */
export function nlmsg(h: HdrFields, payload: Bytes = []): Buffer {
  const p = Uint8Array.from(payload);
  const len = 16 + p.length;
  return cat(u32(len), u16(h.type), u16(h.flags ?? 0), u32(h.seq ?? 0), u32(h.pid ?? 0), p, new Array<number>(align4(len) - len).fill(0));
}

/** struct genlmsghdr + attributes. */
export function genl(cmd: number, version: number, attrs: Bytes[] = []): Buffer {
  return cat([cmd, version, 0, 0], ...attrs);
}

/** A whole generic netlink message. */
export function genlmsg(h: HdrFields, cmd: number, version: number, attrs: Bytes[] = []): Buffer {
  return nlmsg(h, genl(cmd, version, attrs));
}

/** Read nlmsghdr fields byte by byte (the fake kernel's own reader). */
export function readHdr(b: Uint8Array, at = 0): { len: number; type: number; flags: number; seq: number; pid: number } {
  const r16 = (o: number): number => b[at + o] | (b[at + o + 1] << 8);
  const r32 = (o: number): number => (b[at + o] | (b[at + o + 1] << 8) | (b[at + o + 2] << 16) | (b[at + o + 3] << 24)) >>> 0;
  return { len: r32(0), type: r16(4), flags: r16(6), seq: r32(8), pid: r32(12) };
}
