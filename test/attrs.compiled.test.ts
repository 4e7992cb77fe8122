// The compiled decoders (src/attrs/compiled.ts) against the generic loop they replace
// (at the top level; nests decode the same way on both sides): the same objects, or the
// same MalformedError (detail, offset, path), for valid messages, every cut of them,
// and random bytes.
import assert from 'node:assert/strict';
import { decodeAttrs, decodeAttrsGeneric } from '../src/attrs/decode';
import { MalformedError } from '../src/attrs/errors';
import { devlinkAttrs } from '../src/devlink/schema';
import { ctrlAttrs } from '../src/genl/nlctrl';
import { cat, nest, nla, strz, u16, u32, u64, u8 } from './helpers/bytes';
import { prng } from './helpers/prng';

type Outcome = { ok: unknown } | { err: [string, number, string] };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    if (!(e instanceof MalformedError)) throw e;
    return { err: [e.detail, e.offset, e.path] };
  }
}

function same(set: Parameters<typeof decodeAttrs>[0], buf: Buffer, start: number, end: number): void {
  assert.deepEqual(outcome(() => decodeAttrs(set, buf, start, end)), outcome(() => decodeAttrsGeneric(set, buf, start, end)));
}

/** A port message body as the kernel sends it, with a nest, enums, a repeated attribute and an unknown one. */
function portBody(): Buffer {
  return cat(
    nla(1, strz('pci')), nla(2, strz('0000:06:00.0')), nla(3, u32(32768)), nla(4, u16(2)), nla(6, u32(17)), nla(7, strz('eth6')),
    nla(148, u8(0)), nla(77, u16(7)), nla(150, u32(0)), nla(127, u16(0)), nla(164, u32(88)),
    nest(145, [nla(1, Buffer.from('000000008888', 'hex')), nla(2, u8(1)), nla(3, u8(0)), nla(4, [...u32(1), ...u32(15)]), nla(6, u32(8))], false),
    nest(101, [nla(103, strz('fw.version')), nla(104, strz('1.2.3'))]),
    nest(101, [nla(103, strz('fw.psid')), nla(104, strz('MT_1'))]),
    nla(166, u64(1n << 40n)),
    nla(400, u32(5)),
  );
}

describe('compiled decoders reproduce the generic loop', () => {
  it('a full port message', () => {
    const body = portBody();
    same(devlinkAttrs, body, 0, body.length);
    const d = decodeAttrs(devlinkAttrs, body);
    assert.equal(d.portFlavour, 'pcisf');
    assert.equal(d.infoVersionRunning?.length, 2);
  });

  it('every cut of it, from the start and to the end', () => {
    const body = portBody();
    for (let i = 0; i <= body.length; i++) {
      same(devlinkAttrs, body, 0, i);
      same(devlinkAttrs, body, i, body.length);
    }
  });

  it('random bytes and mutated messages (fixed seed)', () => {
    const next = prng(12345);
    const rnd = (n: number): number => Math.floor(next() * n);
    const body = portBody();
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(body);
      for (let k = 0; k < 1 + rnd(4); k++) b[rnd(b.length)] = rnd(256);
      same(devlinkAttrs, b, 0, b.length);
      const r = Buffer.from(Array.from({ length: rnd(64) }, () => rnd(256)));
      same(devlinkAttrs, r, 0, r.length);
      same(ctrlAttrs, r, 0, r.length);
    }
  });
});
