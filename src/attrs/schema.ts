/**
 * Declarative attribute sets, YNL-style: one table per set names each attribute, its
 * number, its type, its nested set and its enum. From the table come the TypeScript
 * types of decoded and encodable objects, encoding with validation, decoding, and the
 * mapping of an ext-ack offset to an attribute path (path.ts).
 *
 *   const port = defineAttrSet('port', {
 *     busName: { id: 1, type: 'string' },
 *     portIndex: { id: 3, type: 'u32' },
 *     portFunction: { id: 145, type: 'nest', nested: () => portFunction },
 *   });
 *
 * Keys are camelCase; the kernel-style name used in paths is derived ("port-function").
 */

/** Attribute payload types. 'nest-array' is an indexed array of nests (entries 1..n). */
export type AttrKind =
  | 'u8' | 'u16' | 'u32' | 'u64'
  | 's8' | 's16' | 's32' | 's64'
  | 'u16be' | 'u32be' | 'u64be'
  | 'string' | 'binary' | 'flag' | 'bitfield32'
  | 'nest' | 'nest-array';

/** An enum: names to values. */
export type EnumDef = { readonly [name: string]: number };

export interface AttrDef {
  readonly id: number;
  readonly type: AttrKind;
  /** The set a nest (or each entry of a nest-array) is decoded with. */
  readonly nested?: () => AttrSet<AttrDefs>;
  /** Integer attributes may carry an enum: decoded to its name when the value is known. */
  readonly enum?: EnumDef;
  /** The attribute may appear more than once: decoded into an array. */
  readonly multi?: boolean;
  /** Largest payload accepted on encode (strings: without the NUL). */
  readonly maxLen?: number;
  /** Nests are sent with NLA_F_NESTED unless this is false. */
  readonly flagNested?: boolean;
}

export type AttrDefs = { readonly [key: string]: AttrDef };

export interface Bitfield32 {
  readonly value: number;
  readonly selector: number;
}

/** An attribute the table does not know, kept as it came. */
export interface UnknownAttr {
  /** The attribute type as received, flag bits included. */
  readonly type: number;
  readonly data: Buffer;
  /**
   * Set when the table knows the attribute but its payload has another size than its
   * type's (a newer kernel widening it): kept raw here rather than failing the message.
   */
  readonly wrongSize?: { readonly name: string; readonly expected: number };
}

type EnumName<E> = E extends EnumDef ? Extract<keyof E, string> : never;

type DecodedBase<A extends AttrDef> =
  A extends { type: 'nest'; nested: () => AttrSet<infer N> } ? Decoded<N>
  : A extends { type: 'nest-array'; nested: () => AttrSet<infer N> } ? Decoded<N>[]
  : A extends { enum: infer E } ? EnumName<E> | number
  : A['type'] extends 'u64' | 's64' | 'u64be' ? bigint
  : A['type'] extends 'string' ? string
  : A['type'] extends 'binary' | 'nest' | 'nest-array' ? Buffer
  : A['type'] extends 'flag' ? true
  : A['type'] extends 'bitfield32' ? Bitfield32
  : number;

type EncodableBase<A extends AttrDef> =
  A extends { type: 'nest'; nested: () => AttrSet<infer N> } ? Encodable<N>
  : A extends { type: 'nest-array'; nested: () => AttrSet<infer N> } ? Encodable<N>[]
  : A extends { enum: infer E } ? EnumName<E> | number
  : A['type'] extends 'u64' | 's64' | 'u64be' ? bigint | number
  : A['type'] extends 'string' ? string
  : A['type'] extends 'binary' | 'nest' | 'nest-array' ? Uint8Array
  : A['type'] extends 'flag' ? boolean
  : A['type'] extends 'bitfield32' ? Bitfield32
  : number;

/** The typed object a set decodes to: every attribute optional, unknown ones in $unknown. */
export type Decoded<D extends AttrDefs> = {
  -readonly [K in keyof D]?: D[K] extends { multi: true } ? DecodedBase<D[K]>[] : DecodedBase<D[K]>;
} & { $unknown?: UnknownAttr[] };

/** What a set encodes from: attributes are written in the object's key order. */
export type Encodable<D extends AttrDefs> = {
  [K in keyof D]?: D[K] extends { multi: true } ? readonly EncodableBase<D[K]>[] : EncodableBase<D[K]>;
} & { $unknown?: readonly UnknownAttr[] };

/** Numeric codes for the kinds, so the hot paths switch on small integers. */
export const enum Kind {
  U8, U16, U32, U64, S8, S16, S32, S64, U16BE, U32BE, U64BE,
  STRING, BINARY, FLAG, BITFIELD32, NEST, NEST_ARRAY,
}

const KIND: Record<AttrKind, Kind> = {
  u8: Kind.U8, u16: Kind.U16, u32: Kind.U32, u64: Kind.U64,
  s8: Kind.S8, s16: Kind.S16, s32: Kind.S32, s64: Kind.S64,
  u16be: Kind.U16BE, u32be: Kind.U32BE, u64be: Kind.U64BE,
  string: Kind.STRING, binary: Kind.BINARY, flag: Kind.FLAG, bitfield32: Kind.BITFIELD32,
  nest: Kind.NEST, 'nest-array': Kind.NEST_ARRAY,
};

/** Payload size of the fixed-size kinds; -1 for variable ones. */
export const FIXED_SIZE: readonly number[] = [1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, -1, -1, 0, 8, -1, -1];

/** One attribute of a set, compiled for the codec. */
export interface CompiledAttr {
  readonly key: string;
  /** Kernel-style name: "port-function". */
  readonly name: string;
  readonly id: number;
  readonly kind: Kind;
  readonly multi: boolean;
  readonly maxLen: number;
  readonly flagNested: boolean;
  readonly def: AttrDef;
  /** Enum value to name, when the attribute has an enum. */
  readonly enumNames: ReadonlyMap<number, string> | undefined;
  readonly enumValues: EnumDef | undefined;
  /** The nested set, resolved on first use (sets may refer to each other). */
  nestedSet(): AttrSet<AttrDefs> | undefined;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

function compile(key: string, def: AttrDef): CompiledAttr {
  let nested: AttrSet<AttrDefs> | undefined;
  const enumNames = def.enum
    ? new Map(Object.entries(def.enum).map(([n, v]) => [v, n] as const))
    : undefined;
  return {
    key,
    name: kebab(key),
    id: def.id,
    kind: KIND[def.type],
    multi: def.multi === true,
    maxLen: def.maxLen ?? -1,
    flagNested: def.flagNested !== false,
    def,
    enumNames,
    enumValues: def.enum,
    nestedSet() {
      if (nested === undefined && def.nested) nested = def.nested();
      return nested;
    },
  };
}

export class AttrSet<D extends AttrDefs> {
  /** Compiled attributes indexed by number (sparse where the set has gaps). */
  readonly byId: readonly (CompiledAttr | undefined)[];
  readonly byKey: ReadonlyMap<string, CompiledAttr>;

  constructor(
    readonly name: string,
    readonly defs: D,
  ) {
    const byId: (CompiledAttr | undefined)[] = [];
    const byKey = new Map<string, CompiledAttr>();
    for (const [key, def] of Object.entries(defs)) {
      if (!Number.isInteger(def.id) || def.id < 0 || def.id > 0x3fff) {
        throw new RangeError(`attribute set ${name}: ${key} has an invalid number ${def.id}`);
      }
      if (byId[def.id]) throw new RangeError(`attribute set ${name}: number ${def.id} used twice`);
      const c = compile(key, def);
      byId[def.id] = c;
      byKey.set(key, c);
    }
    // fill holes so the array stays packed (fast indexed reads in the decoder)
    for (let i = 0; i < byId.length; i++) if (!(i in byId)) byId[i] = undefined;
    this.byId = byId;
    this.byKey = byKey;
  }

  /** The kernel-style name of attribute number `id`, or "attr-<id>" when unknown. */
  attrName(id: number): string {
    return this.byId[id]?.name ?? `attr-${id}`;
  }
}

/** Declare an attribute set. `const` keeps literal types so decoded objects are typed. */
export function defineAttrSet<const D extends AttrDefs>(name: string, defs: D): AttrSet<D> {
  return new AttrSet(name, defs);
}
