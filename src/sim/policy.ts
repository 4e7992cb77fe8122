/**
 * Attribute policy validation as lib/nlattr.c (6.1) does it: __nla_validate_parse and
 * validate_nla, with the same order of checks, the same errno and the same ext-ack
 * messages ("Unknown attribute type", "invalid attribute length", "NLA_F_NESTED is
 * missing", "integer out of range", "Attribute failed policy validation", ...). The bad
 * attribute and the policy entry are recorded in the ExtAck as NL_SET_ERR_MSG_ATTR_POL
 * does, so the ack carries OFFS and POLICY like the kernel's.
 */
import { E, NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign } from './uapi';

/** enum nla_policy_validation's types (the subset the families here use). */
export const enum Nla {
  UNSPEC, U8, U16, U32, U64, STRING, FLAG, MSECS, NESTED, NESTED_ARRAY, NUL_STRING, BINARY,
  S8, S16, S32, S64, BITFIELD32, REJECT, BE16, BE32,
}

/** One nla_policy entry. */
export interface PolicyEntry {
  readonly type: Nla;
  /** .len: max length of strings and binaries, or the nested policy's maxtype. */
  readonly len?: number;
  /** NLA_POLICY_RANGE / NLA_POLICY_MAX: value range of integers. */
  readonly min?: number;
  readonly max?: number;
  /** NLA_POLICY_BITFIELD32(valid). */
  readonly bitfield32Valid?: number;
  /** NLA_POLICY_NESTED(policy): validated recursively with `len` as maxtype. */
  readonly nested?: Policy;
}

/** A policy array: entries indexed by attribute type, with policy[0].strict_start_type. */
export interface Policy {
  readonly maxType: number;
  readonly entries: readonly (PolicyEntry | undefined)[];
  readonly strictStartType?: number;
}

export function policy(maxType: number, entries: Record<number, PolicyEntry>, strictStartType?: number): Policy {
  const arr: (PolicyEntry | undefined)[] = [];
  for (let i = 0; i <= maxType; i++) arr.push(entries[i]);
  return strictStartType === undefined ? { maxType, entries: arr } : { maxType, entries: arr, strictStartType };
}

/** enum netlink_validation. */
export const NL_VALIDATE_LIBERAL = 0;
export const NL_VALIDATE_TRAILING = 1 << 0;
export const NL_VALIDATE_MAXTYPE = 1 << 1;
export const NL_VALIDATE_UNSPEC = 1 << 2;
export const NL_VALIDATE_STRICT_ATTRS = 1 << 3;
export const NL_VALIDATE_NESTED = 1 << 4;
export const NL_VALIDATE_STRICT = 0x1f;

/** struct netlink_ext_ack, with positions as offsets in the request datagram. */
export class ExtAck {
  msg: string | undefined;
  /** Offset of the bad attribute in the datagram. */
  badAttr: number | undefined;
  policy: PolicyEntry | undefined;
  missType: number | undefined;
  /** Offset of the nest the missing attribute belongs in. */
  missNest: number | undefined;
  cookie: Buffer | undefined;

  /** NL_SET_ERR_MSG. */
  setMsg(msg: string): void {
    this.msg = msg;
  }

  /** NL_SET_ERR_MSG_ATTR. */
  setMsgAttr(at: number, msg: string): void {
    this.msg = msg;
    this.badAttr = at;
  }

  /** NL_SET_ERR_MSG_ATTR_POL. */
  setMsgAttrPol(at: number, pol: PolicyEntry, msg: string): void {
    this.msg = msg;
    this.badAttr = at;
    this.policy = pol;
  }

  /** NL_SET_ERR_ATTR_MISS (what GENL_REQ_ATTR_CHECK does). */
  setMissing(type: number, nest?: number): void {
    this.missType = type;
    this.missNest = nest;
  }
}

/** A parsed attribute: where it is and what it holds. */
export interface Attr {
  /** nla_type(): the type without the flag bits. */
  readonly type: number;
  /** nla_type as sent, flag bits included. */
  readonly rawType: number;
  /** Offset of the struct nlattr in the buffer. */
  readonly at: number;
  /** Offset of the payload. */
  readonly data: number;
  /** nla_len() - payload length. */
  readonly len: number;
}

export type Tb = (Attr | undefined)[];

const EXACT_LEN: Partial<Record<Nla, number>> = {
  [Nla.U8]: 1, [Nla.U16]: 2, [Nla.U32]: 4, [Nla.U64]: 8,
  [Nla.S8]: 1, [Nla.S16]: 2, [Nla.S32]: 4, [Nla.S64]: 8, [Nla.BE16]: 2, [Nla.BE32]: 4,
};
const MIN_LEN: Partial<Record<Nla, number>> = {
  ...EXACT_LEN, [Nla.MSECS]: 8, [Nla.NESTED]: NLA_HDRLEN,
};

const MAX_POLICY_RECURSION_DEPTH = 10;

/**
 * __nla_validate_parse over buf[start, end). Returns 0 or a negative errno; fills `tb`
 * (when given) with the last attribute of each type, as the kernel's tb[] holds.
 */
export function validateParse(
  buf: Buffer, start: number, end: number, pol: Policy | undefined, maxType: number,
  validate: number, ext: ExtAck, tb: Tb | undefined, depth = 0,
): number {
  if (depth >= MAX_POLICY_RECURSION_DEPTH) {
    ext.setMsg('allowed policy recursion depth exceeded');
    return -E.EINVAL;
  }
  if (tb) tb.length = 0;
  let p = start;
  let rem = end - start;
  // nla_for_each_attr: while nla_ok(nla, rem)
  while (rem >= NLA_HDRLEN) {
    const nlaLen = buf.readUInt16LE(p);
    if (nlaLen < NLA_HDRLEN || nlaLen > rem) break;
    const rawType = buf.readUInt16LE(p + 2);
    const type = rawType & NLA_TYPE_MASK;
    const a: Attr = { type, rawType, at: p, data: p + NLA_HDRLEN, len: nlaLen - NLA_HDRLEN };
    if (type === 0 || type > maxType) {
      if (validate & NL_VALIDATE_MAXTYPE) {
        ext.setMsgAttr(p, 'Unknown attribute type');
        return -E.EINVAL;
      }
    } else {
      if (pol) {
        const err = validateNla(buf, a, maxType, pol, validate, ext, depth);
        if (err < 0) return err;
      }
      if (tb) tb[type] = a;
    }
    // nla_next
    const step = nlaAlign(nlaLen);
    p += step;
    rem -= step;
  }
  if (rem > 0) {
    ext.setMsg('bytes leftover after parsing attributes');
    if (validate & NL_VALIDATE_TRAILING) return -E.EINVAL;
  }
  return 0;
}

function validateNla(buf: Buffer, a: Attr, maxType: number, pol: Policy, validateIn: number, ext: ExtAck, depth: number): number {
  let validate = validateIn;
  if (pol.strictStartType && a.type >= pol.strictStartType) validate |= NL_VALIDATE_STRICT;
  if (a.type <= 0 || a.type > maxType) return 0;
  const pt = pol.entries[a.type] ?? { type: Nla.UNSPEC };
  const attrlen = a.len;
  let err = -E.ERANGE;
  const fail = (e: number): number => {
    ext.setMsgAttrPol(a.at, pt, 'Attribute failed policy validation');
    return e;
  };

  const exact = EXACT_LEN[pt.type];
  if (exact !== undefined && attrlen !== exact && validate & NL_VALIDATE_STRICT_ATTRS) {
    ext.setMsgAttrPol(a.at, pt, 'invalid attribute length');
    return -E.EINVAL;
  }
  if (validate & NL_VALIDATE_NESTED) {
    const nestedType = pt.type === Nla.NESTED || pt.type === Nla.NESTED_ARRAY;
    if (nestedType && !(a.rawType & NLA_F_NESTED)) {
      ext.setMsgAttrPol(a.at, pt, 'NLA_F_NESTED is missing');
      return -E.EINVAL;
    }
    if (!nestedType && pt.type !== Nla.UNSPEC && a.rawType & NLA_F_NESTED) {
      ext.setMsgAttrPol(a.at, pt, 'NLA_F_NESTED not expected');
      return -E.EINVAL;
    }
  }

  switch (pt.type) {
    case Nla.REJECT:
      return fail(-E.EINVAL);
    case Nla.FLAG:
      if (attrlen > 0) return fail(err);
      break;
    case Nla.BITFIELD32: {
      if (attrlen !== 8) return fail(err);
      const value = buf.readUInt32LE(a.data);
      const selector = buf.readUInt32LE(a.data + 4);
      const valid = pt.bitfield32Valid ?? 0;
      if (!valid || selector & ~valid || value & ~valid || value & ~selector) return fail(-E.EINVAL);
      break;
    }
    case Nla.NUL_STRING:
    case Nla.STRING: {
      if (pt.type === Nla.NUL_STRING) {
        const minlen = pt.len ? Math.min(attrlen, pt.len + 1) : attrlen;
        if (!minlen || buf.subarray(a.data, a.data + minlen).indexOf(0) < 0) return fail(-E.EINVAL);
      }
      if (attrlen < 1) return fail(err);
      if (pt.len) {
        let n = attrlen;
        if (buf[a.data + attrlen - 1] === 0) n--;
        if (n > pt.len) return fail(err);
      }
      break;
    }
    case Nla.BINARY:
      if (pt.len && attrlen > pt.len) return fail(err);
      break;
    case Nla.NESTED:
      if (attrlen === 0) break;
      if (attrlen < NLA_HDRLEN) return fail(err);
      if (pt.nested) {
        err = validateParse(buf, a.data, a.data + a.len, pt.nested, pt.len ?? pt.nested.maxType, validate, ext, undefined, depth + 1);
        if (err < 0) return err;
      }
      break;
    case Nla.UNSPEC:
      if (validate & NL_VALIDATE_UNSPEC) {
        ext.setMsgAttr(a.at, 'Unsupported attribute');
        return -E.EINVAL;
      }
      if (attrlen < (pt.len ?? 0)) return fail(err);
      break;
    default: {
      const minlen = pt.len ? pt.len : (MIN_LEN[pt.type] ?? 0);
      if (attrlen < minlen) return fail(err);
    }
  }

  if (pt.min !== undefined || pt.max !== undefined) {
    const v = readUnsigned(buf, a, pt.type);
    if (v < BigInt(pt.min ?? 0) || v > BigInt(pt.max ?? Number.MAX_SAFE_INTEGER)) {
      ext.setMsgAttrPol(a.at, pt, 'integer out of range');
      return -E.ERANGE;
    }
  }
  return 0;
}

function readUnsigned(buf: Buffer, a: Attr, t: Nla): bigint {
  switch (t) {
    case Nla.U8: return BigInt(buf[a.data]);
    case Nla.U16: return BigInt(buf.readUInt16LE(a.data));
    case Nla.U32: return BigInt(buf.readUInt32LE(a.data));
    case Nla.U64: return buf.readBigUInt64LE(a.data);
    default: return 0n;
  }
}

// ---- NLMSGERR_ATTR_POLICY: netlink_policy_dump_write_attr ----

/** enum netlink_attribute_type. */
const enum NlAttrType { FLAG = 1, U8, U16, U32, U64, S8, S16, S32, S64, BINARY, STRING, NUL_STRING, NESTED, NESTED_ARRAY, BITFIELD32 }
/** enum netlink_policy_type_attr. */
const enum PolAttr { TYPE = 1, MIN_VALUE_S, MAX_VALUE_S, MIN_VALUE_U, MAX_VALUE_U, MIN_LENGTH, MAX_LENGTH, POLICY_IDX, POLICY_MAXTYPE, BITFIELD32_MASK }

const UMAX: Partial<Record<Nla, bigint>> = {
  [Nla.U8]: 0xffn, [Nla.U16]: 0xffffn, [Nla.U32]: 0xffffffffn, [Nla.U64]: 0xffffffffffffffffn, [Nla.MSECS]: 0xffffffffffffffffn,
};

/** The nested attributes describing one policy entry, or undefined for UNSPEC/REJECT (skipped). */
export interface PolicyDumpWriter {
  putU32(type: number, v: number): void;
  putU64(type: number, v: bigint): void;
}

/** Writes the body of NLMSGERR_ATTR_POLICY for `pt`; returns false when the kernel would skip it. */
export function writePolicyAttr(w: PolicyDumpWriter, pt: PolicyEntry): boolean {
  let type: NlAttrType;
  switch (pt.type) {
    case Nla.NESTED: type = NlAttrType.NESTED; break;
    case Nla.NESTED_ARRAY: type = NlAttrType.NESTED_ARRAY; break;
    case Nla.U8: case Nla.U16: case Nla.U32: case Nla.U64: case Nla.MSECS: {
      type = pt.type === Nla.U8 ? NlAttrType.U8 : pt.type === Nla.U16 ? NlAttrType.U16 : pt.type === Nla.U32 ? NlAttrType.U32 : NlAttrType.U64;
      w.putU64(PolAttr.MIN_VALUE_U, BigInt(pt.min ?? 0));
      w.putU64(PolAttr.MAX_VALUE_U, pt.max !== undefined ? BigInt(pt.max) : (UMAX[pt.type] ?? 0n));
      break;
    }
    case Nla.BITFIELD32:
      type = NlAttrType.BITFIELD32;
      w.putU32(PolAttr.BITFIELD32_MASK, pt.bitfield32Valid ?? 0);
      break;
    case Nla.STRING: case Nla.NUL_STRING: case Nla.BINARY:
      type = pt.type === Nla.STRING ? NlAttrType.STRING : pt.type === Nla.NUL_STRING ? NlAttrType.NUL_STRING : NlAttrType.BINARY;
      if (pt.len) w.putU32(PolAttr.MAX_LENGTH, pt.len);
      break;
    case Nla.FLAG: type = NlAttrType.FLAG; break;
    default: return false;
  }
  w.putU32(PolAttr.TYPE, type);
  return true;
}
