// Overlapping lifecycle calls converge: random concurrent ensure/destroy from several
// Devlinks (one of them over a real socket), two apply runs at once, and a process killed
// mid-create whose SF a new process's ensure converges.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Devlink } from '../src/devlink/devlink';
import { applyDesiredState, parseDesiredState } from '../src/devlink/apply';
import { loadAddon } from '../src/genl/addon';
import { Simulator } from '../src/sim';
import { prng } from './helpers/prng';

const PF0 = 'pci/0000:06:00.0';
const canSocket = (): boolean => (typeof process.getuid !== 'function' || process.getuid() === 0) && loadAddon() !== null;

type Desire = { present: false } | { present: true; hwAddr: string; active: boolean };

describe('overlapping lifecycle calls converge', function () {
  this.timeout(180_000);
  let sim: Simulator;
  const dls: Devlink[] = [];
  afterEach(async () => {
    for (const d of dls.splice(0)) await d.close();
    await sim?.close();
  });

  it('1,000 random concurrent ensure/destroy calls over 50 SFs from 4 Devlinks: no call rejected for a race, the state as last desired', async () => {
    sim = new Simulator({ timing: { attachMs: 2, detachMs: 1, freeMs: 3 }, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev', maxSfs: 128 }] });
    for (let i = 0; i < 3; i++) dls.push(await Devlink.open({ transport: sim.transport() }));
    if (canSocket()) {
      const { port } = await sim.listen();
      dls.push(await Devlink.open({ socket: { peerPort: port } }));
    } else {
      dls.push(await Devlink.open({ transport: sim.transport() }));
    }
    const root = sim.sysfsRoot;
    const rand = prng(42);
    const desired = new Map<number, Desire>();
    let calls = 0;
    let round = 0;
    while (calls < 1000) {
      round++;
      const work: Promise<unknown>[] = [];
      const touched = new Set<number>();
      for (let k = 0; k < 12 && calls < 1000; k++) {
        const sfnum = Math.floor(rand() * 50);
        if (touched.has(sfnum)) continue;
        touched.add(sfnum);
        const d: Desire = rand() < 0.35 ? { present: false } : {
          present: true,
          hwAddr: `00:00:00:00:${(sfnum + 1).toString(16).padStart(2, '0')}:${Math.floor(rand() * 256).toString(16).padStart(2, '0')}`,
          active: rand() < 0.7,
        };
        desired.set(sfnum, d);
        // the same desire from 1 to 3 Devlinks at once
        const n = 1 + Math.floor(rand() * 3);
        for (let j = 0; j < n && calls < 1000; j++, calls++) {
          const dl = dls[Math.floor(rand() * dls.length)];
          work.push(d.present
            ? dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum, hwAddr: d.hwAddr, activate: d.active, sysfsRoot: root, timeoutMs: 20_000 })
            : dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum }, { sysfsRoot: root, timeoutMs: 20_000 }));
        }
      }
      const results = await Promise.allSettled(work);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.deepEqual(rejected.map((r) => String(r.reason)), [], `round ${round}: no call rejected`);
      await sim.settle();
      sim.checkInvariants();
      const ports = (await dls[0].ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf');
      for (const sfnum of touched) {
        const d = desired.get(sfnum)!;
        const p = ports.find((x) => x.sfnum === sfnum);
        if (!d.present) {
          assert.equal(p, undefined, `round ${round}: sfnum ${sfnum} is gone`);
          continue;
        }
        assert.ok(p, `round ${round}: sfnum ${sfnum} is there`);
        assert.equal(p.function?.hwAddr, d.hwAddr, `round ${round}: sfnum ${sfnum} hw_addr`);
        assert.equal(p.function?.state, d.active ? 'active' : 'inactive', `round ${round}: sfnum ${sfnum} state`);
        if (d.active) assert.equal(p.function?.opstate, 'attached');
      }
    }
    // the final state equals the last desired state of every SF
    const final = (await dls[0].ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf');
    const want = [...desired].filter(([, d]) => d.present).map(([s]) => s).sort((a, b) => a - b);
    assert.deepEqual(final.map((p) => p.sfnum).sort((a, b) => (a ?? 0) - (b ?? 0)), want);
  });

  it('two apply runs at once end in the desired state', async () => {
    sim = new Simulator({ timing: { attachMs: 5, detachMs: 2, freeMs: 5 }, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    dls.push(await Devlink.open({ transport: sim.transport() }), await Devlink.open({ transport: sim.transport() }));
    const subfunctions = Array.from({ length: 20 }, (_, i) => ({ sfnum: i, hw_addr: `00:00:00:00:01:${i.toString(16).padStart(2, '0')}` }));
    const desired = parseDesiredState({ devices: { [PF0]: { pfnum: 0, subfunctions } } });
    const [a, b] = await Promise.all(dls.map((dl) => applyDesiredState(dl, desired, { concurrency: 4 })));
    assert.deepEqual([a.failed.length, b.failed.length], [0, 0]);
    const ports = (await dls[0].ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf');
    assert.equal(ports.length, 20);
    assert.ok(ports.every((p) => p.function?.opstate === 'attached' && p.function.hwAddr === `00:00:00:00:01:${(p.sfnum ?? 0).toString(16).padStart(2, '0')}`));
  });

  it('a process killed mid-create leaves an SF that a new ensure converges', async function () {
    if (!canSocket()) this.skip();
    sim = new Simulator({ timing: { attachMs: 1500, detachMs: 5, freeMs: 5 }, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    const { port } = await sim.listen();
    const lib = path.resolve(__dirname, '../src/index.js');
    const script = `
      const { Devlink } = require(${JSON.stringify(lib)});
      (async () => {
        const dl = await Devlink.open({ socket: { peerPort: ${port} } });
        process.send('opened');
        await dl.createSubfunction({ dev: '${PF0}', pfnum: 0, sfnum: 7, hwAddr: '00:00:00:00:00:07', sysfsRoot: ${JSON.stringify(sim.sysfsRoot)} });
        process.send('created');
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise<void>((r) => child.on('message', (m) => m === 'opened' && r()));
    const dl = await Devlink.open({ transport: sim.transport() });
    dls.push(dl);
    // wait until its SF is being activated, then kill it mid-wait
    for (let i = 0; i < 200; i++) {
      const p = (await dl.ports({ dev: PF0 })).find((x) => x.sfnum === 7);
      if (p?.function?.state === 'active') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const left = (await dl.ports({ dev: PF0 })).find((x) => x.sfnum === 7);
    assert.ok(left, 'the killed process left its SF');
    const sf = await dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 7, hwAddr: '00:00:00:00:00:07' });
    assert.equal(sf.port.handle, left.handle);
    assert.equal(sf.port.function?.opstate, 'attached');
    assert.ok(sf.auxDevice);
  });
});
