/**
 * Devlink formatted messages (DEVLINK_ATTR_FMSG): what health diagnose and health dump
 * answer. The kernel sends a flat stream of attributes (devlink_fmsg_prepare_skb), cut
 * across as many messages as it needs, that opens and closes objects, name/value pairs
 * and arrays:
 *
 *   OBJ_NEST_START (107)   PAIR_NEST_START (108)   ARR_NEST_START (109)   NEST_END (110)
 *   OBJ_NAME (111, string) OBJ_VALUE_TYPE (112, u8: NLA_FLAG 6, NLA_U8 1, NLA_U32 3,
 *   NLA_U64 4, NLA_NUL_STRING 10, NLA_BINARY 11) OBJ_VALUE_DATA (113, typed by it)
 *
 * The stream of every message is joined and read into a tree: an object keeps its pairs
 * in order, names may repeat (FmsgObject.entries), a value keeps its kind (u64 as bigint,
 * binary as Buffer). A stream that does not nest properly is the kernel's fault: a
 * ProtocolError, never a silent half tree.
 */
import { ProtocolError } from '../genl/errors';

export const FmsgAttr = {
  FMSG: 106, OBJ_NEST_START: 107, PAIR_NEST_START: 108, ARR_NEST_START: 109, NEST_END: 110, OBJ_NAME: 111, OBJ_VALUE_TYPE: 112, OBJ_VALUE_DATA: 113,
} as const;
/** The NLA_* numbers the kernel uses as value types. */
export const FmsgType = { u8: 1, u32: 3, u64: 4, flag: 6, string: 10, binary: 11 } as const;

export type FmsgScalar = boolean | number | bigint | string | Buffer;
export type FmsgValue = FmsgScalar | FmsgArray | FmsgObject;
export type FmsgArray = readonly FmsgValue[];

/** An fmsg object: its pairs in the kernel's order (names may repeat). */
export class FmsgObject {
  constructor(readonly entries: readonly (readonly [name: string, value: FmsgValue])[]) {}

  /** The first value of that name. */
  get(name: string): FmsgValue | undefined {
    return this.entries.find(([n]) => n === name)?.[1];
  }

  /** A plain object (a later pair of the same name wins; bigints as they are). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [n, v] of this.entries) out[n] = v;
    return out;
  }
}

/** One item of the stream, as the kernel sent it. */
export type FmsgItem =
  | { readonly kind: 'obj' | 'pair' | 'arr' | 'end' }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'value'; readonly value: FmsgScalar };

function cstring(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z >= 0 ? z : b.length);
}

function scalar(type: number | undefined, d: Buffer): FmsgScalar {
  const need = (n: number): void => {
    if (d.length < n) throw new ProtocolError(`fmsg value of type ${type} has ${d.length} bytes, fewer than ${n}`);
  };
  switch (type) {
    case FmsgType.flag: need(1); return d[0] !== 0;
    case FmsgType.u8: need(1); return d[0];
    case FmsgType.u32: need(4); return d.readUInt32LE(0);
    case FmsgType.u64: need(8); return d.readBigUInt64LE(0);
    case FmsgType.string: return cstring(d);
    case FmsgType.binary: return Buffer.from(d);
    default: throw new ProtocolError(`fmsg value of unknown type ${type}`);
  }
}

/** The items of one DEVLINK_ATTR_FMSG payload (`value`: the nest's bytes). */
export function fmsgItems(payload: Buffer): FmsgItem[] {
  const out: FmsgItem[] = [];
  let type: number | undefined;
  let p = 0;
  while (payload.length - p >= 4) {
    const len = payload.readUInt16LE(p);
    const t = payload.readUInt16LE(p + 2) & 0x3fff;
    if (len < 4 || p + len > payload.length) throw new ProtocolError(`fmsg attribute at ${p} has length ${len}, past its nest`);
    const d = payload.subarray(p + 4, p + len);
    switch (t) {
      case FmsgAttr.OBJ_NEST_START: out.push({ kind: 'obj' }); break;
      case FmsgAttr.PAIR_NEST_START: out.push({ kind: 'pair' }); break;
      case FmsgAttr.ARR_NEST_START: out.push({ kind: 'arr' }); break;
      case FmsgAttr.NEST_END: out.push({ kind: 'end' }); break;
      case FmsgAttr.OBJ_NAME: out.push({ kind: 'name', name: cstring(d) }); break;
      case FmsgAttr.OBJ_VALUE_TYPE: if (d.length < 1) throw new ProtocolError('fmsg value type without its byte'); type = d[0]; break;
      case FmsgAttr.OBJ_VALUE_DATA: out.push({ kind: 'value', value: scalar(type, d) }); break;
      default: break; // newer kernels may add item kinds: skipped, as iproute2 cannot show them either
    }
    p += (len + 3) & ~3;
  }
  return out;
}

type Frame =
  | { kind: 'obj'; entries: [string, FmsgValue][] }
  | { kind: 'arr'; items: FmsgValue[] }
  | { kind: 'pair'; name: string | undefined; value: FmsgValue | undefined };

/** The tree of a whole stream: its one outermost object. */
export function fmsgTree(items: readonly FmsgItem[]): FmsgObject {
  const stack: Frame[] = [];
  let root: FmsgObject | undefined;
  const bad = (what: string): never => {
    throw new ProtocolError(`the kernel's fmsg stream is malformed: ${what}`);
  };
  const place = (v: FmsgValue): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (!(v instanceof FmsgObject) || root) bad('more than one outermost object');
      root = v as FmsgObject;
    } else if (top.kind === 'arr') top.items.push(v);
    else if (top.kind === 'pair') {
      if (top.value !== undefined) bad('a pair with two values');
      top.value = v;
    } else bad('a value in an object outside a pair');
  };
  for (const it of items) {
    switch (it.kind) {
      case 'obj': stack.push({ kind: 'obj', entries: [] }); break;
      case 'arr': stack.push({ kind: 'arr', items: [] }); break;
      case 'pair':
        if (stack[stack.length - 1]?.kind !== 'obj') bad('a pair outside an object');
        stack.push({ kind: 'pair', name: undefined, value: undefined });
        break;
      case 'name': {
        const top = stack[stack.length - 1];
        if (top?.kind !== 'pair' || top.name !== undefined) bad('a name outside a pair');
        (top as { name: string | undefined }).name = it.name;
        break;
      }
      case 'value': place(it.value); break;
      case 'end': {
        const f = stack.pop() ?? bad('an end without a start');
        if (f.kind === 'pair') {
          const obj = stack[stack.length - 1] as Extract<Frame, { kind: 'obj' }>;
          if (f.name === undefined || f.value === undefined) bad('a pair without its name or value');
          obj.entries.push([f.name!, f.value!]);
        } else {
          place(f.kind === 'obj' ? new FmsgObject(f.entries) : f.items);
        }
        break;
      }
    }
  }
  if (stack.length) bad(`${stack.length} nest(s) left open`);
  return root ?? bad('no object');
}
