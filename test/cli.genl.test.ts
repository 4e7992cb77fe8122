// genl family / genl families against the REAL kernel's controller (nlctrl exists on
// every Linux), and on the simulator; -N with a namespace that does not exist.
import assert from 'node:assert/strict';
import { run, simSession } from './cli.helpers';

interface FamilyJson {
  id: number;
  name: string;
  version: number;
  hdrsize: number;
  maxattr: number;
  ops: Array<{ id: number; flags: number }>;
  groups: Array<{ id: number; name: string }>;
}

describe('cli genl (real kernel: nlctrl)', () => {
  it('genl family nlctrl -j: id 16, its GETFAMILY op and its notify group', async () => {
    const r = await run(['-j', 'genl', 'family', 'nlctrl']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { family: Record<string, FamilyJson> };
    const f = doc.family.nlctrl;
    assert.deepEqual(Object.keys(f), ['id', 'name', 'version', 'hdrsize', 'maxattr', 'ops', 'groups']);
    assert.equal(f.id, 0x10);
    assert.equal(f.name, 'nlctrl');
    assert.ok(f.version >= 1);
    assert.equal(f.hdrsize, 0);
    const getfamily = f.ops.find((o) => o.id === 3);
    assert.ok(getfamily, JSON.stringify(f.ops));
    assert.ok(getfamily.flags & 0x2, 'GETFAMILY can do');
    assert.deepEqual(f.groups.map((g) => g.name), ['notify']);
  });

  it('genl family nlctrl: text', async () => {
    const r = await run(['genl', 'family', 'nlctrl']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^nlctrl: id 16 version \d+ hdrsize 0 maxattr \d+\n {2}ops:\n {4}3 do dump/);
    assert.match(r.out, /\n {2}groups:\n {4}notify id 16\n$/);
  });

  it('genl families -jp: every family, nlctrl first', async () => {
    const r = await run(['-jp', 'genl', 'families']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { family: Record<string, FamilyJson> };
    assert.equal(Object.keys(doc.family)[0], 'nlctrl');
    assert.match(r.out, /^\{\n {4}"family": \{\n {8}"nlctrl": \{\n {12}"id": 16,/);
  });

  it('an unknown family: ENOENT in iproute2\'s words', async () => {
    assert.deepEqual(await run(['genl', 'family', 'no_such_family']), {
      code: 1, out: '', err: 'Error: generic netlink family "no_such_family" not found.\nkernel answers: No such file or directory\n',
    });
  });

  it('-N with a namespace that does not exist: iproute2\'s message, exit 1', async () => {
    assert.deepEqual(await run(['-N', 'devlink-sf-no-such-netns', 'genl', 'families']), {
      code: 1, out: '', err: 'Cannot open network namespace "devlink-sf-no-such-netns": No such file or directory\n',
    });
    assert.deepEqual(await run(['-N', 'devlink-sf-no-such-netns', 'dev', 'show']), {
      code: 1, out: '', err: 'Cannot open network namespace "devlink-sf-no-such-netns": No such file or directory\n',
    });
  });

  it('on the simulator: its devlink family with the config group', async () => {
    const s = await simSession();
    try {
      const r = await s.cli(['-j', 'genl', 'family', 'devlink']);
      assert.equal(r.code, 0, r.err);
      const f = (JSON.parse(r.out) as { family: Record<string, FamilyJson> }).family.devlink;
      assert.equal(f.id, s.sim.familyId);
      assert.deepEqual(f.groups.map((g) => g.name), ['config']);
    } finally {
      await s.close();
    }
  });
});
