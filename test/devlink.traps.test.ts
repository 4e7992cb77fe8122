// Traps: requests against bytes by hand (TRAP_NAME 130, TRAP_ACTION 131, TRAP_GROUP_NAME
// 135, TRAP_POLICER_ID 142, RATE 143, BURST 144, in iproute2's order), validation, and
// mlx5's traps on the simulator (devlink.c: ingress_vlan_filter and dmac_filter in
// l2_drops; drop or trap only; not in switchdev mode), and the CLI's output.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError } from '../src/devlink/errors';
import { devlinkRequest } from '../src/devlink/requests';
import { trapAttrs, trapGroupAttrs, trapPolicerAttrs } from '../src/devlink/traps';
import { Simulator } from '../src/sim';
import { genlmsg, nla, strz, u32, u64 } from './helpers/bytes';
import { PF0, PF1, simSession } from './cli.helpers';

const FAMILY = 0x1f;
const HANDLE = [nla(1, strz('pci')), nla(2, strz('0000:06:00.0'))];
const hex = (cmd: number, ...attrs: Buffer[]): string => genlmsg({ type: FAMILY, flags: 0x05 }, cmd, 1, [...HANDLE, ...attrs]).toString('hex');

describe('devlink traps: request bytes and validation', () => {
  it('trap set: TRAP_NAME, then TRAP_ACTION u8', () => {
    assert.equal(devlinkRequest(FAMILY, 62, trapAttrs(PF0, 'dmac_filter', 'trap')).toString('hex'), hex(62, nla(130, strz('dmac_filter')), nla(131, [1])));
  });
  it('group set: TRAP_GROUP_NAME, TRAP_ACTION, TRAP_POLICER_ID (0 for nopolicer)', () => {
    assert.equal(devlinkRequest(FAMILY, 66, trapGroupAttrs(PF0, 'l2_drops', { policer: null, action: 'drop' })).toString('hex'),
      hex(66, nla(135, strz('l2_drops')), nla(131, [0]), nla(142, u32(0))));
  });
  it('policer set: TRAP_POLICER_ID, RATE u64, BURST u64', () => {
    assert.equal(devlinkRequest(FAMILY, 70, trapPolicerAttrs(PF0, 1, { burst: 128, rate: 1000n })).toString('hex'),
      hex(70, nla(142, u32(1)), nla(143, u64(1000n)), nla(144, u64(128n))));
  });
  const refused: [string, () => unknown, string][] = [
    ['an unknown action', () => trapAttrs(PF0, 'x', 'forward'), 'action'],
    ['an empty trap name', () => trapAttrs(PF0, ''), 'trap'],
    ['a group set with nothing', () => trapGroupAttrs(PF0, 'g', {}), 'settings'],
    ['a misspelt group setting', () => trapGroupAttrs(PF0, 'g', { polcer: 1 } as never), 'settings.polcer'],
    ['policer 0', () => trapPolicerAttrs(PF0, 0), 'policer'],
    ['a negative rate', () => trapPolicerAttrs(PF0, 1, { rate: -1 }), 'rate'],
  ];
  for (const [what, f, field] of refused) {
    it(`refused before sending: ${what}`, () => assert.throws(f, (e: unknown) => e instanceof ValidationError && e.field === field));
  }
});

describe('devlink traps on the simulator (mlx5)', () => {
  let sim: Simulator;
  let dl: Devlink;
  beforeEach(async () => {
    sim = new Simulator({ devices: [
      { handle: PF0, driver: 'mlx5_core', pfnum: 0 },
      { handle: PF1, driver: 'mlx5_core', pfnum: 1, eswitch: 'switchdev' },
    ] });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
  });
  const is = (code: string, msg?: RegExp) => (e: unknown) => e instanceof DevlinkError && e.code === code && (!msg || msg.test(e.extMessage ?? ''));

  it('lists the generic drop traps and their group; sets an action, announced with TRAP_NEW', async () => {
    assert.deepEqual((await dl.traps({ dev: PF0 })).map((t) => `${t.name} ${t.type} ${t.action} ${t.group} ${t.generic} ${t.metadata.inPort}`),
      ['ingress_vlan_filter drop drop l2_drops true true', 'dmac_filter drop drop l2_drops true true']);
    assert.deepEqual((await dl.trapGroups({ dev: PF0 })).map((g) => g.name), ['l2_drops']);
    const mon = dl.monitor({ dev: PF0 });
    await mon.ready;
    await dl.setTrapAction(PF0, 'dmac_filter', 'trap');
    assert.equal((await dl.trap(PF0, 'dmac_filter')).action, 'trap');
    const { value } = await mon.next();
    assert.ok(value.type === 'other' && value.cmd === 'trap-new' && value.attrs.trapName === 'dmac_filter');
    await mon.return();
    await dl.setTrapGroup(PF0, 'l2_drops', { action: 'trap' });
    assert.deepEqual((await dl.traps({ dev: PF0 })).map((t) => t.action), ['trap', 'trap']);
  });

  it('the refusals: unknown trap and group (ENOENT, the core\'s words), mirror, switchdev mode, policers', async () => {
    await assert.rejects(dl.trap(PF0, 'nope'), is('ENOENT', /Device did not register this trap$/));
    await assert.rejects(dl.trapGroup(PF0, 'nope'), is('ENOENT', /Device did not register this trap group$/));
    await assert.rejects(dl.setTrapAction(PF0, 'dmac_filter', 'mirror'), is('EOPNOTSUPP'));
    await assert.rejects(dl.setTrapAction(PF1, 'dmac_filter', 'trap'), is('EOPNOTSUPP', /Devlink traps can't be set in switchdev mode$/));
    await assert.rejects(dl.trapPolicer(PF0, 1), is('EOPNOTSUPP'));
    assert.deepEqual(await dl.trapPolicers(), []);
  });
});

describe('cli trap', () => {
  it('show, show -s, set, group show in iproute2\'s text and JSON', async () => {
    const s = await simSession();
    try {
      assert.deepEqual(await s.cli(['trap', 'show', PF0, 'trap', 'dmac_filter']), { code: 0, err: '',
        out: `${PF0}:\n  name dmac_filter type drop generic true action drop group l2_drops\n` });
      assert.deepEqual(await s.cli(['-s', 'trap', 'show', PF0, 'trap', 'dmac_filter']), { code: 0, err: '',
        out: `${PF0}:\n  name dmac_filter type drop generic true action drop group l2_drops\n    stats:\n        rx:\n          bytes 0 packets 0\n` });
      assert.deepEqual(await s.cli(['trap', 'set', PF0, 'trap', 'dmac_filter', 'action', 'trap']), { code: 0, out: '', err: '' });
      assert.deepEqual(await s.cli(['-j', 'trap', 'group', 'show', PF0, 'group', 'l2_drops']), { code: 0, err: '',
        out: `{"trap_group":{"${PF0}":[{"name":"l2_drops","generic":true}]}}\n` });
      assert.deepEqual(await s.cli(['trap', 'set', PF0, 'trap', 'x', 'action', 'forward']), { code: 1, out: '', err: 'Unknown trap action "forward"\n' });
      assert.deepEqual(await s.cli(['trap', 'show', PF0]), { code: 1, out: '', err: "Trap's name is expected.\n" });
      // devlink_lib.sh checks `devlink help` for "resource" before it runs anything
      const objects = /OBJECT := \{([^}]*)\}/.exec((await s.cli(['help'])).out)?.[1].split('|').map((x) => x.trim());
      for (const o of ['dev', 'port', 'health', 'resource', 'region', 'trap', 'monitor']) assert.ok(objects?.includes(o), o);
    } finally {
      await s.close();
    }
  });
});
