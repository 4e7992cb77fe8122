// The sub-function lifecycle (create, ensure, destroy, apply) on the simulator with
// realistic timings: every failure step rolls back, nothing is left behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError } from '../src/devlink/errors';
import { SubfunctionError } from '../src/devlink/subfunction';
import { applyDesiredState, parseDesiredState, planApply } from '../src/devlink/apply';
import { Cmd } from '../src/devlink/constants';
import { AbortError, TimeoutError } from '../src/genl/errors';
import { ValidationError } from '../src/attrs/errors';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';
const PF1 = 'pci/0000:06:00.1';
const TIMING = { attachMs: 30, detachMs: 20, freeMs: 60 };

describe('sub-function lifecycle on the simulator (realistic timings)', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dl: Devlink;
  let root: string;

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'dlsf-life-'));
    sim = new Simulator({
      sysfsRoot: root, timing: TIMING,
      devices: [
        { handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev', maxSfs: 128 },
        { handle: PF1, driver: 'mlx5_core', pfnum: 1, eswitch: 'switchdev' },
      ],
    });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
    rmSync(root, { recursive: true, force: true });
  });

  const sfPorts = async (dev = PF0) => (await dl.ports({ dev })).filter((p) => p.flavour === 'pcisf');

  it('create: add, configure, activate, wait until attached, find the devices', async () => {
    const t0 = Date.now();
    const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, hwAddr: '00:00:00:00:88:88', sysfsRoot: root });
    assert.ok(Date.now() - t0 >= TIMING.attachMs, 'it waited for the attach');
    assert.equal(sf.port.function?.state, 'active');
    assert.equal(sf.port.function?.opstate, 'attached');
    assert.equal(sf.port.function?.hwAddr, '00:00:00:00:88:88');
    assert.match(sf.auxDevice ?? '', /^mlx5_core\.sf\.\d+$/);
    assert.equal(sf.devlink, `auxiliary/${sf.auxDevice}`);
    assert.ok(sf.netdev, 'the SF netdev is found');
    assert.ok(sf.rdmaDevice, 'the SF RDMA device is found');
    assert.ok((await dl.devices()).some((d) => d.handle === sf.devlink), 'the SF devlink instance exists');
  });

  it('the same sfnum on two PFs is told apart by the PF', async () => {
    const a = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 7, sysfsRoot: root });
    const b = await dl.createSubfunction({ dev: PF1, pfnum: 1, sfnum: 7, sysfsRoot: root });
    assert.notEqual(a.auxDevice, b.auxDevice);
    assert.notEqual(a.netdev, b.netdev);
  });

  it('create without activation: inactive, detached, no waiting', async () => {
    const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 89, activate: false, sysfsRoot: root });
    assert.equal(sf.port.function?.state, 'inactive');
    assert.equal(sf.port.function?.opstate, 'detached');
    assert.equal(sf.auxDevice, undefined);
  });

  it('bad input: a ValidationError naming the field, nothing sent', async () => {
    const before = dl.genl.connection.stats.sent;
    for (const [spec, field] of [
      [{ dev: PF0, pfnum: 0, sfnum: 1, hwAddr: '01:00:00:00:00:01' }, 'hwAddr'],
      [{ dev: PF0, pfnum: 70000, sfnum: 1 }, 'pfnum'],
      [{ dev: 'pci', pfnum: 0, sfnum: 1 }, 'dev'],
      [{ dev: PF0, pfnum: 0, sfnum: -1 }, 'sfnum'],
      [{ dev: PF0, pfnum: 0, sfnum: 1, caps: { rocee: true } }, 'caps.rocee'],
    ] as const) {
      await assert.rejects(dl.createSubfunction({ ...(spec as object), sysfsRoot: root } as never),
        (e: unknown) => e instanceof ValidationError && e.field === field, field);
    }
    assert.equal(dl.genl.connection.stats.sent, before);
  });

  describe('a failure at each step leaves nothing behind', () => {
    it('add-port: the kernel refuses (a used sfnum) — nothing to roll back', async () => {
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 10, activate: false, sysfsRoot: root });
      const err = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 10, sysfsRoot: root }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SubfunctionError);
      assert.equal(err.step, 'add-port');
      assert.equal(err.rolledBack, false);
      assert.equal(err.errno, 17);
      assert.match(err.message, /SF already exist\. Choose different sfnum/);
      assert.equal((await sfPorts()).length, 1, 'the first SF is untouched');
    });

    for (const [step, cmd, nth] of [['configure', Cmd.PORT_SET, 1], ['activate', Cmd.PORT_SET, 2]] as const) {
      it(`${step}: the port is deleted again and the error carries the kernel's message`, async () => {
        // let the earlier PORT_SETs pass, fail the nth
        if (nth === 2) {
          const orig = dl.setPortFunction.bind(dl);
          let n = 0;
          dl.setPortFunction = async (h, s, o) => {
            if (++n === 2) sim.faults.failNext(5, { cmd, message: 'injected: firmware said no' });
            return orig(h, s, o);
          };
        } else {
          sim.faults.failNext(5, { cmd, message: 'injected: firmware said no' });
        }
        const err = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 11, hwAddr: '00:00:00:00:00:11', sysfsRoot: root })
          .then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof SubfunctionError, String(err));
        assert.equal(err.step, step);
        assert.equal(err.rolledBack, true);
        assert.ok(err.cause instanceof DevlinkError);
        assert.equal(err.cause.errno, 5);
        assert.match(err.message, /injected: firmware said no/);
        await sim.settle();
        assert.deepEqual(await sfPorts(), []);
      });
    }

    it('wait-attached: a timeout rolls back', async () => {
      await sim.close();
      sim = new Simulator({
        sysfsRoot: root,
        timing: { attachMs: 5000, detachMs: 10, freeMs: 10 },
        devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }],
      });
      await dl.close();
      dl = await Devlink.open({ transport: sim.transport() });
      const err = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 12, timeoutMs: 300, sysfsRoot: root }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SubfunctionError);
      assert.equal(err.step, 'wait-attached');
      assert.ok(err.cause instanceof TimeoutError);
      assert.equal(err.rolledBack, true);
      assert.deepEqual(await sfPorts(), []);
    });

    it('abort mid-way rolls back', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('operator cancelled')), 10);
      const err = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 13, signal: ac.signal, sysfsRoot: root }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SubfunctionError);
      assert.ok(err.cause instanceof AbortError, String(err.cause));
      assert.equal(err.rolledBack, true);
      await sim.settle();
      assert.deepEqual(await sfPorts(), []);
    });

    it('an already aborted signal sends nothing', async () => {
      const before = dl.genl.connection.stats.sent;
      const err = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 14, signal: AbortSignal.abort(), sysfsRoot: root })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SubfunctionError);
      assert.equal(err.rolledBack, false);
      assert.equal(dl.genl.connection.stats.sent - before, 0);
    });
  });

  it('EEXIST right after our own delete of an active SF (a rollback) is retried, not reported', async () => {
    // a create that times out waiting for the attach deletes the active SF again ...
    await dl.close();
    await sim.close();
    sim = new Simulator({
      sysfsRoot: root,
      timing: { attachMs: 400, detachMs: 20, freeMs: 150 },
      devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }],
    });
    dl = await Devlink.open({ transport: sim.transport() });
    const first = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 20, timeoutMs: 200, sysfsRoot: root }).then(() => undefined, (e: unknown) => e);
    assert.ok(first instanceof SubfunctionError && first.step === 'wait-attached' && first.rolledBack === true, String(first));
    // ... and mlx5 frees an active SF's slot later (freeMs): a plain add answers EEXIST meanwhile ...
    await assert.rejects(dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 20 }), (e: unknown) => e instanceof DevlinkError && e.errno === 17);
    // ... while createSubfunction knows this Devlink deleted it and waits it out
    const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 20, sysfsRoot: root });
    assert.equal(sf.port.function?.opstate, 'attached');
  });

  it('destroy deactivates first, so the sfnum is free again at once', async () => {
    await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 22, sysfsRoot: root });
    assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 22 }), true);
    const p = await dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 22 });
    assert.equal(p.sfnum, 22);
  });

  it('EEXIST for an sfnum someone else holds is reported at once', async () => {
    const other = await Devlink.open({ transport: sim.transport() });
    try {
      await other.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 21, activate: false, sysfsRoot: root });
      const t0 = Date.now();
      await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 21, sysfsRoot: root }),
        (e: unknown) => e instanceof SubfunctionError && e.errno === 17);
      assert.ok(Date.now() - t0 < 200);
    } finally {
      await other.close();
    }
  });

  it('100 SFs created concurrently, then destroyed concurrently', async () => {
    const sfnums = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const sfs = await Promise.all(sfnums.map((sfnum) => dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum, sysfsRoot: root })));
    assert.equal(new Set(sfs.map((s) => s.auxDevice)).size, 100);
    assert.equal(new Set(sfs.map((s) => s.port.index)).size, 100);
    assert.ok(sfs.every((s) => s.port.function?.opstate === 'attached' && s.netdev));
    const gone = await Promise.all(sfs.map((s) => dl.destroySubfunction(s.port.handle)));
    assert.ok(gone.every(Boolean));
    assert.deepEqual(await sfPorts(), []);
  });

  it('ensure: creates, then changes nothing, then converges a changed spec', async () => {
    const spec = { dev: PF0, pfnum: 0, sfnum: 30, hwAddr: '00:00:00:00:00:30', sysfsRoot: root };
    const a = await dl.ensureSubfunction(spec);
    assert.equal(a.changed, true);
    const b = await dl.ensureSubfunction(spec);
    assert.equal(b.changed, false);
    assert.equal(b.auxDevice, a.auxDevice);
    const c = await dl.ensureSubfunction({ ...spec, hwAddr: '00:00:00:00:00:31' });
    assert.equal(c.changed, true);
    assert.equal(c.port.function?.hwAddr, '00:00:00:00:00:31');
    const d = await dl.ensureSubfunction({ ...spec, activate: false });
    assert.equal(d.changed, true);
    assert.equal(d.port.function?.state, 'inactive');
    assert.equal(d.port.function?.opstate, 'detached');
  });

  it('destroy: by handle and by spec, idempotent', async () => {
    const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 40, sysfsRoot: root });
    assert.equal(await dl.destroySubfunction(sf.port.handle), true);
    assert.equal(await dl.destroySubfunction(sf.port.handle), false);
    assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 40 }), false);
    await sim.settle();
    assert.deepEqual((await dl.devices()).filter((d) => d.bus === 'auxiliary'), []);
  });

  it('apply: plan, apply, idempotent second run, prune', async () => {
    await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 99, activate: false, sysfsRoot: root });
    const desired = parseDesiredState({
      devices: {
        [PF0]: { subfunctions: [{ sfnum: 50, hw_addr: '00:00:00:00:00:50' }, { sfnum: 51, state: 'inactive' }] },
        [PF1]: { pfnum: 1, subfunctions: [{ sfnum: 50 }] },
      },
    });
    const plan = await planApply(dl, desired, { prune: true });
    assert.deepEqual(plan.map((p) => `${p.action} ${p.dev} ${p.sfnum}`).sort(), [
      `create ${PF0} 50`, `create ${PF0} 51`, `create ${PF1} 50`, `delete ${PF0} 99`,
    ]);
    const r = await applyDesiredState(dl, desired, { prune: true, sysfsRoot: root, concurrency: 2 });
    assert.deepEqual([r.created, r.changed, r.deleted, r.unchanged, r.failed.length], [3, 0, 1, 0, 0]);
    const again = await planApply(dl, desired, { prune: true });
    assert.ok(again.every((p) => p.action === 'unchanged'), JSON.stringify(again.map((p) => [p.action, p.changes])));
    const changed = parseDesiredState({
      devices: { [PF0]: { subfunctions: [{ sfnum: 50, hw_addr: '00:00:00:00:00:5a' }, { sfnum: 51, state: 'inactive' }] } },
    });
    const p2 = await planApply(dl, changed);
    assert.deepEqual(p2.map((p) => p.action), ['change', 'unchanged']);
    assert.deepEqual(p2[0].changes, ['hw_addr 00:00:00:00:00:50 -> 00:00:00:00:00:5a']);
  });

  it('apply: a failing item is reported, the others applied', async () => {
    sim.faults.failNext(28, { cmd: Cmd.PORT_NEW });
    const r = await applyDesiredState(dl, parseDesiredState({ devices: { [PF0]: { pfnum: 0, subfunctions: [{ sfnum: 60 }, { sfnum: 61 }] } } }),
      { sysfsRoot: root, concurrency: 1 });
    assert.equal(r.created, 1);
    assert.equal(r.failed.length, 1);
    assert.ok(r.failed[0].error instanceof SubfunctionError);
  });

  it('parseDesiredState names the bad field', () => {
    assert.throws(() => parseDesiredState({ devices: { [PF0]: { subfunctions: [{ sfnum: 1, hw_addr: 'xx' }] } } }),
      (e: unknown) => e instanceof ValidationError && e.field === `devices["${PF0}"].subfunctions[0].hwAddr`);
    assert.throws(() => parseDesiredState({ devices: { [PF0]: { subfunctions: [{ sfnum: 1 }, { sfnum: 1 }] } } }),
      (e: unknown) => e instanceof ValidationError && e.field === `devices["${PF0}"].subfunctions[1].sfnum`);
    assert.throws(() => parseDesiredState({ devices: { [PF0]: { subfunctions: [{ sfnum: 1, colour: 'red' }] } } }),
      (e: unknown) => e instanceof ValidationError && e.field === `devices["${PF0}"].subfunctions[0].colour`);
  });
});
