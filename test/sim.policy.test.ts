import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { cat, genlmsg, nest, nla, strz, u16, u32, u64 } from './helpers/bytes';
import { attrOffset, attrsOf, dl, expectError, F, PCI0, parse, portIndex, portNewAttrs, Raw, u32of, attr, NLMSG_ERROR, simAndRaw } from './sim.helpers';

const DEV = [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' as const }];
const REQ = F.REQUEST | F.ACK;

describe('sim: attribute policies and the genl receive path (6.1)', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ devices: DEV }, false)));
  afterEach(() => sim.close());

  it('PORT_NEW is strict: an attribute above DEVLINK_ATTR_MAX is "Unknown attribute type" at its offset', () => {
    const msg = dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1, [nla(200, u32(1))]));
    const e = expectError(raw.call(msg), 22, 'Unknown attribute type');
    assert.equal(e.ext?.offs, attrOffset(msg, 5));
    assert.equal(e.ext?.policy, undefined);
    assert.equal(e.flags, F.CAPPED | F.ACK_TLVS);
    assert.equal(e.bytes.length, 16 + 4 + 16 + 28 + 8, 'capped: header, errno, request header, MSG, OFFS');
  });

  it('PORT_NEW is strict: an attribute without a policy is "Unsupported attribute"', () => {
    const msg = dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1, [nla(6, u32(3))]));
    const e = expectError(raw.call(msg), 22, 'Unsupported attribute');
    assert.equal(e.ext?.offs, attrOffset(msg, 5));
  });

  it('PORT_NEW is strict: a wrong length is "invalid attribute length", with the policy', () => {
    const msg = dl(sim, 7, REQ, [...PCI0, nla(77, u32(7)), nla(127, u16(0)), nla(164, u32(1))]);
    const e = expectError(raw.call(msg), 22, 'invalid attribute length');
    assert.equal(e.ext?.offs, attrOffset(msg, 2));
    const pol = attrsOf(e.ext?.policy as Buffer, 0, (e.ext?.policy as Buffer).length);
    assert.deepEqual(pol.map((a) => a.type), [4, 5, 1], 'MIN_VALUE_U, MAX_VALUE_U, TYPE');
    assert.equal(pol[1].data.readBigUInt64LE(0), 0xffffn);
    assert.equal(pol[2].data.readUInt32LE(0), 3, 'NL_ATTR_TYPE_U16');
  });

  it('PORT_NEW is strict: trailing bytes are "bytes leftover after parsing attributes"', () => {
    const body = cat([7, 1, 0, 0], ...portNewAttrs(PCI0, 0, 1), [0xee, 0xee]);
    const len = 16 + body.length;
    const msg = cat(u32(len), u16(sim.familyId), u16(REQ), u32(9), u32(0), body, [0, 0]);
    const e = expectError(raw.call(msg), 22, 'bytes leftover after parsing attributes');
    assert.equal(e.ext?.offs, undefined);
    assert.equal(e.seq, 9);
  });

  it('PORT_DEL is strict: NLA_F_NESTED on a u32 is "NLA_F_NESTED not expected"', () => {
    const msg = dl(sim, 8, REQ, [...PCI0, nla(3 | 0x8000, u32(0x8000))]);
    const e = expectError(raw.call(msg), 22, 'NLA_F_NESTED not expected');
    assert.equal(e.ext?.offs, attrOffset(msg, 2));
  });

  it('from attribute 142 up strict checks apply even to liberal ops: PORT_FUNCTION needs NLA_F_NESTED', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 10)));
    const msg = dl(sim, 6, REQ, [...PCI0, portIndex(0x8000), nest(145, [nla(2, [1])], false)]);
    const e = expectError(raw.call(msg), 22, 'NLA_F_NESTED is missing');
    assert.equal(e.ext?.offs, attrOffset(msg, 3));
  });

  it('a liberal op rejects an attribute >= 142 that has no policy', () => {
    const msg = dl(sim, 1, REQ, [...PCI0, nla(146, strz('x'))]);
    const e = expectError(raw.call(msg), 22, 'Unsupported attribute');
    assert.equal(e.ext?.offs, attrOffset(msg, 2));
  });

  it('6.1 parses the function nest in the doit: a bad state keeps ERANGE and its offset under "Fail to parse"', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 10)));
    const msg = dl(sim, 6, REQ, [...PCI0, portIndex(0x8000), nest(145, [nla(2, [2])])]);
    const e = expectError(raw.call(msg), 34, 'leftover: Fail to parse port function attributes');
    assert.equal(e.ext?.offs, attrOffset(msg, 3) + 4, 'the STATE attribute inside the nest');
    const op = dl(sim, 6, REQ, [...PCI0, portIndex(0x8000), nest(145, [nla(3, [0])])]);
    const e2 = expectError(raw.call(op), 22, 'leftover: Fail to parse port function attributes');
    assert.equal(e2.ext?.offs, attrOffset(op, 3) + 4, 'OPSTATE has no policy: strictly unsupported');
  });

  it('a liberal op ignores unknown attributes and warns about trailing bytes in its ACK', () => {
    const ok = raw.call(dl(sim, 1, REQ, [...PCI0, nla(200, u32(1))]));
    assert.equal(ok.length, 2);
    assert.equal(ok[0].cmd, 3);
    const body = cat([1, 1, 0, 0], ...PCI0, [0xee, 0xee]);
    const msg = cat(u32(16 + body.length), u16(sim.familyId), u16(REQ), u32(3), u32(0), body, [0, 0]);
    const res = raw.call(msg);
    const ack = res[res.length - 1];
    assert.equal(ack.type, NLMSG_ERROR);
    assert.equal(ack.errno, 0);
    assert.equal(ack.ext?.msg, 'bytes leftover after parsing attributes');
    assert.equal(ack.ext?.offs, undefined, 'OFFS only on errors');
  });

  it('a string without its NUL fails policy validation', () => {
    const msg = dl(sim, 1, REQ, [nla(1, Buffer.from('pci')), PCI0[1]]);
    const e = expectError(raw.call(msg), 22, 'Attribute failed policy validation');
    assert.equal(e.ext?.offs, attrOffset(msg, 0));
  });

  it('handle lookup: missing bus or device EINVAL, unknown ENODEV, no message', () => {
    expectError(raw.call(dl(sim, 1, REQ, [PCI0[0]])), 22);
    expectError(raw.call(dl(sim, 1, REQ, [nla(1, strz('pci')), nla(2, strz('0000:07:00.0'))])), 19);
    expectError(raw.call(dl(sim, 5, REQ, PCI0)), 22);
    expectError(raw.call(dl(sim, 5, REQ, [...PCI0, portIndex(12345)])), 19);
  });

  it('an unprivileged caller gets EPERM without a message for SET/NEW/DEL, while GETs and dumps work', () => {
    const user = new Raw(sim, { privileged: false });
    const e = expectError(user.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1))), 1);
    assert.equal(e.flags & F.ACK_TLVS, 0);
    expectError(user.call(dl(sim, 30, REQ, [...PCI0, nla(25, u16(0))])), 1);
    expectError(user.call(dl(sim, 29, REQ, PCI0)), 1, undefined);
    const get = user.call(dl(sim, 1, REQ, PCI0));
    assert.equal(get[0].cmd, 3);
    const dump = user.send(dl(sim, 5, F.REQUEST | F.DUMP, []));
    assert.ok(parse(dump[0]).length >= 1);
  });

  it('unknown command EOPNOTSUPP; a dump of a doit-only op EOPNOTSUPP; short message EINVAL; unknown family ENOENT', () => {
    expectError(raw.call(dl(sim, 200, REQ, PCI0)), 95);
    expectError(raw.call(dl(sim, 6, F.REQUEST | F.DUMP, PCI0)), 95);
    expectError(raw.call(cat(u32(18), u16(sim.familyId), u16(REQ), u32(1), u32(0), [1, 1], [0, 0])), 22);
    expectError(raw.call(genlmsg({ type: 0x7ff0, flags: REQ, seq: 1 }, 1, 1, [])), 2);
  });

  it('ACKs only with NLM_F_ACK; errors always; several requests in one datagram answer in order', () => {
    const quiet = raw.call(dl(sim, 1, F.REQUEST, PCI0, 5));
    assert.deepEqual(quiet.map((m) => m.cmd), [3]);
    const grams = raw.send(dl(sim, 1, REQ, PCI0, 11), dl(sim, 5, F.REQUEST, PCI0, 12), dl(sim, 1, F.REQUEST, PCI0, 13));
    const msgs = grams.flatMap(parse);
    assert.deepEqual(msgs.map((m) => [m.type, m.seq]), [[sim.familyId, 11], [2, 11], [2, 12], [sim.familyId, 13]]);
    assert.equal(msgs[2].errno, 22);
  });

  it('NLM_F_ECHO changes nothing: devlink multicasts without echo', () => {
    raw.join(sim.groupId);
    const res = raw.call(dl(sim, 7, REQ | F.ECHO, portNewAttrs(PCI0, 0, 5)));
    assert.deepEqual(res.map((m) => m.type === 2 ? 'ack' : m.cmd), [3, 'ack']);
  });

  it('checks the genl header only from resv_start_op (newer kernel\'s NOTIFY_FILTER_SET)', () => {
    const cur = new Simulator({ kernel: 'current', devices: DEV });
    try {
      const r = new Raw(cur);
      const bad = cat(u32(20), u16(cur.familyId), u16(REQ), u32(1), u32(0), [84, 1, 1, 0]);
      expectError(r.call(bad), 22, 'genlmsghdr.reserved field is not 0');
      expectError(r.call(dl(cur, 84, REQ | 0x400, [])), 22, 'ambiguous or reserved bits set in nlmsg_flags');
      const ok = r.call(dl(cur, 84, REQ, []));
      assert.equal(ok[0].errno, 0);
      // below resv_start_op the same flags pass
      assert.equal(r.call(dl(cur, 1, REQ | 0x400, PCI0))[0].cmd, 3);
    } finally {
      void cur.close();
    }
  });

  it('numbers rate values as u64 and validates RATE_NEW strictly on 6.1', () => {
    const msg = dl(sim, 76, REQ, [...PCI0, nla(168, strz('grp')), nla(166, u32(1))]);
    const e = expectError(raw.call(msg), 22, 'invalid attribute length');
    assert.equal(e.ext?.offs, attrOffset(msg, 3));
    const ok = raw.call(dl(sim, 76, REQ, [...PCI0, nla(168, strz('grp')), nla(166, u64(125000n))]));
    assert.equal(ok[0].errno, 0);
    assert.equal(u32of(attr(ok[0], 1)), undefined);
  });
});
