/**
 * AttrWriter against bytes built independently (test/helpers/bytes.ts, from struct nlattr).
 */
import assert from 'node:assert/strict';
import { AttrWriter, NLA_ALIGNTO, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign } from '../src/attrs/writer';
import { cat, F_NESTED, hex, nest, nla, s16, s32, s64, s8, strz, toHex, u16, u16be, u32, u32be, u64, u64be, u8 } from './helpers/bytes';

function written(f: (w: AttrWriter) => void, initial?: number): string {
  const w = new AttrWriter(initial);
  f(w);
  assert.equal(w.length, w.finish().length);
  return toHex(w.finish());
}

describe('attrs: AttrWriter', () => {
  it('has the uapi constants', () => {
    assert.equal(NLA_ALIGNTO, 4);
    assert.equal(NLA_HDRLEN, 4);
    assert.equal(NLA_F_NESTED, 0x8000);
    assert.equal(NLA_F_NET_BYTEORDER, 0x4000);
    assert.equal(NLA_TYPE_MASK, 0x3fff);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 7, 8, 9].map(nlaAlign), [0, 4, 4, 4, 4, 8, 8, 8, 12]);
  });

  describe('one attribute of each type, byte for byte', () => {
    const cases: [string, (w: AttrWriter) => void, Buffer][] = [
      ['u8', (w) => w.putU8(1, 0xab), hex('0500 0100 ab000000')],
      ['u16', (w) => w.putU16(2, 0x1234), hex('0600 0200 3412 0000')],
      ['u32', (w) => w.putU32(3, 0xdeadbeef), hex('0800 0300 efbeadde')],
      ['u64', (w) => w.putU64(4, 0x0102030405060708n), hex('0c00 0400 0807060504030201')],
      ['u64 max', (w) => w.putU64(4, (1n << 64n) - 1n), nla(4, u64((1n << 64n) - 1n))],
      ['s8', (w) => w.putS8(5, -2), nla(5, s8(-2))],
      ['s16', (w) => w.putS16(6, -300), nla(6, s16(-300))],
      ['s32', (w) => w.putS32(7, -70000), nla(7, s32(-70000))],
      ['s64', (w) => w.putS64(8, -(1n << 40n)), nla(8, s64(-(1n << 40n)))],
      ['u16be', (w) => w.putU16Be(9, 0x1234), hex('0600 0900 1234 0000')],
      ['u32be', (w) => w.putU32Be(10, 0x0a000001), nla(10, u32be(0x0a000001))],
      ['u64be', (w) => w.putU64Be(11, 0x0102030405060708n), nla(11, u64be(0x0102030405060708n))],
      ['string', (w) => w.putString(12, 'pci'), hex('0800 0c00 706369 00')],
      ['string needing padding', (w) => w.putString(12, 'eth6'), hex('0900 0c00 65746836 00 000000')],
      ['empty string', (w) => w.putString(12, ''), hex('0500 0c00 00 000000')],
      ['utf-8 string', (w) => w.putString(12, 'é'), nla(12, strz('é'))],
      ['binary', (w) => w.putBinary(13, Uint8Array.from([1, 2, 3, 4, 5, 6])), hex('0a00 0d00 010203040506 0000')],
      ['empty binary', (w) => w.putBinary(13, new Uint8Array(0)), hex('0400 0d00')],
      ['flag', (w) => w.putFlag(14), hex('0400 0e00')],
      ['bitfield32', (w) => w.putBitfield32(15, 0x1, 0x3), hex('0c00 0f00 01000000 03000000')],
    ];
    for (const [name, put, expected] of cases) {
      it(name, () => assert.equal(written(put), toHex(expected)));
    }
  });

  it('zeroes the padding even when the buffer held garbage', () => {
    const w = new AttrWriter(64);
    // dirty the buffer, then rewind over it
    const at = w.nestStart(1);
    w.putBinary(2, Buffer.alloc(40, 0xff));
    w.nestCancel(at);
    w.putU8(3, 7);
    w.putU16(4, 0x0102);
    w.putString(5, 'ab');
    assert.equal(toHex(w.finish()), toHex(cat(nla(3, u8(7)), nla(4, u16(0x0102)), nla(5, strz('ab')))));
  });

  it('nests: placeholder header patched at the end, NLA_F_NESTED by default, off on request', () => {
    const got = written((w) => {
      const a = w.nestStart(1);
      w.putU32(2, 5);
      const b = w.nestStart(3, false);
      w.putU8(4, 1);
      w.nestEnd(b);
      w.nestEnd(a);
    });
    assert.equal(got, toHex(nest(1, [nla(2, u32(5)), nest(3, [nla(4, u8(1))], false)])));
    assert.equal(got.slice(0, 8), '18000180'); // len 24, type 1 | 0x8000
  });

  it('an empty nest is a bare header', () => {
    assert.equal(written((w) => w.nestEnd(w.nestStart(7))), toHex(hex('0400 0780')));
  });

  it('nestCancel drops the nest and everything in it', () => {
    const got = written((w) => {
      w.putU8(1, 1);
      const a = w.nestStart(2);
      w.putU32(3, 3);
      w.nestCancel(a);
      w.putU8(4, 4);
    });
    assert.equal(got, toHex(cat(nla(1, u8(1)), nla(4, u8(4)))));
  });

  it('grows its buffer, keeping what was written (starting from 4 bytes)', () => {
    const expected: Buffer[] = [];
    const got = written((w) => {
      for (let i = 0; i < 200; i++) {
        w.putU32(i + 1, i * 7);
        expected.push(nla(i + 1, u32(i * 7)));
      }
      w.putBinary(999, Buffer.alloc(3000, 0x5a));
      expected.push(nla(999, Buffer.alloc(3000, 0x5a)));
    }, 4);
    assert.equal(got, toHex(cat(...expected)));
  });

  it('grows from a zero-sized start, and a put that grows the buffer writes its value into the new one', () => {
    assert.equal(written((w) => w.putU8(1, 0xab), 0), toHex(nla(1, u8(0xab))));
    // each put lands exactly on a growth boundary of an 8-byte start
    for (const [put, payload] of [
      [(w: AttrWriter) => w.putU16(2, 0xbeef), u16(0xbeef)],
      [(w: AttrWriter) => w.putU64(2, 5n), u64(5n)],
      [(w: AttrWriter) => w.putS8(2, -1), s8(-1)],
      [(w: AttrWriter) => w.putS16(2, -1), s16(-1)],
      [(w: AttrWriter) => w.putS32(2, -1), s32(-1)],
      [(w: AttrWriter) => w.putS64(2, -1n), s64(-1n)],
      [(w: AttrWriter) => w.putU16Be(2, 0x0102), u16be(0x0102)],
      [(w: AttrWriter) => w.putU32Be(2, 0x01020304), u32be(0x01020304)],
      [(w: AttrWriter) => w.putU64Be(2, 0x0102n), u64be(0x0102n)],
      [(w: AttrWriter) => w.putBitfield32(2, 1, 2), [...u32(1), ...u32(2)]],
      [(w: AttrWriter) => w.putString(2, 'abcdefgh'), strz('abcdefgh')],
    ] as const) {
      const got = written((w) => {
        w.putU32(1, 0x11111111);
        put(w);
      }, 8);
      assert.equal(got, toHex(cat(nla(1, u32(0x11111111)), nla(2, payload))));
    }
  });

  it('reserve() gives zeroed room for a fixed header, patch*() fill it in', () => {
    const w = new AttrWriter(8);
    const at = w.reserve(8);
    assert.equal(at, 0);
    w.putU8(1, 9);
    w.patchU32(0, 0xa1b2c3d4);
    w.patchU16(4, 0xbeef);
    w.patchU8(6, 0x7f);
    assert.equal(toHex(w.finish()), toHex(cat(u32(0xa1b2c3d4), u16(0xbeef), [0x7f, 0], nla(1, u8(9)))));
    const w2 = new AttrWriter(4);
    w2.putU8(1, 1);
    assert.equal(w2.reserve(6), 8);
    assert.equal(toHex(w2.finish()), toHex(cat(nla(1, u8(1)), [0, 0, 0, 0, 0, 0])));
  });

  it('type numbers are written as given (flag bits included)', () => {
    assert.equal(written((w) => w.putBinary(5 | F_NESTED | 0x4000, Uint8Array.of(9))), toHex(nla(0xc005, [9])));
  });

  it('finish() is a view of the written bytes only', () => {
    const w = new AttrWriter(1024);
    w.putU8(1, 1);
    assert.equal(w.finish().length, 8);
  });
});
