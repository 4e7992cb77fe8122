// Dumps of one device: the kernel's filter on newer kernels (NLM_F_DUMP_FILTERED), ours
// on 6.1, which returns every instance's objects. The same answer either way.
import assert from 'node:assert/strict';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError } from '../src/devlink/errors';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';
const PF1 = 'pci/0000:06:00.1';

for (const kernel of ['6.1', 'current'] as const) {
  describe(`dumps of one device on ${kernel}`, () => {
    let sim: Simulator;
    let dl: Devlink;
    before(async () => {
      sim = new Simulator({ kernel, devices: [
        { handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' },
        { handle: PF1, driver: 'mlx5_core', pfnum: 1, eswitch: 'switchdev' },
      ] });
      dl = await Devlink.open({ transport: sim.transport() });
      await dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 1 });
      await dl.addPort(PF1, { flavour: 'pcisf', pfnum: 1, sfnum: 1 });
    });
    after(async () => {
      await dl.close();
      await sim.close();
    });

    it('ports and rates of one device only', async () => {
      const all = await dl.ports();
      assert.ok(all.some((p) => p.dev === '0000:06:00.1'));
      const one = await dl.ports({ dev: PF0 });
      assert.ok(one.length > 0);
      assert.deepEqual(one, all.filter((p) => `${p.bus}/${p.dev}` === PF0));
      const rates = await dl.rates({ dev: PF0 });
      assert.ok(rates.length > 0 && rates.every((r) => `${r.bus}/${r.dev}` === PF0));
    });

    // one behaviour whatever the kernel (issue 18 point 9): 6.1 dumps everything, so the
    // library asks for the device; 6.6+ answers ENODEV in the dump's DONE
    it(kernel === '6.1'
      ? 'an unknown device: ENODEV (6.1 does not filter: the device is asked for)'
      : 'an unknown device: ENODEV from the kernel\'s filter', async () => {
      await assert.rejects(dl.ports({ dev: 'pci/0000:99:00.0' }), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
    });
  });
}
