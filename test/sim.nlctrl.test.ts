import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { GenericNetlink } from '../src/genl/generic';
import { genlmsg, nla, strz, u16 } from './helpers/bytes';
import { attr, expectError, F, nested, parse, Raw, str, u32of, NLMSG_DONE, simAndRaw } from './sim.helpers';

const DEV = [{ handle: 'pci/0000:06:00.0', pfnum: 0 }];

function getFamily(attrs: Buffer[], flags = F.REQUEST | F.ACK, seq = 7): Buffer {
  return genlmsg({ type: 0x10, flags, seq }, 3, 1, attrs);
}

describe('sim: nlctrl', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ devices: DEV }, false)));
  afterEach(() => sim.close());

  it('answers GETFAMILY by name with NEWFAMILY, version 2, then the ACK in its own datagram', () => {
    const grams = raw.send(getFamily([nla(2, strz('devlink'))]));
    assert.equal(grams.length, 2);
    const [m] = parse(grams[0]);
    assert.equal(m.type, 0x10);
    assert.equal(m.cmd, 1);
    assert.equal(m.version, 2);
    assert.equal(m.seq, 7);
    assert.equal(m.pid, raw.ep.localPort);
    assert.equal(m.flags, 0);
    assert.deepEqual(m.attrs.slice(0, 5).map((a) => a.type), [2, 1, 3, 4, 5]);
    assert.equal(str(attr(m, 2)), 'devlink');
    assert.equal(attr(m, 1)?.data.readUInt16LE(0), sim.familyId);
    assert.equal(u32of(attr(m, 3)), 1);
    assert.equal(u32of(attr(m, 4)), 0);
    assert.equal(u32of(attr(m, 5)), 176);
    const ops = nested(attr(m, 6));
    assert.equal(attr(m, 6)?.raw, 6, 'OPS without NLA_F_NESTED');
    assert.deepEqual(ops.map((o) => o.type), ops.map((_o, i) => i + 1));
    const flags = new Map(ops.map((o) => [u32of(attr(nested(o), 1)), u32of(attr(nested(o), 2))]));
    assert.equal(flags.get(1), 0x2 | 0x4 | 0x8, 'GET: DO|DUMP|HASPOL');
    assert.equal(flags.get(7), 0x1 | 0x2 | 0x8, 'PORT_NEW: ADMIN|DO|HASPOL');
    assert.equal(flags.get(29), 0x1 | 0x2 | 0x8, 'ESWITCH_GET needs CAP_NET_ADMIN');
    assert.equal(ops.length, 56);
    const groups = nested(attr(m, 7));
    assert.equal(groups.length, 1);
    const g = nested(groups[0]);
    assert.deepEqual(g.map((a) => a.type), [2, 1], 'GRP_ID before GRP_NAME');
    assert.equal(u32of(attr(g, 2)), sim.groupId);
    assert.equal(str(attr(g, 1)), 'config');
    const [ack] = parse(grams[1]);
    assert.equal(ack.type, 2);
    assert.equal(ack.errno, 0);
    assert.equal(ack.flags, F.CAPPED);
  });

  it('looks a family up by id, and a name wins over an id', () => {
    const [m] = parse(raw.send(getFamily([nla(1, u16(sim.familyId))]))[0]);
    assert.equal(str(attr(m, 2)), 'devlink');
    const [n] = parse(raw.send(getFamily([nla(1, u16(sim.familyId)), nla(2, strz('nlctrl'))]))[0]);
    assert.equal(str(attr(n, 2)), 'nlctrl');
    assert.equal(attr(n, 1)?.data.readUInt16LE(0), 0x10);
  });

  it('answers ENOENT for an unknown family and EINVAL when neither name nor id is given', () => {
    expectError(raw.call(getFamily([nla(2, strz('nosuch'))])), 2);
    expectError(raw.call(getFamily([nla(1, u16(0x7fff))])), 2);
    expectError(raw.call(getFamily([])), 22);
  });

  it('dumps every family (nlctrl first) with NLM_F_MULTI, DONE in its own datagram, no ACK', () => {
    const grams = raw.send(getFamily([], F.REQUEST | F.ACK | F.DUMP));
    assert.equal(grams.length, 2);
    const fams = parse(grams[0]);
    assert.deepEqual(fams.map((f) => str(attr(f, 2))), ['nlctrl', 'devlink']);
    for (const f of fams) assert.equal(f.flags, F.MULTI);
    const [done] = parse(grams[1]);
    assert.equal(done.type, NLMSG_DONE);
    assert.equal(done.flags, F.MULTI);
    assert.equal(done.errno, 0);
  });

  it('assigns run-time ids: never 0x10, different per simulator', () => {
    const other = new Simulator({ devices: DEV });
    try {
      assert.notEqual(sim.familyId, 0x10);
      assert.notEqual(other.familyId, sim.familyId);
      assert.notEqual(other.groupId, sim.groupId);
      assert.ok(sim.familyId > 0x100, 'unlike the small ids a real kernel hands out');
    } finally {
      void other.close();
    }
  });

  it('reports the newer kernel\'s split ops: maxattr 0, NOTIFY_FILTER_SET listed', () => {
    const cur = new Simulator({ kernel: 'current', devices: DEV });
    try {
      const r = new Raw(cur);
      const [m] = parse(r.send(getFamily([nla(2, strz('devlink'))]))[0]);
      assert.equal(u32of(attr(m, 5)), 0);
      const ops = nested(attr(m, 6)).map((o) => [u32of(attr(nested(o), 1)), u32of(attr(nested(o), 2))]);
      assert.deepEqual(ops.find(([id]) => id === 84), [84, 0x2 | 0x8]);
      assert.deepEqual(ops.find(([id]) => id === 1), [1, 0x2 | 0x4 | 0x8]);
    } finally {
      void cur.close();
    }
  });

  it('serves GenericNetlink.family() through the engine', async () => {
    const g = await GenericNetlink.open({ transport: sim.transport() });
    try {
      const f = await g.family('devlink');
      assert.equal(f.id, sim.familyId);
      assert.deepEqual(f.groups, [{ name: 'config', id: sim.groupId }]);
      await assert.rejects(g.family('nosuch'), { name: 'FamilyNotFoundError', errno: 2 });
      const all = await g.families();
      assert.deepEqual(all.map((x) => x.name), ['nlctrl', 'devlink']);
    } finally {
      await g.close();
    }
  });
});
