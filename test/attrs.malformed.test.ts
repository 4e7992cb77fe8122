/**
 * Bytes that are not valid netlink: every case raises MalformedError with an offset and
 * a path — never another kind of exception, never a hang. Ends with a fuzz loop.
 */
import assert from 'node:assert/strict';
import { decodeAttrs, MAX_NEST_DEPTH } from '../src/attrs/decode';
import { MalformedError } from '../src/attrs/errors';
import { defineAttrSet, AttrSet, AttrDefs } from '../src/attrs/schema';
import { forEachMessage, parseDone, parseError, NlMsg } from '../src/genl/message';
import { cat, hex, nest, nla, nlmsg, strz, u16, u32, u8 } from './helpers/bytes';
import { prng } from './helpers/prng';

const inner: AttrSet<AttrDefs> = defineAttrSet('inner', {
  hwAddr: { id: 1, type: 'binary' },
  state: { id: 2, type: 'u8' },
  entries: { id: 3, type: 'nest-array', nested: () => inner },
});

const set: AttrSet<AttrDefs> = defineAttrSet('m', {
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
  str: { id: 12, type: 'string' },
  flag: { id: 14, type: 'flag' },
  bits: { id: 15, type: 'bitfield32' },
  portFunction: { id: 16, type: 'nest', nested: () => inner },
  list: { id: 18, type: 'nest-array', nested: () => inner },
  deep: { id: 20, type: 'nest', nested: () => set },
  tags: { id: 19, type: 'string', multi: true },
});

function malformed(buf: Buffer, check: { offset?: number; path?: string; detail?: RegExp }, s: AttrSet<AttrDefs> = set): MalformedError {
  let caught: unknown;
  try {
    decodeAttrs(s, buf);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof MalformedError, `expected MalformedError, got ${String(caught)}`);
  if (check.offset !== undefined) assert.equal(caught.offset, check.offset, 'offset');
  if (check.path !== undefined) assert.equal(caught.path, check.path, 'path');
  if (check.detail) assert.match(caught.detail, check.detail);
  assert.ok(caught.message.includes(`offset ${caught.offset}`));
  return caught;
}


function clean(v: unknown): void {
  if (v === undefined) assert.fail('undefined in a decoded value');
  if (typeof v === 'number') assert.ok(Number.isInteger(v), `bad number ${v}`);
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return;
  for (const x of Object.values(v)) clean(x);
}

describe('attrs: malformed input', () => {
  describe('lengths', () => {
    it('attribute length below 4', () => {
      for (const len of [0, 1, 2, 3]) {
        malformed(hex(`${len.toString(16).padStart(2, '0')}00 0100 00000000`), { offset: 0, path: '', detail: /below 4/ });
      }
    });

    it('attribute length below 4 after a good attribute, and inside a nest (path and offset of the bad header)', () => {
      malformed(cat(nla(1, u8(1)), hex('0200 0200')), { offset: 8, path: '' });
      malformed(cat(nla(1, u8(1)), nest(16, [nla(2, u8(1)), hex('0000 0100')])), { offset: 8 + 4 + 8, path: '.port-function' });
    });

    it('attribute length past the end', () => {
      malformed(hex('0900 0c00 616263'), { offset: 0, detail: /runs past the end/ });
      malformed(cat(nla(3, u32(1)), hex('4000 0100 00000000')), { offset: 8, path: '' });
    });

    it('an inner attribute running past its nest (though within the buffer)', () => {
      const n = nest(16, [nla(2, u8(1))]);
      n[4 + 0] = 12; // inner nla_len 12 > the 8 bytes the nest holds
      malformed(cat(n, nla(1, u8(1)), nla(1, u8(1))), { offset: 4, path: '.port-function', detail: /runs past/ });
    });

    it('1, 2 or 3 bytes left over after the last attribute', () => {
      for (const extra of [1, 2, 3]) {
        malformed(cat(nla(1, u8(1)), Buffer.alloc(extra)), { offset: 8, path: '', detail: new RegExp(`${extra} bytes left over`) });
      }
      malformed(cat(nla(1, u8(1)), [0, 0]), { offset: 8 });
      malformed(nest(16, [nla(2, u8(1)), [0xaa]]), { offset: 12, path: '.port-function', detail: /1 bytes left over/ });
    });

    it('4 zero bytes are a bad header (length 0), not padding', () => {
      malformed(cat(nla(1, u8(1)), Buffer.alloc(4)), { offset: 8, detail: /length 0 below/ });
    });
  });

  describe('wrong size for the type: kept raw in $unknown and flagged, the rest still decodes', () => {
    // a newer kernel widening one attribute must not make a whole port or event undecodable
    const cases: [string, Buffer, number][] = [
      ['u8 with 2 bytes', nla(1, [1, 2]), 1],
      ['u8 with 0 bytes', nla(1), 1],
      ['u16 with 1 byte', nla(2, [1]), 2],
      ['u16 with 4 bytes', nla(2, u32(1)), 2],
      ['u32 with 3 bytes', nla(3, [1, 2, 3]), 4],
      ['u32 with 8 bytes', nla(3, [1, 2, 3, 4, 5, 6, 7, 8]), 4],
      ['u64 with 4 bytes', nla(4, u32(1)), 8],
      ['s8 with 4 bytes', nla(5, u32(1)), 1],
      ['s16 with 3 bytes', nla(6, [1, 2, 3]), 2],
      ['s32 with 2 bytes', nla(7, u16(1)), 4],
      ['s64 with 7 bytes', nla(8, [1, 2, 3, 4, 5, 6, 7]), 8],
      ['u16be with 1 byte', nla(9, [1]), 2],
      ['u32be with 5 bytes', nla(10, [1, 2, 3, 4, 5]), 4],
      ['u64be with 9 bytes', nla(11, [1, 2, 3, 4, 5, 6, 7, 8, 9]), 8],
      ['flag with a payload', nla(14, [1]), 0],
      ['bitfield32 with 4 bytes', nla(15, u32(1)), 8],
    ];
    for (const [name, bytes, expected] of cases) {
      it(name, () => {
        const c = set.byId[bytes[2]]!;
        const payload = bytes.subarray(4, bytes.readUInt16LE(0));
        const want = [{ type: bytes[2], data: Buffer.from(payload), wrongSize: { name: c.name, expected } }];
        const top = decodeAttrs(set, bytes) as Record<string, unknown>;
        assert.deepEqual(top.$unknown, want);
        assert.equal(top[c.key], undefined, 'not read as its type');
        // after another attribute, which still decodes; and inside a nest of the set itself
        const after = decodeAttrs(set, cat(nla(12, strz('ab')), bytes)) as Record<string, unknown>;
        assert.equal(after.str, 'ab');
        assert.deepEqual(after.$unknown, want);
        const deep = decodeAttrs(set, nest(20, [bytes])) as { deep?: Record<string, unknown> };
        assert.deepEqual(deep.deep?.$unknown, want);
      });
    }

    it('inside a nest-array entry', () => {
      const got = decodeAttrs(set, nest(18, [nest(1, [nla(2, u8(1))]), nest(2, [nla(2, u16(1))])])) as { list?: Record<string, unknown>[] };
      assert.equal(got.list?.[0].state, 1);
      assert.deepEqual(got.list?.[1].$unknown, [{ type: 2, data: Buffer.from(u16(1)), wrongSize: { name: 'state', expected: 1 } }]);
    });

    it('a nest-array whose entry header is bad', () => {
      malformed(nest(18, [nest(1, [nla(2, u8(1))]), hex('0200 0000')]), { offset: 16, path: '.list[1]', detail: /below 4/ });
      malformed(nest(18, [nest(1, [nla(2, u8(1))]), hex('0800 0000')]), { offset: 16, path: '.list[1]', detail: /runs past/ });
      malformed(nest(18, [nest(1, []), [1, 2]]), { offset: 8, path: '.list[1]', detail: /left over/ });
    });
  });

  describe('nesting depth', () => {
    function deepNest(depth: number): Buffer {
      let b: Buffer = nla(1, u8(7));
      for (let i = 0; i < depth; i++) b = nest(20, [b]);
      return b;
    }

    it(`up to MAX_NEST_DEPTH (${MAX_NEST_DEPTH}) nested levels decode`, () => {
      let d = decodeAttrs(set, deepNest(MAX_NEST_DEPTH)) as Record<string, unknown>;
      for (let i = 0; i < MAX_NEST_DEPTH; i++) d = d.deep as Record<string, unknown>;
      assert.deepEqual(d, { aU8: 7 });
    });

    it('one level more is refused', () => {
      const e = malformed(deepNest(MAX_NEST_DEPTH + 1), { detail: new RegExp(`deeper than ${MAX_NEST_DEPTH}`) });
      assert.equal(e.path, '.deep'.repeat(MAX_NEST_DEPTH + 1));
    });

    it('a 40-deep nest built by hand: MalformedError, with the offset of the run that is too deep', () => {
      const e = malformed(deepNest(40), { detail: /deeper than/ });
      assert.equal(e.offset, 4 * (MAX_NEST_DEPTH + 1));
      assert.ok(e.path.startsWith('.deep.deep.'));
    });

    it('a 40-deep chain of nest-arrays is refused too', () => {
      let b: Buffer = nla(2, u8(1));
      for (let i = 0; i < 40; i++) b = nest(3, [nest(1, [b])]);
      malformed(nest(16, [b]), { detail: /deeper than/ });
    });

    it('10,000 levels: no stack overflow, just MalformedError', () => {
      // built directly: each level is a header in front of the rest
      const depth = 10000;
      const buf = Buffer.alloc(depth * 4 + 8);
      for (let i = 0; i < depth; i++) {
        buf.writeUInt16LE(buf.length - i * 4, i * 4);
        buf.writeUInt16LE(20 | 0x8000, i * 4 + 2);
      }
      buf.set(nla(1, u8(1)), depth * 4);
      malformed(buf, { detail: /deeper than/ });
    });
  });

  describe('messages (src/genl/message.ts)', () => {
    const m1 = nlmsg({ type: 0x10, flags: 2, seq: 1 }, cat([3, 1, 0, 0], nla(1, u16(16))));
    const m2 = nlmsg({ type: 0x3, flags: 2, seq: 1 }, u32(0));

    function split(buf: Buffer): NlMsg[] {
      const out: NlMsg[] = [];
      forEachMessage(buf, (m) => out.push(m));
      return out;
    }

    it('a datagram splits into its messages', () => {
      const ms = split(cat(m1, m2));
      assert.deepEqual(ms.map((m) => [m.type, m.flags, m.seq, m.offset, m.length]), [[0x10, 2, 1, 0, m1.length], [3, 2, 1, m1.length, m2.length]]);
    });

    it('cut at every byte: MalformedError after the whole messages before the cut, or a clean split', () => {
      const whole = cat(m1, m2);
      for (let cut = 0; cut <= whole.length; cut++) {
        const seen: NlMsg[] = [];
        try {
          forEachMessage(whole.subarray(0, cut), (m) => seen.push(m));
          // no error: either the cut is at a boundary, or fewer than 16 bytes trail (not a header)
          const rest = cut - seen.reduce((n, m) => n + m.length, 0);
          assert.ok(rest < 16, `cut ${cut}`);
        } catch (e) {
          assert.ok(e instanceof MalformedError, String(e));
          assert.equal(e.offset, seen.length === 0 ? 0 : m1.length);
        }
        for (const m of seen) {
          assert.ok(m.offset + m.length <= cut);
          clean({ t: m.type, f: m.flags, s: m.seq, p: m.pid });
        }
      }
    });

    it('nlmsg_len below the header', () => {
      const b = Buffer.from(m1);
      b.writeUInt32LE(15, 0);
      assert.throws(() => split(b), (e: unknown) => e instanceof MalformedError && /below 16/.test(e.detail));
    });

    it('a short NLMSG_ERROR', () => {
      const e = nlmsg({ type: 2, seq: 1 }, u32(0));
      assert.throws(() => split(e).map(parseError), MalformedError);
    });

    it('an NLMSG_ERROR whose ext-ack TLVs are broken', () => {
      const orig = nlmsg({ type: 0x10, seq: 1 });
      const e = nlmsg({ type: 2, seq: 1, flags: 0x100 | 0x200 }, cat(u32(-22 >>> 0), orig, hex('0900 0100 6162')));
      assert.throws(() => split(e).map(parseError), MalformedError);
    });

    it('an NLMSG_DONE whose ext-ack TLVs are broken', () => {
      const d = nlmsg({ type: 3, seq: 1, flags: 0x200 }, cat(u32(-22 >>> 0), [3, 0, 1, 0]));
      assert.throws(() => split(d).map(parseDone), MalformedError);
    });
  });

  describe('fuzz (fixed seeds)', () => {
    it('random bytes: only MalformedError, and clean values when decoding succeeds', () => {
      const rand = prng(0x5eed);
      let ok = 0;
      for (let i = 0; i < 5000; i++) {
        const len = Math.floor(rand() * 64);
        const b = Buffer.alloc(len);
        for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 256);
        try {
          clean(decodeAttrs(set, b));
          ok++;
        } catch (e) {
          assert.ok(e instanceof MalformedError, `iteration ${i} (${b.toString('hex')}): ${String(e)}`);
        }
      }
      assert.ok(ok > 0);
    });

    it('plausible attributes (small lengths, known types) mutated: only MalformedError', () => {
      const rand = prng(42);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
      const types = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 19, 20, 0x8010, 0x8012, 0x8014, 99];
      function gen(depth: number): Buffer {
        const parts: Buffer[] = [];
        const n = Math.floor(rand() * 4);
        for (let i = 0; i < n; i++) {
          const t = pick(types);
          const nested = (t & 0x3fff) === 16 || (t & 0x3fff) === 18 || (t & 0x3fff) === 20;
          if (nested && depth < 5) parts.push(nest(t & 0x3fff, [gen(depth + 1)], (t & 0x8000) !== 0));
          else parts.push(nla(t, Array.from({ length: pick([0, 1, 2, 3, 4, 5, 8, 9]) }, () => Math.floor(rand() * 256))));
        }
        return cat(...parts);
      }
      let malformedCount = 0;
      for (let i = 0; i < 3000; i++) {
        const b = gen(0);
        // mutate a few bytes
        const flips = Math.floor(rand() * 3);
        for (let k = 0; k < flips && b.length > 0; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        const cut = rand() < 0.3 ? Math.floor(rand() * (b.length + 1)) : b.length;
        try {
          clean(decodeAttrs(set, b.subarray(0, cut)));
        } catch (e) {
          assert.ok(e instanceof MalformedError, `iteration ${i} (${b.toString('hex')}): ${String(e)}`);
          malformedCount++;
        }
      }
      assert.ok(malformedCount > 100);
    });
  });
});
