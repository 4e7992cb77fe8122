// What a lifecycle call refuses before anything is sent: destroySubfunction's target is
// SfTarget or a whole spec, checked as create checks it (an option given there is pointed
// to the options argument), and
// `params` values are checked for a type a devlink parameter can have, and for the
// generic parameters (whose type the devlink core fixes) for that type.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { GENERIC_PARAM_TYPES } from '../src/devlink/constants';
import { Devlink } from '../src/devlink/devlink';
import { SubfunctionError } from '../src/devlink/errors';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';

describe('lifecycle input checked before sending', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dl: Devlink;

  beforeEach(async () => {
    sim = new Simulator({
      devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }], timing: { attachMs: 10, detachMs: 10, freeMs: 10 },
    });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
  });

  const sfs = async (): Promise<number[]> => (await dl.ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf').map((p) => p.sfnum ?? -1);
  const refused = (field: string, reason?: RegExp) => (e: unknown): boolean => {
    assert.ok(e instanceof ValidationError, String(e));
    assert.equal(e.field, field);
    if (reason) assert.match(e.reason, reason);
    return true;
  };

  describe('findSubfunction(target)', () => {
    it('a spec\'s settings given with the target are checked as destroySubfunction checks them; call options still allowed there', async () => {
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8 });
      const before = dl.genl.connection.stats.sent;
      for (const [extra, field, reason] of [
        [{ hwAddr: 'zz' }, 'hwAddr', /./],
        [{ params: { enable_eth: 'yes' } }, 'params.enable_eth', /type bool/],
        [{ sfnmu: 3 }, 'target.sfnmu', /unknown option \(did you mean "sfnum"\?\)/],
        [{ timeoutMs: 5000, hwAddr: 'zz' }, 'hwAddr', /./],
        [{ timeoutMs: -3 }, 'timeoutMs', /./],
      ] as [Record<string, unknown>, string, RegExp][]) {
        await assert.rejects(dl.findSubfunction({ dev: PF0, pfnum: 0, sfnum: 8, ...extra } as never), refused(field, reason), JSON.stringify(extra));
      }
      assert.equal(dl.genl.connection.stats.sent, before, 'nothing was sent');
      // what was valid still is: the whole spec, and a call option in the target (findSubfunction merged them always)
      const spec = { dev: PF0, pfnum: 0, sfnum: 8, hwAddr: '00:00:00:00:00:08', activate: true };
      assert.equal((await dl.findSubfunction(spec))?.sfnum, 8);
      assert.equal((await dl.findSubfunction({ dev: PF0, pfnum: 0, sfnum: 8, timeoutMs: 5000 } as never))?.sfnum, 8);
      assert.equal(await dl.findSubfunction({ dev: PF0, pfnum: 0, sfnum: 99 }), undefined);
      await dl.destroySubfunction(spec);
    });
  });

  describe('destroySubfunction(target)', () => {
    it('a spec\'s settings given with the target are checked as create checks them, unknown keys refused; nothing is sent', async () => {
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 3 });
      const before = dl.genl.connection.stats.sent;
      const bad: [Record<string, unknown>, string, RegExp][] = [
        [{ hwAddr: 'zz' }, 'hwAddr', /./],
        [{ activate: 'maybe' }, 'activate', /expected true or false/],
        [{ params: 5 }, 'params', /expected \{ name: value, \.\.\. \}/],
        [{ params: { enable_eth: 'yes' } }, 'params.enable_eth', /type bool/],
        [{ caps: { roce: 'yes' } }, 'caps.roce', /expected true or false/],
        [{ netns: { id: -1, fd: 3 } }, 'netns', /./],
        [{ sfnmu: 3 }, 'target.sfnmu', /unknown option \(did you mean "sfnum"\?\)/],
      ];
      for (const [extra, field, reason] of bad) {
        await assert.rejects(dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 3, ...extra } as never), refused(field, reason), JSON.stringify(extra));
      }
      assert.equal(dl.genl.connection.stats.sent, before, 'nothing was sent');
      assert.deepEqual(await sfs(), [3], 'the SF is still there');
    });

    it('the whole spec an SF was created with destroys it, even when its namespace is gone', async () => {
      const spec = { dev: PF0, pfnum: 0, sfnum: 6, hwAddr: '00:00:00:00:00:06', activate: true, wait: 'attached' as const };
      await dl.createSubfunction(spec);
      assert.equal(await dl.destroySubfunction(spec), true);
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 7 });
      const inGoneNs = { dev: PF0, pfnum: 0, sfnum: 7, netns: '/var/run/netns/dlsf-gone-long-ago' };
      assert.equal(await dl.destroySubfunction(inGoneNs), true);
      assert.deepEqual(await sfs(), []);
    });

    it('an option in the target is pointed to the second argument', async () => {
      const before = dl.genl.connection.stats.sent;
      for (const [k, v] of [['timeoutMs', -3], ['timeoutMs', 5000], ['signal', new AbortController().signal], ['sysfsRoot', '/sys']] as const) {
        await assert.rejects(dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 3, [k]: v } as never),
          refused(`target.${k}`, new RegExp(`^${k} goes in the second argument \\(options\\)`)));
      }
      assert.equal(dl.genl.connection.stats.sent, before);
    });

    it('what was valid still is: SfTarget with or without controller, a port handle, options in the second argument', async () => {
      const a = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 4 });
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 5 });
      assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 5, controller: 0 }, { timeoutMs: 5000 }), true);
      assert.equal(await dl.destroySubfunction(a.port.handle, { timeoutMs: 5000, signal: new AbortController().signal }), true);
      assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 4 }), false);
      assert.deepEqual(await sfs(), []);
    });
  });

  describe('params', () => {
    it('a generic parameter of the wrong type is refused naming params.NAME, before the port is made', async () => {
      const before = dl.genl.connection.stats.sent;
      const bad: [Record<string, unknown>, string, RegExp][] = [
        [{ enable_eth: 'yes' }, 'params.enable_eth', /expected true or false, got "yes" \(enable_eth is a generic devlink parameter of type bool\)/],
        [{ enable_rdma: 1 }, 'params.enable_rdma', /type bool/],
        [{ enable_vnet: 'true' }, 'params.enable_vnet', /type bool/],
        [{ enable_roce: 0 }, 'params.enable_roce', /type bool/],
        [{ io_eq_size: true }, 'params.io_eq_size', /expected an integer.*type u32/],
        [{ io_eq_size: '64' }, 'params.io_eq_size', /type u32/],
        [{ event_eq_size: 2 ** 32 }, 'params.event_eq_size', /outside 0\.\.4294967295.*type u32/],
        [{ max_macs: -1 }, 'params.max_macs', /type u32/],
        [{ max_macs: 1.5 }, 'params.max_macs', /type u32/],
        [{ fw_load_policy: 256 }, 'params.fw_load_policy', /outside 0\.\.255.*type u8/],
        [{ enable_eth: true, enable_iwarp: 'no' }, 'params.enable_iwarp', /type bool/],
      ];
      for (const [params, field, reason] of bad) {
        await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 7, params } as never), refused(field, reason), JSON.stringify(params));
        await assert.rejects(dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 7, params } as never), refused(field, reason), JSON.stringify(params));
      }
      assert.equal(dl.genl.connection.stats.sent, before, 'nothing was sent');
      assert.deepEqual(await sfs(), []);
    });

    it('a driver\'s own parameter: any value some parameter type can take, and no other', async () => {
      const before = dl.genl.connection.stats.sent;
      const bad: unknown[] = [{}, [], null, -1, 1.5, NaN, 2 ** 53, -1n, 2n ** 64n, 'x'.repeat(32), 'a\0b', () => 1, Symbol('s')];
      for (const v of bad) {
        await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8, params: { my_param: v } } as never), refused('params.my_param'), String(v));
      }
      assert.equal(dl.genl.connection.stats.sent, before, 'nothing was sent');
      // values of some type go to the kernel, which knows the parameter (this SF has no my_param: refused there, rolled back)
      for (const v of [true, 5, 2n ** 64n - 1n, 'str']) {
        const e = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8, params: { my_param: v } }).then(() => undefined, (x: unknown) => x);
        assert.ok(e instanceof SubfunctionError, String(e));
        assert.equal(e.step, 'instance-params');
        assert.equal(e.outcome, 'rolled-back');
      }
    });

    it('generic parameters of the right type are set', async () => {
      const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 9, params: { enable_eth: true, io_eq_size: 64, enable_rdma: false } });
      assert.ok(sf.devlink);
      assert.equal((await dl.param(sf.devlink, 'io_eq_size')).values[0]?.value, 64);
      assert.ok(sf.netdev, 'enable_eth gave it a netdev');
    });

    it('the table of generic parameters is the kernel\'s (6.12): names and types', () => {
      assert.equal(Object.keys(GENERIC_PARAM_TYPES).length, 17);
      assert.equal(GENERIC_PARAM_TYPES.enable_eth, 'bool');
      assert.equal(GENERIC_PARAM_TYPES.io_eq_size, 'u32');
      assert.equal(GENERIC_PARAM_TYPES.reset_dev_on_drv_probe, 'u8');
    });
  });
});
