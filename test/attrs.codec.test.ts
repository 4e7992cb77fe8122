/**
 * encodeAttrs / decodeAttrs against bytes built independently (test/helpers/bytes.ts):
 * every kind, enums, multi, nests and nest-arrays, unknown attributes, validation,
 * round trips, runs at a non-zero offset, and truncation at every byte.
 */
import assert from 'node:assert/strict';
import { decodeAttrs } from '../src/attrs/decode';
import { encodeAttrs } from '../src/attrs/encode';
import { MalformedError, ValidationError } from '../src/attrs/errors';
import { defineAttrSet, Encodable } from '../src/attrs/schema';
import { AttrWriter } from '../src/attrs/writer';
import {
  cat, hex, nest, nla, s16, s32, s64, s8, strz, toHex, u16, u16be, u32, u32be, u64, u64be, u8,
} from './helpers/bytes';

const fnAttrs = defineAttrSet('port-function', {
  hwAddr: { id: 1, type: 'binary', maxLen: 6 },
  state: { id: 2, type: 'u8', enum: { inactive: 0, active: 1 } },
  opstate: { id: 3, type: 'u8', enum: { detached: 0, attached: 1 } },
});

const entryAttrs = defineAttrSet('entry', {
  id: { id: 1, type: 'u32' },
  name: { id: 2, type: 'string' },
});

const flavourEnum = { physical: 0, cpu: 1, dsa: 2, pcipf: 3, pcivf: 4, virtual: 5, unused: 6, pcisf: 7 } as const;

/** One attribute of every kind (and a few variants). */
const allAttrs = defineAttrSet('all', {
  aU8: { id: 1, type: 'u8' },
  aU16: { id: 2, type: 'u16' },
  aU32: { id: 3, type: 'u32' },
  aU64: { id: 4, type: 'u64' },
  aS8: { id: 5, type: 's8' },
  aS16: { id: 6, type: 's16' },
  aS32: { id: 7, type: 's32' },
  aS64: { id: 8, type: 's64' },
  aU16be: { id: 9, type: 'u16be' },
  aU32be: { id: 10, type: 'u32be' },
  aU64be: { id: 11, type: 'u64be' },
  str: { id: 12, type: 'string', maxLen: 15 },
  bin: { id: 13, type: 'binary', maxLen: 64 },
  flag: { id: 14, type: 'flag' },
  bits: { id: 15, type: 'bitfield32' },
  portFunction: { id: 16, type: 'nest', nested: () => fnAttrs },
  plainNest: { id: 17, type: 'nest', nested: () => fnAttrs, flagNested: false },
  entries: { id: 18, type: 'nest-array', nested: () => entryAttrs },
  tags: { id: 19, type: 'string', multi: true },
  flavour: { id: 20, type: 'u16', enum: flavourEnum },
  opaque: { id: 21, type: 'nest' },
  plainArray: { id: 23, type: 'nest-array', nested: () => entryAttrs, flagNested: false },
  ids: { id: 24, type: 'u32', multi: true },
  longBin: { id: 25, type: 'binary' },
  longStr: { id: 26, type: 'string' },
});

type All = Encodable<typeof allAttrs.defs>;

function enc(v: All): Buffer {
  const w = new AttrWriter(16);
  encodeAttrs(allAttrs, v, w);
  return Buffer.from(w.finish());
}

function dec(b: Buffer): Record<string, unknown> {
  return decodeAttrs(allAttrs, b) as Record<string, unknown>;
}

/** No undefined and no NaN anywhere in a decoded value (an out-of-bounds read would leave one). */
function assertClean(v: unknown, where = ''): void {
  if (v === undefined) assert.fail(`undefined at ${where || 'top'}`);
  if (typeof v === 'number') assert.ok(Number.isInteger(v), `not an integer at ${where}: ${v}`);
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) assertClean(x, `${where}.${k}`);
}

describe('attrs: encode and decode', () => {
  describe('every kind, against hand-built bytes', () => {
    const cases: [string, All, Buffer, Record<string, unknown>?][] = [
      ['u8', { aU8: 0xfe }, nla(1, u8(0xfe))],
      ['u16', { aU16: 0xbeef }, hex('0600 0200 efbe 0000')],
      ['u32', { aU32: 0xfedcba98 }, nla(3, u32(0xfedcba98))],
      ['u64 (bigint)', { aU64: 0xfedcba9876543210n }, nla(4, u64(0xfedcba9876543210n))],
      ['u64 from a safe number decodes as bigint', { aU64: 7 }, nla(4, u64(7n)), { aU64: 7n }],
      ['s8', { aS8: -128 }, nla(5, s8(-128))],
      ['s16', { aS16: -32768 }, nla(6, s16(-32768))],
      ['s32', { aS32: -2147483648 }, nla(7, s32(-2147483648))],
      ['s64', { aS64: -(1n << 63n) }, nla(8, s64(-(1n << 63n)))],
      ['u16be', { aU16be: 0x1234 }, hex('0600 0900 1234 0000')],
      ['u32be', { aU32be: 0xc0a80001 }, nla(10, u32be(0xc0a80001))],
      ['u64be', { aU64be: 0x0102030405060708n }, nla(11, u64be(0x0102030405060708n))],
      ['string, NUL-terminated', { str: 'pci' }, hex('0800 0c00 70636900')],
      ['string at maxLen', { str: 'x'.repeat(15) }, nla(12, strz('x'.repeat(15)))],
      ['binary', { bin: Buffer.from([0, 1, 2, 0xfe, 0xff]) }, nla(13, [0, 1, 2, 0xfe, 0xff])],
      ['flag true', { flag: true }, hex('0400 0e00')],
      ['flag false writes nothing', { flag: false }, Buffer.alloc(0), {}],
      ['bitfield32', { bits: { value: 0x80000001, selector: 0xffffffff } }, nla(15, cat(u32(0x80000001), u32(0xffffffff)))],
      [
        'nest (NLA_F_NESTED set)',
        { portFunction: { hwAddr: Buffer.from([2, 0, 0, 0, 0, 1]), state: 'active', opstate: 'attached' } },
        nest(16, [nla(1, [2, 0, 0, 0, 0, 1]), nla(2, u8(1)), nla(3, u8(1))]),
      ],
      ['nest with flagNested: false', { plainNest: { state: 'inactive' } }, nest(17, [nla(2, u8(0))], false)],
      ['empty nest', { portFunction: {} }, hex('0400 1080')],
      [
        'nest-array: entries numbered 1..n, each flagged',
        { entries: [{ id: 7 }, { id: 8, name: 'b' }, {}] },
        nest(18, [nest(1, [nla(1, u32(7))]), nest(2, [nla(1, u32(8)), nla(2, strz('b'))]), nest(3, [])]),
      ],
      ['nest-array with flagNested: false', { plainArray: [{ id: 1 }] }, nest(23, [nest(1, [nla(1, u32(1))], false)], false)],
      ['empty nest-array', { entries: [] }, hex('0400 1280')],
      ['multi string', { tags: ['a', 'bc', ''] }, cat(nla(19, strz('a')), nla(19, strz('bc')), nla(19, strz('')))],
      ['multi u32', { ids: [1, 2] }, cat(nla(24, u32(1)), nla(24, u32(2)))],
      ['enum from a name', { flavour: 'pcisf' }, nla(20, u16(7))],
      ['enum from a known number decodes to its name', { flavour: 3 }, nla(20, u16(3)), { flavour: 'pcipf' }],
      ['enum: an unknown value stays a number', { flavour: 1000 }, nla(20, u16(1000))],
    ];
    for (const [name, value, bytes, decoded] of cases) {
      it(name, () => {
        assert.equal(toHex(enc(value)), toHex(bytes), 'encode');
        assert.deepEqual(dec(bytes), decoded ?? value, 'decode');
      });
    }

    it('all of them in one run, in the object\'s key order', () => {
      const value: All = {
        flavour: 'cpu', aU8: 1, aU16: 2, aU32: 3, aU64: 4n, aS8: -5, aS16: -6, aS32: -7, aS64: -8n,
        aU16be: 9, aU32be: 10, aU64be: 11n, str: 'twelve', bin: Buffer.from('thirteen'), flag: true,
        bits: { value: 1, selector: 1 }, portFunction: { state: 'active' }, entries: [{ name: 'e' }], tags: ['t'],
      };
      const bytes = cat(
        nla(20, u16(1)), nla(1, u8(1)), nla(2, u16(2)), nla(3, u32(3)), nla(4, u64(4n)), nla(5, s8(-5)),
        nla(6, s16(-6)), nla(7, s32(-7)), nla(8, s64(-8n)), nla(9, u16be(9)), nla(10, u32be(10)), nla(11, u64be(11n)),
        nla(12, strz('twelve')), nla(13, Buffer.from('thirteen')), nla(14), nla(15, cat(u32(1), u32(1))),
        nest(16, [nla(2, u8(1))]), nest(18, [nest(1, [nla(2, strz('e'))])]), nla(19, strz('t')),
      );
      assert.equal(toHex(enc(value)), toHex(bytes));
      assert.deepEqual(dec(bytes), value);
    });
  });

  describe('decoding what the kernel sends', () => {
    it('decodes nests that come without NLA_F_NESTED (nlctrl sends them so) and with NLA_F_NET_BYTEORDER', () => {
      const bytes = cat(nest(16, [nla(2, u8(1))], false), nla(3 | 0x4000, u32(5)));
      assert.deepEqual(dec(bytes), { portFunction: { state: 'active' }, aU32: 5 });
    });

    it('a nest without a nested set is kept as bytes', () => {
      assert.deepEqual(dec(nest(21, [nla(1, u8(1))])), { opaque: Buffer.from(nla(1, u8(1))) });
    });

    it('a nest-array\'s entry numbers are not trusted: entries are taken in order', () => {
      const bytes = nest(18, [nest(9, [nla(1, u32(1))]), nest(3, [nla(1, u32(2))])]);
      assert.deepEqual(dec(bytes), { entries: [{ id: 1 }, { id: 2 }] });
    });

    it('a string stops at its first NUL; one without a NUL is taken whole', () => {
      assert.deepEqual(dec(nla(12, [0x61, 0x62, 0, 0x63, 0])), { str: 'ab' });
      assert.deepEqual(dec(nla(12, [0x61, 0x62, 0x63])), { str: 'abc' });
      assert.deepEqual(dec(nla(12, [])), { str: '' });
      const long = 'y'.repeat(40) + 'é';
      assert.deepEqual(dec(nla(26, strz(long))), { longStr: long });
      assert.deepEqual(dec(nla(26, [...Buffer.from('é€ok'), 0, 0x41])), { longStr: 'é€ok' });
    });

    it('a repeated non-multi attribute keeps the last value', () => {
      assert.deepEqual(dec(cat(nla(1, u8(1)), nla(1, u8(2)))), { aU8: 2 });
    });

    it('decoded binaries are copies, not views of the datagram', () => {
      const bytes = nla(13, [1, 2, 3]);
      const d = dec(bytes) as { bin: Buffer };
      bytes.fill(0);
      assert.deepEqual([...d.bin], [1, 2, 3]);
    });
  });

  describe('unknown attributes', () => {
    const unknownTop = nla(77, [1, 2, 3]);
    const unknownFlagged = nla(0x8000 | 300, nla(1, u8(9)));
    const unknownInNest = nla(0x4000 | 9, u16(0x1234));

    it('are kept in $unknown with their type (flag bits included) and raw bytes', () => {
      const bytes = cat(nla(1, u8(1)), unknownTop, unknownFlagged, nest(16, [nla(2, u8(0)), unknownInNest]));
      assert.deepEqual(dec(bytes), {
        aU8: 1,
        $unknown: [
          { type: 77, data: Buffer.from([1, 2, 3]) },
          { type: 0x8000 | 300, data: nla(1, u8(9)) },
        ],
        portFunction: { state: 'inactive', $unknown: [{ type: 0x4000 | 9, data: Buffer.from(u16(0x1234)) }] },
      });
    });

    it('are re-encoded identically', () => {
      const bytes = cat(nla(1, u8(1)), unknownTop, unknownFlagged, nest(16, [nla(2, u8(0)), unknownInNest]));
      assert.equal(toHex(enc(dec(bytes) as All)), toHex(bytes));
      const inArray = nest(18, [nest(1, [nla(1, u32(1)), nla(40, [0xaa])])]);
      assert.equal(toHex(enc(dec(inArray) as All)), toHex(inArray));
    });

    it('interleaved with known ones: re-encoding keeps every attribute (unknowns grouped)', () => {
      const bytes = cat(unknownTop, nla(1, u8(1)), unknownFlagged);
      const again = enc(dec(bytes) as All);
      assert.equal(toHex(again), toHex(cat(unknownTop, unknownFlagged, nla(1, u8(1)))));
      assert.deepEqual(dec(again), dec(bytes));
    });

    it('an attribute number past every known one, and number 0, are unknown too', () => {
      assert.deepEqual(dec(cat(nla(0x3fff), nla(0, u8(1)))), {
        $unknown: [{ type: 0x3fff, data: Buffer.alloc(0) }, { type: 0, data: Buffer.from(nla(0, u8(1)).subarray(4, 5)) }],
      });
    });
  });

  describe('validation: ValidationError naming the path, nothing written', () => {
    const bad: [string, Record<string, unknown>, string, RegExp][] = [
      ['u8 above range', { aU8: 256 }, '.a-u8', /outside 0\.\.255/],
      ['u8 negative', { aU8: -1 }, '.a-u8', /outside/],
      ['u8 fraction', { aU8: 1.5 }, '.a-u8', /integer/],
      ['u8 NaN', { aU8: NaN }, '.a-u8', /integer/],
      ['u8 as a string', { aU8: '1' }, '.a-u8', /integer/],
      ['u16 above range', { aU16: 0x10000 }, '.a-u16', /outside/],
      ['u32 above range', { aU32: 2 ** 32 }, '.a-u32', /outside/],
      ['u32 Infinity', { aU32: Infinity }, '.a-u32', /integer/],
      ['u32 as a bigint', { aU32: 1n }, '.a-u32', /integer/],
      ['u16be above range', { aU16be: 0x10000 }, '.a-u16be', /outside/],
      ['u32be negative', { aU32be: -1 }, '.a-u32be', /outside/],
      ['s8 above range', { aS8: 128 }, '.a-s8', /outside -128\.\.127/],
      ['s8 below range', { aS8: -129 }, '.a-s8', /outside/],
      ['s16 above range', { aS16: 32768 }, '.a-s16', /outside/],
      ['s32 below range', { aS32: -(2 ** 31) - 1 }, '.a-s32', /outside/],
      ['s32 fraction', { aS32: 0.5 }, '.a-s32', /integer/],
      ['u64 negative', { aU64: -1n }, '.a-u64', /outside/],
      ['u64 above range', { aU64: 1n << 64n }, '.a-u64', /outside/],
      ['u64 unsafe number', { aU64: 2 ** 53 }, '.a-u64', /bigint or a safe integer/],
      ['u64 as a string', { aU64: '1' }, '.a-u64', /bigint/],
      ['s64 above range', { aS64: 1n << 63n }, '.a-s64', /outside/],
      ['u64be negative', { aU64be: -1 }, '.a-u64be', /outside/],
      ['string with a NUL', { str: 'a\0b' }, '.str', /NUL/],
      ['string over maxLen', { str: 'x'.repeat(16) }, '.str', /longer than 15/],
      ['string over maxLen in bytes (UTF-8)', { str: 'é'.repeat(8) }, '.str', /longer than 15/],
      ['string as a number', { str: 5 }, '.str', /string/],
      ['binary as a string', { bin: 'abc' }, '.bin', /bytes/],
      ['binary over maxLen', { bin: Buffer.alloc(65) }, '.bin', /longer than 64/],
      ['binary larger than nla_len can say', { longBin: Buffer.alloc(65532) }, '.long-bin', /attribute can hold/],
      ['string larger than nla_len can say', { longStr: 'z'.repeat(65531) }, '.long-str', /attribute can hold/],
      ['nest larger than nla_len can say', { entries: [{ name: 'q'.repeat(40000) }, { name: 'q'.repeat(40000) }] }, '.entries', /attribute can hold/],
      ['flag as a number', { flag: 1 }, '.flag', /true or false/],
      ['bitfield32 as a number', { bits: 5 }, '.bits', /value, selector/],
      ['bitfield32 value out of range', { bits: { value: -1, selector: 0 } }, '.bits.value', /outside/],
      ['bitfield32 selector missing', { bits: { value: 1 } }, '.bits.selector', /integer/],
      ['nest given a number', { portFunction: 5 }, '.port-function', /object/],
      ['nest given null', { portFunction: null }, '.port-function', /object/],
      ['inside a nest', { portFunction: { state: 'active', hwAddr: Buffer.alloc(7) } }, '.port-function.hw-addr', /longer than 6/],
      ['enum name unknown, inside a nest', { portFunction: { state: 'bogus' } }, '.port-function.state', /"bogus" is not one of inactive, active/],
      ['enum name from Object.prototype', { flavour: 'constructor' }, '.flavour', /not one of/],
      ['enum given a boolean', { flavour: true }, '.flavour', /expected one of physical/],
      ['enum number out of range', { flavour: 70000 }, '.flavour', /outside/],
      ['nest-array not an array', { entries: { id: 1 } }, '.entries', /array/],
      ['inside a nest-array entry', { entries: [{ id: 1 }, { id: -1 }] }, '.entries[1].id', /outside/],
      ['nest-array entry not an object', { entries: [{ id: 1 }, 7] }, '.entries[1]', /object/],
      ['multi not an array', { tags: 'a' }, '.tags', /array/],
      ['inside a multi', { tags: ['a', 'b\0'] }, '.tags', /NUL/],
      ['an attribute the set does not have', { nope: 1 }, '.nope', /not an attribute of all/],
      ['inside a nest, an attribute the set does not have', { portFunction: { color: 1 } }, '.port-function.color', /not an attribute of port-function/],
      ['$unknown not an array', { $unknown: 5 }, '.$unknown', /array/],
      ['$unknown with a bad type', { $unknown: [{ type: 0x10000, data: Buffer.alloc(0) }] }, '.$unknown', /type/],
      ['$unknown without bytes', { $unknown: [{ type: 1, data: 'x' }] }, '.$unknown', /bytes/],
    ];
    for (const [name, value, field, reason] of bad) {
      it(name, () => {
        const w = new AttrWriter(8);
        w.putU8(99, 1); // something already there must survive untouched
        const before = toHex(w.finish());
        // a valid attribute first, so a half-written object would show
        const v = { aU32: 1, str: 'ok', ...value } as All;
        assert.throws(
          () => encodeAttrs(allAttrs, v, w),
          (e: unknown) => {
            assert.ok(e instanceof ValidationError, `got ${String(e)}`);
            assert.equal(e.field, field);
            assert.match(e.reason, reason);
            return true;
          },
        );
        assert.equal(toHex(w.finish()), before, 'nothing written');
        // and the writer is still usable
        w.putU8(98, 2);
        assert.equal(toHex(w.finish()), toHex(cat(nla(99, u8(1)), nla(98, u8(2)))));
      });
    }

    it('the top-level value must be an object: the set names it', () => {
      assert.throws(() => encodeAttrs(allAttrs, 5 as unknown as All, new AttrWriter()), (e: unknown) => e instanceof ValidationError && e.field === 'all');
    });

    it('undefined values are skipped', () => {
      assert.equal(toHex(enc({ aU8: undefined, aU16: 1 })), toHex(nla(2, u16(1))));
    });

    it('the largest attribute nla_len can describe is accepted', () => {
      const b = enc({ longBin: Buffer.alloc(65531, 1) });
      assert.equal(b.readUInt16LE(0), 0xffff);
      assert.equal((dec(b) as { longBin: Buffer }).longBin.length, 65531);
    });
  });

  describe('round trips', () => {
    const values: All[] = [
      {},
      { aU8: 0, aU16: 0, aU32: 0, aU64: 0n, aS8: 0, aS16: 0, aS32: 0, aS64: 0n, aU16be: 0, aU32be: 0, aU64be: 0n },
      { aU8: 255, aU16: 65535, aU32: 0xffffffff, aU64: (1n << 64n) - 1n, aS8: 127, aS16: 32767, aS32: 2 ** 31 - 1, aS64: (1n << 63n) - 1n },
      { aU16be: 65535, aU32be: 0xffffffff, aU64be: (1n << 64n) - 1n, aS8: -128, aS64: -(1n << 63n) },
      { str: '', bin: Buffer.alloc(0), flag: true, bits: { value: 0, selector: 0 } },
      { portFunction: { hwAddr: Buffer.from('020000000001', 'hex'), state: 'active', opstate: 'detached' }, plainNest: {} },
      { entries: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }], plainArray: [{}], tags: ['x', 'y'], ids: [0, 0xffffffff] },
      { flavour: 'pcisf', str: 'é€', longStr: 'l'.repeat(300), longBin: Buffer.alloc(1000, 0xab) },
    ];
    values.forEach((v, i) => {
      it(`value #${i}`, () => {
        const b = enc(v);
        assert.deepEqual(dec(b), v);
        assert.equal(toHex(enc(dec(b) as All)), toHex(b));
      });
    });

    it('a run that starts (and ends) at a non-zero offset', () => {
      const v: All = { aU32: 5, portFunction: { state: 'active' }, tags: ['a', 'b'], entries: [{ id: 3 }] };
      const run = enc(v);
      for (const lead of [1, 3, 4, 16, 20]) {
        const buf = cat(Buffer.alloc(lead, 0xee), run, Buffer.alloc(7, 0xdd));
        assert.deepEqual(decodeAttrs(allAttrs, buf, lead, lead + run.length), v, `lead ${lead}`);
      }
      // a range outside the buffer is refused
      assert.throws(() => decodeAttrs(allAttrs, run, 0, run.length + 1), MalformedError);
      assert.throws(() => decodeAttrs(allAttrs, run, -1, run.length), MalformedError);
      assert.throws(() => decodeAttrs(allAttrs, run, 8, 4), MalformedError);
      assert.deepEqual(decodeAttrs(allAttrs, run, 4, 4), {});
    });
  });

  describe('split buffers: truncated at the start, the middle, the end, and every byte', () => {
    // a message-like run whose attribute boundaries we know independently
    const parts = [
      nla(12, strz('pci')),
      nla(13, [1, 2, 3, 4, 5]), // 9 bytes, padded to 12
      nla(3, u32(0x01020304)),
      nest(16, [nla(1, [2, 0, 0, 0, 0, 1]), nla(2, u8(1))]),
      nest(18, [nest(1, [nla(1, u32(1)), nla(2, strz('ab'))]), nest(2, [nla(1, u32(2))])]),
      nla(19, strz('t1')),
      nla(19, strz('t2')),
      nla(4, u64(0xffffffffffffffffn)),
      nla(14),
      nla(26, strz('z'.repeat(30))),
      nla(77, [9, 9, 9]),
    ];
    const whole = cat(...parts);
    // unpadded end of each attribute: from its nla_len
    const starts: number[] = [];
    let off = 0;
    for (const p of parts) {
      starts.push(off);
      off += p.length;
    }
    const ends = parts.map((p, i) => starts[i] + (p[0] | (p[1] << 8)));

    /** The value expected when the first `k` attributes are whole. */
    function prefix(k: number): Record<string, unknown> {
      return dec(cat(...parts.slice(0, k)));
    }

    it('the whole run decodes', () => {
      const d = dec(whole);
      assertClean(d);
      assert.equal(Object.keys(d).length, 10);
    });

    it('every cut either throws MalformedError or decodes a strict prefix (and never leaks undefined/NaN)', () => {
      let prefixes = 0;
      let errors = 0;
      for (let cut = 0; cut < whole.length; cut++) {
        const slice = whole.subarray(0, cut);
        // attributes wholly inside the cut; the last one may lack its padding (the kernel's nla_ok accepts that)
        const whole_ = ends.filter((e) => e <= cut).length;
        const atBoundary = whole_ === parts.length || cut <= starts[whole_];
        let got: Record<string, unknown> | undefined;
        try {
          got = dec(slice);
        } catch (e) {
          assert.ok(e instanceof MalformedError, `cut ${cut}: ${String(e)}`);
          assert.ok(e.offset >= 0 && e.offset <= cut, `cut ${cut}: offset ${e.offset}`);
          assert.ok(!atBoundary, `cut ${cut} is at a boundary and should decode`);
          errors++;
          continue;
        }
        assert.ok(atBoundary, `cut ${cut} is inside an attribute and should fail`);
        assertClean(got);
        assert.deepEqual(got, prefix(whole_), `cut ${cut}`);
        prefixes++;
      }
      assert.ok(prefixes >= parts.length && errors > whole.length / 2, `${prefixes} prefixes, ${errors} errors`);
    });

    it('cut at the start (and cut from the start at every byte): MalformedError or clean garbage, never another exception', () => {
      for (let cut = 1; cut < whole.length; cut++) {
        try {
          assertClean(dec(whole.subarray(cut)));
        } catch (e) {
          assert.ok(e instanceof MalformedError, `from ${cut}: ${String(e)}`);
        }
        try {
          assertClean(decodeAttrs(allAttrs, whole, cut, whole.length));
        } catch (e) {
          assert.ok(e instanceof MalformedError, `from ${cut}: ${String(e)}`);
        }
      }
    });

    it('cut in the middle of a nest: the error names the path inside it', () => {
      const nestAt = starts[4]; // entries
      const inner = whole.subarray(nestAt, starts[5]);
      // shrink the nest's payload by rewriting its first entry's length to run past the end
      const broken = Buffer.from(inner);
      broken[4] = 0xff;
      assert.throws(() => dec(broken), (e: unknown) => e instanceof MalformedError && e.path === '.entries[0]' && e.offset === 4);
    });

    it('re-encoding never sees a truncated run: the same bytes come back', () => {
      assert.equal(toHex(enc(dec(whole) as All)), toHex(cat(...parts.slice(0, 10), nla(77, [9, 9, 9]))));
    });
  });
});
