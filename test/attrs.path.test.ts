/**
 * attrPathAt: a byte offset in a message we sent, turned into an attribute path through
 * the tables that encoded it (what the kernel's NLMSGERR_ATTR_OFFS points at).
 */
import assert from 'node:assert/strict';
import { attrNameOf, attrPathAt, setAtPath } from '../src/attrs/path';
import { defineAttrSet, AttrSet, AttrDefs } from '../src/attrs/schema';
import { cat, nest, nla, strz, u16, u32, u8 } from './helpers/bytes';

const fnAttrs = defineAttrSet('port-function', {
  hwAddr: { id: 1, type: 'binary' },
  state: { id: 2, type: 'u8' },
});
const entryAttrs = defineAttrSet('entry', {
  id: { id: 1, type: 'u32' },
  portFunction: { id: 2, type: 'nest', nested: () => fnAttrs },
});
const portAttrs = defineAttrSet('devlink', {
  busName: { id: 1, type: 'string' },
  devName: { id: 2, type: 'string' },
  portIndex: { id: 3, type: 'u32' },
  portFlavour: { id: 77, type: 'u16' },
  portFunction: { id: 145, type: 'nest', nested: () => fnAttrs },
  entries: { id: 18, type: 'nest-array', nested: () => entryAttrs },
  opaque: { id: 19, type: 'nest' },
});

// a request-like buffer: a 20-byte fixed header (nlmsghdr + genlmsghdr) then the attributes
const HDR = 20;
const parts = [
  nla(1, strz('pci')), //                     20..28
  nla(2, strz('0000:06:00.0')), //            28..48   (17 bytes + 3 padding)
  nla(77, u16(7)), //                         48..56
  nest(145, [nla(1, [2, 0, 0, 0, 0, 1]), nla(2, u8(1))]), // 56..80: hw-addr 60..72, state 72..80
  nest(18, [nest(1, [nla(1, u32(1))]), nest(2, [nla(1, u32(2)), nest(2, [nla(2, u8(0))])])]), // 80..120
  nla(500, [1, 2, 3]), //                     120..128
  nest(19, [nla(1, u8(1))]), //               128..140
];
const buf = cat(Buffer.alloc(HDR, 0xee), ...parts);
const at = (offset: number, set: AttrSet<AttrDefs> | undefined = portAttrs): string => attrPathAt(set, buf, HDR, buf.length, offset);

describe('attrs: attrPathAt', () => {
  it('the layout is what the comments say', () => {
    assert.equal(buf.length, 140);
  });

  it('an offset at an attribute header, inside it, and in its padding', () => {
    assert.equal(at(20), '.bus-name');
    assert.equal(at(23), '.bus-name');
    assert.equal(at(24), '.bus-name');
    assert.equal(at(27), '.bus-name');
    assert.equal(at(28), '.dev-name');
    assert.equal(at(46), '.dev-name'); // padding after the NUL
    assert.equal(at(48), '.port-flavour');
  });

  it('inside a nest: the nest header names the nest, the payload names the inner attribute', () => {
    assert.equal(at(56), '.port-function');
    assert.equal(at(59), '.port-function');
    assert.equal(at(60), '.port-function.hw-addr');
    assert.equal(at(66), '.port-function.hw-addr');
    assert.equal(at(72), '.port-function.state');
    assert.equal(at(79), '.port-function.state');
  });

  it('inside a nest-array entry: the index, then the entry\'s attributes, down through a nest in it', () => {
    assert.equal(at(80), '.entries');
    assert.equal(at(84), '.entries[0]');
    assert.equal(at(88), '.entries[0].id');
    assert.equal(at(96), '.entries[1]');
    assert.equal(at(100), '.entries[1].id');
    assert.equal(at(108), '.entries[1].port-function');
    assert.equal(at(112), '.entries[1].port-function.state');
    assert.equal(at(119), '.entries[1].port-function.state');
  });

  it('unknown attributes are "attr-N"; a nest without a set names its inner attributes by number', () => {
    assert.equal(at(120), '.attr-500');
    assert.equal(at(125), '.attr-500');
    assert.equal(at(128), '.opaque');
    assert.equal(at(132), '.opaque.attr-1');
    assert.equal(attrPathAt(undefined, buf, HDR, buf.length, 60), '.attr-145');
    assert.equal(attrPathAt(undefined, buf, HDR, buf.length, 20), '.attr-1');
  });

  it('outside everything: the empty string', () => {
    assert.equal(at(0), '');
    assert.equal(at(19), '');
    assert.equal(at(140), '');
    assert.equal(at(100000), '');
    assert.equal(at(-1), '');
    assert.equal(attrPathAt(portAttrs, buf, HDR, HDR, 20), '');
  });

  it('an offset past `end` is outside even when the buffer goes on', () => {
    assert.equal(attrPathAt(portAttrs, buf, HDR, 56, 60), '');
    // and an `end` past the buffer is clamped
    assert.equal(attrPathAt(portAttrs, buf, HDR, 10000, 72), '.port-function.state');
  });

  it('never throws on garbage, and stops on a broken header with the path so far', () => {
    const broken = Buffer.from(buf);
    broken.writeUInt16LE(2, 60); // hw-addr's nla_len below 4
    assert.equal(attrPathAt(portAttrs, broken, HDR, broken.length, 66), '.port-function');
    broken.writeUInt16LE(0xffff, 20); // bus-name runs past the end
    assert.equal(attrPathAt(portAttrs, broken, HDR, broken.length, 66), '');
    let seed = 7;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rand() * 80);
      const g = Buffer.alloc(len);
      for (let j = 0; j < len; j++) g[j] = rand() < 0.5 ? Math.floor(rand() * 256) : [4, 8, 0x80, 0, 18, 145][j % 6];
      const start = Math.floor(rand() * 6) - 1;
      const r = attrPathAt(portAttrs, g, start, Math.floor(rand() * (len + 8)), Math.floor(rand() * (len + 4)) - 2);
      assert.equal(typeof r, 'string');
    }
  });

  it('a self-nesting set deeper than MAX_NEST_DEPTH ends the walk', () => {
    const selfAttrs: AttrSet<AttrDefs> = defineAttrSet('self', { inner: { id: 1, type: 'nest', nested: () => selfAttrs } });
    let b: Buffer = nla(2, u8(1));
    for (let i = 0; i < 40; i++) b = nest(1, [b]);
    const p = attrPathAt(selfAttrs, b, 0, b.length, b.length - 4);
    assert.ok(/^(\.inner)+$/.test(p) && p.split('.').length - 1 <= 18, p);
  });
});

describe('attrs: attrNameOf and setAtPath', () => {
  it('attrNameOf names a number through a set', () => {
    assert.equal(attrNameOf(portAttrs, 3), 'port-index');
    assert.equal(attrNameOf(portAttrs, 4), 'attr-4');
    assert.equal(attrNameOf(undefined, 3), 'attr-3');
  });

  it('setAtPath follows a path (array indices included) to the set a missing attribute belongs to', () => {
    assert.equal(setAtPath(portAttrs, ''), portAttrs);
    assert.equal(setAtPath(portAttrs, '.port-function'), fnAttrs);
    assert.equal(setAtPath(portAttrs, '.entries[1]'), entryAttrs);
    assert.equal(setAtPath(portAttrs, '.entries[1].port-function'), fnAttrs);
    assert.equal(setAtPath(portAttrs, '.bus-name'), undefined);
    assert.equal(setAtPath(portAttrs, '.nope'), undefined);
    assert.equal(setAtPath(undefined, '.port-function'), undefined);
  });
});
