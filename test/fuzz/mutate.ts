/**
 * Mutations of netlink datagrams, driven by a seeded PRNG so that every input is a pure
 * function of (seed, index) and can be made again from those two numbers.
 *
 * The structure walker below is written from the uapi layouts (nlmsghdr, nlmsgerr,
 * genlmsghdr, nlattr), not from the code under test: it finds the length fields that
 * the length edits, attribute duplication and removal aim at.
 */
import { prng } from '../helpers/prng';

/** A length field and the bytes it covers: nlmsg_len (4 bytes) or nla_len (2 bytes). */
export interface LengthField {
  readonly at: number;
  readonly size: 2 | 4;
  readonly start: number;
  readonly end: number;
}

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_CAPPED = 0x100;
/** The first nlmsg_type of a family; below it are the control messages. */
const NLMSG_MIN_TYPE = 0x10;

const align4 = (n: number): number => (n + 3) & ~3;

/** The PRNG of input `index` under `seed` (mixed so that neighbouring indexes differ). */
export function inputRng(seed: number, index: number): () => number {
  return prng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
}

/** An integer in [0, n). */
export function below(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

export function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[below(rand, xs.length)];
}

/** Every length field of a datagram that parses as far as the walk can go. */
export function lengthFields(d: Buffer): LengthField[] {
  const out: LengthField[] = [];
  let p = 0;
  while (d.length - p >= NLMSG_HDRLEN) {
    const len = d.readUInt32LE(p);
    if (len < NLMSG_HDRLEN || len > d.length - p) break;
    out.push({ at: p, size: 4, start: p, end: p + len });
    const type = d.readUInt16LE(p + 4);
    const flags = d.readUInt16LE(p + 6);
    let attrs = -1;
    if (type === NLMSG_ERROR && len >= 36) {
      // struct nlmsgerr: error, then the request's header (capped) or the whole request
      attrs = flags & NLM_F_CAPPED ? p + 36 : p + 20 + align4(d.readUInt32LE(p + 20));
    } else if (type === NLMSG_DONE) attrs = p + 20;
    else if (type >= NLMSG_MIN_TYPE) attrs = p + 20; // after genlmsghdr
    if (attrs >= 0 && attrs <= p + len) walkAttrs(d, attrs, p + len, 0, out);
    p += align4(len);
  }
  return out;
}

function walkAttrs(d: Buffer, start: number, end: number, depth: number, out: LengthField[]): void {
  let q = start;
  while (end - q >= 4) {
    const len = d.readUInt16LE(q);
    if (len < 4 || len > end - q) return;
    out.push({ at: q, size: 2, start: q, end: q + len });
    if (len >= 8 && depth < 8 && isAttrRun(d, q + 4, q + len)) walkAttrs(d, q + 4, q + len, depth + 1, out);
    q += align4(len);
  }
}

/** The bytes are a run of well-formed attributes, end to end (so probably a nest). */
function isAttrRun(d: Buffer, start: number, end: number): boolean {
  let q = start;
  while (q < end) {
    if (end - q < 4) return false;
    const len = d.readUInt16LE(q);
    if (len < 4 || len > end - q) return false;
    q += align4(len);
  }
  return q >= end;
}

/** Where each message of a well-formed datagram starts. */
export function messageOffsets(d: Buffer): number[] {
  return lengthFields(d).filter((f) => f.size === 4).map((f) => f.at);
}

/**
 * A copy of a well-formed datagram addressed to a fake kernel's client: every message
 * gets `seq`, and a message of the source's devlink family gets the family id `toId`.
 */
export function restamp(d: Buffer, seq: number, fromId: number, toId: number): Buffer {
  const out = Buffer.from(d);
  for (const at of messageOffsets(out)) {
    out.writeUInt32LE(seq, at + 8);
    if (fromId !== 0 && out.readUInt16LE(at + 4) === fromId) out.writeUInt16LE(toId, at + 4);
  }
  return out;
}

const BYTES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff];
const WORDS = [0, 1, 2, 3, 4, 8, 15, 16, 17, 19, 20, 36, 0x7fff, 0x8000, 0xfffc, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** The kinds of mutation, by name (tallied by the fuzzers). */
export const MUTATIONS = ['bit-flip', 'byte-set', 'truncate', 'length-edit', 'splice', 'duplicate-attr', 'remove-attr', 'word-set', 'insert-bytes'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Add `delta` to every length field that encloses [start, end). */
function fixLengths(d: Buffer, fields: readonly LengthField[], start: number, end: number, delta: number): void {
  for (const f of fields) {
    if (f.start > start || f.end < end || (f.start === start && f.end === end)) continue;
    if (f.size === 4) d.writeUInt32LE((d.readUInt32LE(f.at) + delta) >>> 0, f.at);
    else d.writeUInt16LE((d.readUInt16LE(f.at) + delta) & 0xffff, f.at);
  }
}

function lengthEdit(rand: () => number, d: Buffer): Buffer {
  const fields = lengthFields(d);
  if (fields.length === 0) return d;
  const f = pick(rand, fields);
  const len = f.end - f.start;
  const choices = [0, 1, 3, 4, 5, len - 1, len + 1, len - 4, len + 4, len * 2, d.length - f.start, d.length - f.start + 1, below(rand, 0x10000)];
  const v = rand() < 0.8 ? pick(rand, choices) : pick(rand, WORDS);
  if (f.size === 4) d.writeUInt32LE(v >>> 0, f.at);
  else d.writeUInt16LE(v & 0xffff, f.at);
  return d;
}

/** The datagram's length fields and one attribute picked among them (none: undefined). */
function pickAttr(rand: () => number, d: Buffer): { fields: LengthField[]; a: LengthField } | undefined {
  const fields = lengthFields(d);
  const attrs = fields.filter((f) => f.size === 2);
  return attrs.length > 0 ? { fields, a: pick(rand, attrs) } : undefined;
}

function duplicateAttr(rand: () => number, d: Buffer): Buffer {
  const picked = pickAttr(rand, d);
  if (!picked) return d;
  const { fields, a } = picked;
  const copy = Buffer.alloc(align4(a.end - a.start));
  d.copy(copy, 0, a.start, a.end);
  const at = Math.min(d.length, a.start + align4(a.end - a.start));
  const out = Buffer.concat([d.subarray(0, at), copy, d.subarray(at)]);
  // usually the enclosing lengths follow (a well-formed message with a repeated attribute)
  if (rand() < 0.8) fixLengths(out, fields, a.start, a.end, copy.length);
  return out;
}

function removeAttr(rand: () => number, d: Buffer): Buffer {
  const picked = pickAttr(rand, d);
  if (!picked) return d;
  const { fields, a } = picked;
  const n = Math.min(align4(a.end - a.start), d.length - a.start);
  const out = Buffer.concat([d.subarray(0, a.start), d.subarray(a.start + n)]);
  if (rand() < 0.8) fixLengths(out, fields, a.start, a.end, -n);
  return out;
}

/** Splice: a message of `other` put in at a message boundary, or the halves of two datagrams. */
function splice(rand: () => number, d: Buffer, other: Buffer): Buffer {
  if (rand() < 0.6) {
    const mine = [...messageOffsets(d), d.length];
    const theirs = lengthFields(other).filter((f) => f.size === 4);
    if (theirs.length > 0) {
      const m = pick(rand, theirs);
      const at = pick(rand, mine);
      return Buffer.concat([d.subarray(0, at), other.subarray(m.start, Math.min(other.length, align4(m.end))), d.subarray(at)]);
    }
  }
  return Buffer.concat([d.subarray(0, below(rand, d.length + 1)), other.subarray(below(rand, other.length + 1))]);
}

/** Apply one mutation of kind `kind`; `other` is a second datagram for splices. */
export function mutateOnce(rand: () => number, kind: Mutation, d: Buffer, other: Buffer): Buffer {
  if (d.length === 0 && kind !== 'splice' && kind !== 'insert-bytes') return d;
  switch (kind) {
    case 'bit-flip': {
      const i = below(rand, d.length);
      d[i] ^= 1 << below(rand, 8);
      return d;
    }
    case 'byte-set':
      d[below(rand, d.length)] = rand() < 0.7 ? pick(rand, BYTES) : below(rand, 256);
      return d;
    case 'truncate':
      return d.subarray(0, below(rand, d.length));
    case 'length-edit':
      return lengthEdit(rand, d);
    case 'splice':
      return splice(rand, d, other);
    case 'duplicate-attr':
      return duplicateAttr(rand, d);
    case 'remove-attr':
      return removeAttr(rand, d);
    case 'word-set': {
      if (d.length < 4) return d;
      const at = below(rand, d.length >> 2) << 2;
      d.writeUInt32LE(pick(rand, WORDS) >>> 0, at);
      return d;
    }
    case 'insert-bytes': {
      const at = below(rand, d.length + 1);
      const extra = Buffer.alloc(1 + below(rand, 8), rand() < 0.5 ? 0 : below(rand, 256));
      return Buffer.concat([d.subarray(0, at), extra, d.subarray(at)]);
    }
  }
}

/** One to four stacked mutations of a copy of `d`; `kinds` receives what was done. */
export function mutate(rand: () => number, d: Buffer, others: readonly Buffer[], kinds?: Mutation[]): Buffer {
  let out: Buffer = Buffer.from(d);
  const n = 1 + Math.floor(-Math.log2(1 - rand() * 0.9375)); // 1 (half the time) to 4
  for (let i = 0; i < n; i++) {
    const kind = pick(rand, MUTATIONS);
    kinds?.push(kind);
    out = mutateOnce(rand, kind, out, others.length > 0 ? pick(rand, others) : d);
  }
  return out;
}
