// The same lifecycle, apply and CLI scenarios on both simulated SF drivers: mlx5_core and
// ice (kernel 'current', where ice has SFs). Where the drivers differ by their source, the
// test says which and why.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Devlink } from '../src/devlink/devlink';
import { SubfunctionError } from '../src/devlink/subfunction';
import { applyDesiredState, parseDesiredState } from '../src/devlink/apply';
import { Simulator, SimDeviceOptions } from '../src/sim';
import { run } from './cli.helpers';

const PF0 = 'pci/0000:06:00.0';

interface Driver {
  readonly name: 'mlx5_core' | 'ice';
  readonly device: SimDeviceOptions;
  /** The auxiliary device's name. */
  readonly aux: RegExp;
}

const DRIVERS: readonly Driver[] = [
  { name: 'mlx5_core', device: { handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }, aux: /^mlx5_core\.sf\.\d+$/ },
  // autoSfnum: 6.12's ice answers EINVAL to a port add without sfnum (see src/sim/ice.ts)
  { name: 'ice', device: { handle: PF0, driver: 'ice', pfnum: 0, eswitch: 'switchdev', autoSfnum: true }, aux: /^ice\.sf\.\d+$/ },
];

for (const drv of DRIVERS) {
  describe(`lifecycle, apply and CLI on ${drv.name} (kernel 'current')`, function () {
    this.timeout(30_000);
    let sim: Simulator;
    let dl: Devlink;
    let root: string;

    beforeEach(async () => {
      root = mkdtempSync(path.join(tmpdir(), 'dlsf-drv-'));
      sim = new Simulator({ kernel: 'current', sysfsRoot: root, timing: { attachMs: 20, detachMs: 10, freeMs: 20 }, devices: [drv.device] });
      dl = await Devlink.open({ transport: sim.transport() });
    });
    afterEach(async () => {
      await dl.close();
      await sim.close();
      rmSync(root, { recursive: true, force: true });
    });

    const sfPorts = async () => (await dl.ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf');

    it('createSubfunction with an sfnum: active and attached, its instance found through the port function (6.7+), params applied by a reload', async () => {
      const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, hwAddr: '02:00:00:00:88:88', sysfsRoot: root });
      assert.equal(sf.port.sfnum, 88);
      assert.equal(sf.port.function?.state, 'active');
      assert.equal(sf.port.function?.opstate, 'attached');
      assert.equal(sf.port.function?.hwAddr, '02:00:00:00:88:88');
      // ice.sf.N has no sfnum file (ice_sf_eth.c): the nested devlink handle names it
      assert.match(sf.auxDevice ?? '', drv.aux);
      assert.equal(sf.devlink, `auxiliary/${sf.auxDevice}`);
      if (drv.name === 'ice') {
        assert.ok(sf.netdev, 'ice brings its SF up with a netdev');
      } else {
        // 6.8+ probes a local mlx5 SF light (mlx5_init_one_light): no netdev until enable_eth and a reload
        assert.equal(sf.netdev, undefined);
        const withEth = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 89, params: { enable_eth: true }, sysfsRoot: root });
        assert.equal(withEth.netdev, 'enp6s0f0s89', 'params: enable_eth set and the instance reloaded');
        const again = await dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 89, params: { enable_eth: true }, sysfsRoot: root });
        assert.equal(again.changed, false, 'the param already set: no reload');
      }
      sim.checkInvariants();
    });

    it('createSubfunction without an sfnum: ice picks one (autoSfnum), mlx5 refuses', async () => {
      if (drv.name === 'mlx5_core') {
        // mlx5_sf_new_check_attr: "User must provide unique sfnum"
        await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sysfsRoot: root }),
          (e: unknown) => e instanceof Error && (e as { errno?: number }).errno === 95);
        return;
      }
      const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, activate: false, sysfsRoot: root });
      assert.equal(sf.port.sfnum, 0);
      assert.equal(sf.port.function?.state, 'inactive');
    });

    it('a taken sfnum fails at once with the driver\'s errno (mlx5 EEXIST, ice EBUSY)', async () => {
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 5, activate: false, sysfsRoot: root });
      const other = await Devlink.open({ transport: sim.transport() });
      try {
        await assert.rejects(other.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 5, sysfsRoot: root }),
          (e: unknown) => e instanceof SubfunctionError && e.errno === (drv.name === 'ice' ? 16 : 17));
      } finally {
        await other.close();
      }
    });

    it('ensureSubfunction converges; destroySubfunction leaves nothing', async () => {
      // inactive, so that ice (whose attach the library cannot see) runs the same scenario
      const spec = { dev: PF0, pfnum: 0, sfnum: 30, hwAddr: '02:00:00:00:00:30', activate: false, sysfsRoot: root };
      assert.equal((await dl.ensureSubfunction(spec)).changed, true);
      assert.equal((await dl.ensureSubfunction(spec)).changed, false);
      const c = await dl.ensureSubfunction({ ...spec, hwAddr: '02:00:00:00:00:31' });
      assert.equal(c.changed, true);
      assert.equal(c.port.function?.hwAddr, '02:00:00:00:00:31');
      assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 30 }), true);
      assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 30 }), false);
      await sim.settle();
      assert.deepEqual(await sfPorts(), []);
      sim.checkInvariants();
    });

    it('apply: a desired state of two SFs, then none', async () => {
      const want = (sfs: { sfnum: number }[]) => parseDesiredState({
        devices: { [PF0]: { eswitch: 'switchdev', subfunctions: sfs.map((s) => ({ pfnum: 0, state: 'inactive', ...s })) } },
      });
      const r = await applyDesiredState(dl, want([{ sfnum: 1 }, { sfnum: 2 }]), { sysfsRoot: root });
      assert.equal(r.failed.length, 0, JSON.stringify(r.failed));
      assert.deepEqual((await sfPorts()).map((p) => p.sfnum).sort(), [1, 2]);
      const r2 = await applyDesiredState(dl, want([]), { prune: true, sysfsRoot: root });
      assert.equal(r2.failed.length, 0);
      await sim.settle();
      assert.deepEqual(await sfPorts(), []);
    });

    it('the CLI: port add, function set, port show, port del', async () => {
      const t = (): { transport: () => ReturnType<Simulator['transport']>; sysfsRoot: string } => ({ transport: () => sim.transport(), sysfsRoot: root });
      const added = await run(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '7'], t());
      assert.equal(added.code, 0, added.err);
      const [p] = await sfPorts();
      assert.match(added.out, new RegExp(`^${p.handle}: type eth netdev \\S+ flavour pcisf`));
      const set = await run(['port', 'function', 'set', p.handle, 'hw_addr', '02:00:00:00:00:07', 'state', 'active'], t());
      assert.equal(set.code, 0, set.err);
      await sim.settle();
      const show = await run(['port', 'show', p.handle], t());
      assert.match(show.out, /hw_addr 02:00:00:00:00:07 state active opstate attached/);
      const dup = await run(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '7'], t());
      assert.notEqual(dup.code, 0);
      assert.match(dup.err, drv.name === 'ice'
        ? /Subfunction with given sfnum already exists[\s\S]*Device or resource busy/
        : /SF already exist[\s\S]*File exists/);
      const del = await run(['port', 'del', p.handle], t());
      assert.equal(del.code, 0, del.err);
    });
  });
}
