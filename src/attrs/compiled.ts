/**
 * A decoder compiled from an attribute set: one function per set with a `switch` on the
 * attribute number, where each case checks the length for its type, reads the value and
 * stores it under a literal property name. It does exactly what decode.ts's generic loop
 * does (same checks, same errors, same objects), but each store site sees one property
 * name instead of all of them, which V8 turns into fast monomorphic stores: decoding a
 * 15-attribute port message is about twice as fast (bench/foundation.ts).
 *
 * The generated source contains only numbers, the fixed snippets below and property
 * names that are checked to be plain identifiers; a set with any other name keeps the
 * generic loop.
 */
import { MalformedError } from './errors';
import { AttrDefs, AttrSet, CompiledAttr, FIXED_SIZE, Kind, UnknownAttr } from './schema';

export type RunDecoder = (
  buf: Buffer, start: number, end: number, depth: number, into?: Record<string, unknown>,
) => Record<string, unknown> & { $unknown?: UnknownAttr[] };

/** What the generated code calls back into (kept here so the generated source stays small). */
export interface DecoderHelpers {
  /** The generic reader for one attribute (nests, 64-bit, binary, ...), errors given its path. */
  readonly value: (c: CompiledAttr, buf: Buffer, at: number, len: number, depth: number) => unknown;
  readonly string: (buf: Buffer, at: number, len: number) => string;
  readonly maxDepth: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Build the decoder of `set`, or undefined when the set cannot be compiled. */
export function compileDecoder(set: AttrSet<AttrDefs>, h: DecoderHelpers): RunDecoder | undefined {
  const attrs = [...set.byKey.values()];
  if (!attrs.every((c) => IDENT.test(c.key) && Number.isInteger(c.id))) return undefined;
  const cases = attrs.map((c, i) => {
    const size = FIXED_SIZE[c.kind];
    const check = size >= 0 ? `if (l !== ${size}) { (o.$unknown ??= []).push(wrongSize(C[${i}], t, b, a, l)); break; }` : '';
    let read: string;
    switch (c.kind) {
      case Kind.U8: read = 'b[a]'; break;
      case Kind.U16: read = '(b[a] | (b[a + 1] << 8))'; break;
      case Kind.U32: read = 'b.readUInt32LE(a)'; break;
      case Kind.STRING: read = 'str(b, a, l)'; break;
      case Kind.FLAG: read = 'true'; break;
      default: read = `val(C[${i}], b, a, l, depth)`;
    }
    if (c.enumNames !== undefined && size >= 0 && c.kind !== Kind.FLAG) read = `named(C[${i}], ${read})`;
    const store = c.multi ? `(o.${c.key} ??= []).push(v);` : `o.${c.key} = v;`;
    return `case ${c.id}: { ${check} const v = ${read}; ${store} break; }`;
  });
  const source = `
    return function decode(b, start, end, depth, into) {
      if (depth > MAX) tooDeep(start);
      const o = into === undefined ? {} : into;
      let p = start;
      while (end - p >= 4) {
        const len = b[p] | (b[p + 1] << 8);
        const t = b[p + 2] | (b[p + 3] << 8);
        if (len < 4) tooShort(len, p);
        if (len > end - p) pastEnd(len, p);
        const a = p + 4, l = len - 4;
        switch (t & 0x3fff) {
          ${cases.join('\n          ')}
          default: (o.$unknown ??= []).push({ type: t, data: Buffer.from(b.subarray(a, a + l)) });
        }
        p += (len + 3) & ~3;
      }
      if (p < end) leftover(end - p, p);
      return o;
    };`;
  const make = new Function('C', 'MAX', 'val', 'str', 'named', 'wrongSize', 'tooDeep', 'tooShort', 'pastEnd', 'leftover', 'Buffer', source) as (
    ...args: unknown[]
  ) => RunDecoder;
  const tooDeep = (start: number): never => {
    throw new MalformedError(`nesting deeper than ${h.maxDepth}`, start);
  };
  return make(attrs, h.maxDepth, h.value, h.string, named, wrongSize, tooDeep, tooShort, pastEnd, leftover, Buffer);
}

function named(c: CompiledAttr, n: number): unknown {
  const name = c.enumNames!.get(n);
  return name !== undefined ? name : n;
}

/** A known attribute of another size than its type's: kept raw and flagged, as decode.ts keeps it. */
function wrongSize(c: CompiledAttr, type: number, b: Buffer, a: number, l: number): UnknownAttr {
  return { type, data: Buffer.from(b.subarray(a, a + l)), wrongSize: { name: c.name, expected: FIXED_SIZE[c.kind] } };
}

// The errors, worded as decode.ts words them.
function tooShort(len: number, p: number): never {
  throw new MalformedError(`attribute length ${len} below 4`, p);
}
function pastEnd(len: number, p: number): never {
  throw new MalformedError(`attribute length ${len} runs past the end`, p);
}
function leftover(n: number, p: number): never {
  throw new MalformedError(`${n} bytes left over after the last attribute`, p);
}
