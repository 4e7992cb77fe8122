// sf create / ensure / list / destroy on the simulator: the SF with its port, state and
// what the kernel made of it (auxiliary device, devlink instance, netdev, RDMA device).
import assert from 'node:assert/strict';
import { PF0, PF1, SimSession, simSession } from './cli.helpers';
import { suiteNetns } from './helpers/netns';
import { Cmd } from '../src/devlink/constants';
import { Devlink } from '../src/devlink/devlink';

interface SfJson {
  dev: string;
  controller: number;
  pfnum: number;
  sfnum: number;
  hw_addr: string;
  state: string;
  opstate: string;
  representor?: string;
  auxdev?: string;
  devlink?: string;
  netdev?: string;
  rdma?: string;
  result?: string;
}

describe('cli sf', () => {
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession({ eswitch: 'switchdev' });
  });
  afterEach(async () => {
    await s.close();
  });

  it('create: activated and attached, with its auxiliary device, netdev and RDMA device', async () => {
    const r = await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88', 'hw_addr', '00:00:00:00:88:88']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], `created ${PF0}/32768 (${PF0} pfnum 0 sfnum 88)`);
    assert.match(lines[1], /^PORT +PFNUM +SFNUM +HW_ADDR +STATE +OPSTATE +AUXDEV +NETDEV +RDMA +DEVLINK$/);
    assert.match(lines[2],
      /^pci\/0000:06:00\.0\/32768 +0 +88 +00:00:00:00:88:88 +active +attached +mlx5_core\.sf\.(\d+) +enp6s0f0s88 +mlx5_\d+ +auxiliary\/mlx5_core\.sf\.\1$/);
  });

  it('list: text and JSON; inactive SFs have no auxiliary device', async () => {
    assert.equal((await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88', 'hw_addr', '00:00:00:00:88:88'])).code, 0);
    assert.equal((await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '89', 'inactive'])).code, 0);
    const text = await s.cli(['sf', 'list']);
    assert.equal(text.code, 0, text.err);
    const rows = text.out.trimEnd().split('\n');
    assert.equal(rows.length, 3);
    assert.match(rows[2], /^pci\/0000:06:00\.0\/32769 +0 +89 +00:00:00:00:00:00 +inactive +detached +- +- +- +-$/);
    const doc = JSON.parse((await s.cli(['-j', 'sf', 'list', PF0])).out) as { sf: Record<string, SfJson> };
    const a = doc.sf[`${PF0}/32768`];
    assert.equal(a.dev, PF0);
    assert.equal(a.sfnum, 88);
    assert.equal(a.hw_addr, '00:00:00:00:88:88');
    assert.equal(a.state, 'active');
    assert.equal(a.opstate, 'attached');
    assert.equal(a.representor, 'eth0');
    assert.match(a.auxdev ?? '', /^mlx5_core\.sf\.\d+$/);
    assert.equal(a.devlink, `auxiliary/${a.auxdev}`);
    assert.equal(a.netdev, 'enp6s0f0s88');
    assert.match(a.rdma ?? '', /^mlx5_\d+$/);
    const b = doc.sf[`${PF0}/32769`];
    assert.deepEqual([b.state, b.opstate, b.auxdev], ['inactive', 'detached', undefined]);
    assert.deepEqual(await s.cli(['sf', 'list', PF1]), { code: 0, out: '', err: '' });
    assert.deepEqual(await s.cli(['-j', 'sf', 'list', PF1]), { code: 0, out: '{"sf":{}}\n', err: '' });
  });

  it('ensure: created, unchanged, changed', async () => {
    const args = ['sf', 'ensure', PF0, 'pfnum', '0', 'sfnum', '88', 'hw_addr', '00:00:00:00:88:88'];
    assert.match((await s.cli(args)).out, /^created /);
    assert.match((await s.cli(args)).out, /^unchanged /);
    const changed = await s.cli(['-j', 'sf', 'ensure', PF0, 'pfnum', '0', 'sfnum', '88', 'hw_addr', '00:00:00:00:88:99']);
    const sf = (JSON.parse(changed.out) as { sf: Record<string, SfJson> }).sf[`${PF0}/32768`];
    assert.equal(sf.result, 'changed');
    assert.equal(sf.hw_addr, '00:00:00:00:88:99');
  });

  it('destroy by handle and by numbers; nothing to destroy is not an error', async () => {
    await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88']);
    await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '89']);
    assert.deepEqual(await s.cli(['sf', 'destroy', `${PF0}/32768`]), { code: 0, out: `destroyed ${PF0}/32768\n`, err: '' });
    assert.deepEqual(await s.cli(['sf', 'destroy', PF0, 'pfnum', '0', 'sfnum', '89']), { code: 0, out: `destroyed ${PF0} pfnum 0 sfnum 89\n`, err: '' });
    assert.deepEqual(await s.cli(['sf', 'destroy', PF0, 'pfnum', '0', 'sfnum', '89']),
      { code: 0, out: `${PF0} pfnum 0 sfnum 89: no such sub-function, nothing to destroy\n`, err: '' });
    assert.deepEqual(await s.cli(['-j', 'sf', 'destroy', `${PF0}/32768`]), { code: 0, out: `{"sf":{"${PF0}/32768":{"destroyed":false}}}\n`, err: '' });
    assert.deepEqual(await s.cli(['sf', 'list']), { code: 0, out: '', err: '' });
  });

  it('destroy refuses a port that is not an SF', async () => {
    const uplink = (await s.cli(['port', 'show', PF0])).out.split(': ')[0];
    assert.deepEqual(await s.cli(['sf', 'destroy', uplink]),
      { code: 1, out: '', err: `${uplink} is not a sub-function port (flavour physical); nothing was changed\n` });
    assert.match((await s.cli(['port', 'show', uplink])).out, /flavour physical/);
  });

  it('create fails: the kernel\'s words, the step, and nothing left behind', async () => {
    await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88']);
    assert.deepEqual(await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88']), {
      code: 1, out: '',
      err: 'Error: mlx5_core: SF already exist. Choose different sfnum.\nkernel answers: File exists\n' +
        `${PF0} pfnum 0 sfnum 88: failed at step add-port\n`,
    });
    const legacy = await s.cli(['sf', 'create', PF1, 'pfnum', '1', 'sfnum', '5']);
    assert.equal(legacy.code, 1);
    assert.match(legacy.err, /switchdev mode/);
  });

  it('-j: a failure still writes the empty wrapper, as port show does', async () => {
    await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88']);
    const again = await s.cli(['-j', 'sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88']);
    assert.deepEqual([again.code, again.out], [1, '{"sf":{}}\n']);
    assert.match(again.err, /failed at step add-port\n$/);
    const legacy = await s.cli(['-j', 'sf', 'ensure', PF1, 'pfnum', '1', 'sfnum', '5']);
    assert.deepEqual([legacy.code, legacy.out], [1, '{"sf":{}}\n']);
    assert.deepEqual(await s.cli(['-j', 'sf', 'list', 'pci/0000:99:00.0']), { code: 1, out: '{"sf":{}}\n', err: 'kernel answers: No such device\n' });
    const destroy = await s.cli(['-j', 'sf', 'destroy', 'pci/0000:99:00.0', 'pfnum', '0', 'sfnum', '1']);
    assert.deepEqual([destroy.code, destroy.out], [1, '{"sf":{}}\n']);
    // a mistake in the arguments is found before anything is opened: nothing on stdout, as before
    assert.deepEqual(await s.cli(['-j', 'sf', 'create', PF0, 'pfnum', '0']), { code: 1, out: '', err: 'Sub-function number is expected.\n' });
  });

  it('a step that fails after the port was added: the port is deleted again (capabilities on a 6.1 kernel)', async () => {
    const r = await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88', 'roce', 'disable']);
    assert.equal(r.code, 1);
    assert.match(r.err, /failed at step configure \(the port was deleted again\)\n$/);
    assert.deepEqual(await s.cli(['sf', 'list']), { code: 0, out: '', err: '' });
  });

  it('argument mistakes', async () => {
    assert.equal((await s.cli(['sf', 'create', PF0, 'sfnum', '88'])).err, 'Port PCI PF number is expected.\n');
    assert.equal((await s.cli(['sf', 'create', PF0, 'pfnum', '0'])).err, 'Sub-function number is expected.\n');
    assert.equal((await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '8', 'hw_addr', 'zz'])).err,
      'Error: invalid hwAddr: "zz" is not a MAC address: expected six octets such as "00:00:00:00:88:88".\n');
    assert.equal((await s.cli(['sf', 'destroy', 'eth0'])).err, 'Expected "bus_name/dev_name/port_index" or "bus_name/dev_name pfnum N sfnum N".\n');
    assert.match((await s.cli(['sf', 'create'])).out, /^Usage: devlink-sf sf create/);
  });
});

describe('cli sf with param and netns (root and `ip netns`; skipped otherwise)', () => {
  const ns = suiteNetns('dlsf-cli-sf');
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession({ eswitch: 'switchdev' });
  });
  afterEach(async () => {
    await s.close();
  });

  it('create ... param NAME VALUE ... netns NAME: the instance, its typed params and netdev in the namespace, one reload', async () => {
    const r = await s.cli(['-j', 'sf', 'create', PF0, 'pfnum', '0', 'sfnum', '90', 'param', 'enable_rdma', 'false', 'param', 'io_eq_size', '64',
      'netns', ns.name]);
    assert.equal(r.code, 0, r.err);
    const sf = (JSON.parse(r.out) as { sf: Record<string, SfJson & { netns?: string }> }).sf[`${PF0}/32768`];
    assert.equal(sf.result, 'created');
    assert.equal(s.sent.cmds.filter((c) => c === Cmd.RELOAD).length, 1);
    assert.equal(sf.netns, ns.path);
    assert.equal(sf.rdma, undefined);
    assert.match(sf.devlink ?? '', /^auxiliary\/mlx5_core\.sf\.\d+$/);
    // the instance is no longer seen from here; there, its params hold what was set, typed (a boolean, a number)
    const here = await s.cli(['dev', 'show', sf.devlink!]);
    assert.notEqual(here.code, 0);
    const there = await Devlink.open({ transport: s.sim.transport({ netns: ns.path }) });
    try {
      const driverinit = async (name: string): Promise<unknown> =>
        (await there.param(sf.devlink!, name)).values.find((v) => v.cmode === 'driverinit')?.value;
      assert.equal(await driverinit('enable_rdma'), false);
      assert.equal(await driverinit('io_eq_size'), 64);
    } finally {
      await there.close();
    }
    const text = await s.cli(['sf', 'destroy', PF0, 'pfnum', '0', 'sfnum', '90']);
    assert.equal(text.code, 0, text.err);
    assert.equal(text.out, `destroyed ${PF0} pfnum 0 sfnum 90\n`);
  });

  it('text: the namespace is named; mistakes are refused', async () => {
    const r = await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '91', 'netns', ns.path]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split('\n')[0], `created ${PF0}/32768 (${PF0} pfnum 0 sfnum 91) in network namespace ${ns.path}`);
    assert.equal((await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '92', 'netns', 'no-such-ns-here'])).err,
      '"no-such-ns-here" is not a number or not within range\n');
    const bad = await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '93', 'param', 'enable_eth', 'true', 'inactive']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /params/);
  });
});
