// What a daemon relies on (issue "Sub-functions a daemon can trust"): every failure says
// what it left, decided by looking, and matches the simulator's state; overlapping calls
// converge; close() mid-call finishes the clean-up; external controllers; driver-neutral
// checks; errors a program can branch on.
import assert from 'node:assert/strict';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError, NotFoundError, SubfunctionError } from '../src/devlink/errors';
import { Cmd } from '../src/devlink/constants';
import { ClosedError, KernelError, TimeoutError } from '../src/genl/errors';
import { ValidationError } from '../src/attrs/errors';
import { Simulator } from '../src/sim';
import { applyDesiredState, parseDesiredState } from '../src/devlink/apply';

const PF0 = 'pci/0000:06:00.0';
const TIMING = { attachMs: 30, detachMs: 20, freeMs: 40 };

async function failure(p: Promise<unknown>): Promise<SubfunctionError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof SubfunctionError, `expected a SubfunctionError, got ${String(e)}`);
  return e;
}

describe('sub-functions a daemon can trust', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dl: Devlink;

  const open = async (timing = TIMING, extra: { ecpf?: boolean; hostSfBaseId?: number } = {}): Promise<void> => {
    sim = new Simulator({ timing, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev', maxSfs: 64, ...extra }] });
    dl = await Devlink.open({ transport: sim.transport() });
  };
  afterEach(async () => {
    await dl?.close();
    await sim?.close();
  });
  /** The simulator's own SF ports of PF0, read on a connection of its own. */
  const simSfs = async (): Promise<{ handle: string; sfnum?: number; state?: string }[]> => {
    const probe = await Devlink.open({ transport: sim.transport() });
    try {
      return (await probe.ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf')
        .map((p) => ({ handle: p.handle, sfnum: p.sfnum, state: String(p.function?.state) }));
    } finally {
      await probe.close();
    }
  };

  describe('1. the outcome of a failed call is never ambiguous', () => {
    it('a late port-new reply: the timeout is followed by a look-up and a delete (rolled-back), and a retry succeeds', async () => {
      await open();
      sim.faults.delayReplies(300, { cmd: Cmd.PORT_NEW });
      const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 3, timeoutMs: 100 }));
      assert.equal(e.step, 'add-port');
      assert.equal(e.outcome, 'rolled-back');
      assert.ok(e.cause instanceof TimeoutError);
      assert.equal(e.code, 'ETIMEDOUT');
      assert.equal(e.kernelRefused, false);
      assert.deepEqual(await simSfs(), [], 'nothing is left in the simulator');
      const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 3 });
      assert.equal(sf.port.function?.opstate, 'attached');
    });

    for (const [what, cmd, nth] of [['configure', Cmd.PORT_SET, 1], ['activate', Cmd.PORT_SET, 2], ['wait-attached', Cmd.PORT_GET, 1]] as const) {
      it(`a late reply at ${what}: rolled back, and the simulator agrees`, async () => {
        await open({ attachMs: 50, detachMs: 10, freeMs: 10 });
        let n = 0;
        const orig = dl.request.bind(dl);
        dl.request = (c, a, o) => {
          if (c === cmd && ++n === nth) sim.faults.delayReplies(400, { cmd });
          return orig(c, a, o);
        };
        const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 4, hwAddr: '00:00:00:00:00:04', timeoutMs: 150 }));
        assert.equal(e.step, what);
        assert.equal(e.outcome, 'rolled-back');
        await sim.settle();
        assert.deepEqual(await simSfs(), []);
      });
    }

    it('close() 50 ms into a create: the clean-up finishes before close() resolves; the error names the close', async () => {
      await open({ attachMs: 5000, detachMs: 10, freeMs: 10 });
      const p = failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 5 }));
      await new Promise((r) => setTimeout(r, 50));
      await dl.close();
      const e = await p;
      assert.equal(e.outcome, 'rolled-back');
      assert.equal(e.step, 'wait-attached');
      assert.ok(e.cause instanceof ClosedError, String(e.cause));
      assert.equal(e.code, 'ENOTCONN');
      assert.deepEqual(await simSfs(), []);
      await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 6 }), ClosedError);
    });

    it('a clean-up that cannot delete says the port is left, with its handle', async () => {
      await open({ attachMs: 5000, detachMs: 10, freeMs: 10 });
      sim.faults.failNext(5, { cmd: Cmd.PORT_DEL, message: 'injected: cannot delete' });
      const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 7, timeoutMs: 100 }));
      assert.equal(e.outcome, 'left');
      const left = await simSfs();
      assert.equal(left.length, 1);
      assert.equal(e.port, left[0].handle);
      assert.match(e.message, new RegExp(`a port was left behind: ${e.port}`));
    });

    it('a refused add created nothing: outcome none, the existing port named, at once (not after the budget)', async () => {
      await open();
      const first = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8, activate: false });
      const t0 = Date.now();
      const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8 }));
      assert.ok(Date.now() - t0 < 500, 'EEXIST with the SF present is not retried');
      assert.equal(e.outcome, 'none');
      assert.equal(e.port, first.port.handle);
      assert.equal(e.errno, 17);
      assert.equal(e.code, 'EEXIST');
      assert.match(e.extMessage ?? '', /SF already exist/);
      assert.ok(e instanceof DevlinkError && e instanceof KernelError, 'a DevlinkError, as the README catches it');
    });

    it('EEXIST after our own delete while the sfnum is being freed: retried until free, even across Devlinks', async () => {
      await open({ attachMs: 10, detachMs: 10, freeMs: 200 });
      const other = await Devlink.open({ transport: sim.transport() });
      try {
        const a = await other.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 9 });
        await other.deletePort(a.port.handle); // active: its slot is freed later
        const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 9 });
        assert.equal(sf.port.sfnum, 9);
      } finally {
        await other.close();
      }
    });
  });

  describe('2. overlapping calls converge', () => {
    it('two ensures of one SF on one Devlink: both succeed, one after the other', async () => {
      await open();
      const spec = { dev: PF0, pfnum: 0, sfnum: 10, hwAddr: '00:00:00:00:00:10' };
      const [a, b] = await Promise.all([dl.ensureSubfunction(spec), dl.ensureSubfunction(spec)]);
      assert.equal(a.port.handle, b.port.handle);
      assert.deepEqual([a.changed, b.changed], [true, false]);
    });

    it('two ensures of one SF from two Devlinks at once: both converge (EEXIST answered by reading it again)', async () => {
      await open();
      const other = await Devlink.open({ transport: sim.transport() });
      try {
        const spec = { dev: PF0, pfnum: 0, sfnum: 11, hwAddr: '00:00:00:00:00:11' };
        const [a, b] = await Promise.all([dl.ensureSubfunction(spec), other.ensureSubfunction(spec)]);
        assert.equal(a.port.handle, b.port.handle);
        assert.equal(a.port.function?.opstate, 'attached');
        assert.equal(b.port.function?.hwAddr, '00:00:00:00:00:11');
        assert.equal((await simSfs()).length, 1);
      } finally {
        await other.close();
      }
    });

    it('ensure and destroy of one SF from two Devlinks: neither is rejected for the race', async () => {
      await open();
      const other = await Devlink.open({ transport: sim.transport() });
      try {
        const spec = { dev: PF0, pfnum: 0, sfnum: 12 };
        await dl.ensureSubfunction(spec);
        for (let i = 0; i < 10; i++) await Promise.all([dl.ensureSubfunction(spec), other.destroySubfunction(spec)]);
        await dl.ensureSubfunction(spec);
        assert.equal((await simSfs()).length, 1);
      } finally {
        await other.close();
      }
    });

    it('calls for different SFs run in parallel', async () => {
      await open({ attachMs: 200, detachMs: 10, freeMs: 10 });
      const t0 = Date.now();
      await Promise.all([20, 21, 22, 23].map((sfnum) => dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum })));
      assert.ok(Date.now() - t0 < 600, `4 creates with a 200 ms attach took ${Date.now() - t0} ms`);
    });
  });

  describe('4. external controller (ECPF)', () => {
    it('an SF of the host (controller 1) completes on opstate attached, with no local auxiliary device', async () => {
      await open(TIMING, { ecpf: true, hostSfBaseId: 0x9000 });
      const sf = await dl.createSubfunction({ dev: PF0, controller: 1, pfnum: 0, sfnum: 30, timeoutMs: 5000 });
      assert.equal(sf.port.function?.opstate, 'attached');
      assert.equal(sf.auxDevice, undefined);
      assert.equal(sf.port.controller, 1);
      assert.equal(sf.port.index & 0xffff, 0x9000, 'the function id starts at the host SF base id');
      assert.deepEqual((await dl.devices()).filter((d) => d.bus === 'auxiliary'), [], 'nothing appears locally');
      assert.equal(await dl.destroySubfunction({ dev: PF0, controller: 1, pfnum: 0, sfnum: 30 }), true);
    });
  });

  describe('5. driver-neutral checks', () => {
    it('a pcisf add without sfnum reaches the driver: mlx5 refuses it with its own words', async () => {
      await open();
      await assert.rejects(dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0 }), (e: unknown) =>
        e instanceof DevlinkError && e.errno === 95 && /User must provide unique sfnum/.test(e.extMessage ?? ''));
      const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0 }));
      assert.equal(e.outcome, 'none');
      assert.equal(e.code, 'EOPNOTSUPP');
    });

    it('a MAC change the driver refuses while attached (EBUSY, as ice): deactivate, set, activate again', async () => {
      await open();
      await dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 40, hwAddr: '00:00:00:00:00:40' });
      sim.faults.failNext(16, { cmd: Cmd.PORT_SET, message: 'Ethernet address can be change only in detached state' });
      const r = await dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 40, hwAddr: '00:00:00:00:00:41' });
      assert.equal(r.changed, true);
      assert.equal(r.port.function?.hwAddr, '00:00:00:00:00:41');
      assert.equal(r.port.function?.opstate, 'attached');
    });
  });

  describe('6. errors a program can branch on', () => {
    it('destroy of an SF of a device that does not exist is an error, not "nothing to delete"', async () => {
      await open();
      const e = await failure(dl.destroySubfunction('pci/0000:99:00.0/1'));
      assert.equal(e.errno, 19);
      assert.equal(e.outcome, 'none');
      const e2 = await failure(dl.destroySubfunction({ dev: 'pci/0000:99:00.0', pfnum: 0, sfnum: 1 }));
      assert.equal(e2.code, 'ENODEV');
      assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 77 }), false, 'no such SF on a real device: false');
    });

    it('the kernel\'s sentence is not followed by a second full stop', async () => {
      await open();
      await dl.setEswitch(PF0, { mode: 'legacy' });
      const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 1 }));
      assert.doesNotMatch(e.message, /\.:/);
      assert.match(e.message, /SF ports are disabled: devlink port-new pci\/0000:06:00.0: Operation not supported/);
    });

    it('attached, but no auxiliary device under the sysfs root: says so and names the root', async () => {
      await open();
      const e = await failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 50, timeoutMs: 300, sysfsRoot: '/nonexistent-sysfs' }));
      assert.equal(e.step, 'wait-attached');
      assert.ok(e.cause instanceof NotFoundError);
      assert.match(e.message, /attached.*no auxiliary device with sfnum 50.*\/nonexistent-sysfs\/bus\/auxiliary\/devices/);
      assert.equal(e.outcome, 'rolled-back');
    });

    it('options are checked before anything is sent: types, ranges, unknown keys', async () => {
      await open();
      const before = dl.genl.connection.stats.sent;
      const bad: [Record<string, unknown>, string][] = [
        [{ timeoutMs: '5000' }, 'timeoutMs'], [{ timeoutMs: NaN }, 'timeoutMs'], [{ timeoutMs: -1 }, 'timeoutMs'],
        [{ timeoutMs: Infinity }, 'timeoutMs'], [{ signal: {} }, 'signal'], [{ sysfsRoot: 123 }, 'sysfsRoot'],
        [{ mac: '00:00:00:00:00:01' }, 'spec.mac'], [{ state: 'inactive' }, 'spec.state'], [{ caps: 'roce' }, 'caps'],
        [{ caps: { rocee: true } }, 'caps.rocee'],
      ];
      for (const [extra, field] of bad) {
        await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 60, ...extra } as never), (e: unknown) =>
          e instanceof ValidationError && e.field === field, JSON.stringify(extra));
        await assert.rejects(dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 60, ...extra } as never), ValidationError);
      }
      await assert.rejects(dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 60 }, { timeoutMs: 'x' } as never), ValidationError);
      assert.equal(dl.genl.connection.stats.sent - before, 0);
    });
  });

  describe('7. the README snippet works as written', () => {
    it('new Simulator({ devices }), Devlink.open({ transport: sim.transport() }), createSubfunction: no sysfsRoot anywhere', async () => {
      sim = new Simulator({ devices: [{ handle: 'pci/0000:06:00.0', driver: 'mlx5_core', pfnum: 0 }] });
      dl = await Devlink.open({ transport: sim.transport() });
      await dl.setEswitch('pci/0000:06:00.0', { mode: 'switchdev' });
      const sf = await dl.createSubfunction({
        dev: 'pci/0000:06:00.0', pfnum: 0, sfnum: 88, hwAddr: '00:00:00:00:88:88', timeoutMs: 30_000,
      });
      assert.match(sf.auxDevice ?? '', /^mlx5_core\.sf\.\d+$/);
      assert.equal(sf.devlink, `auxiliary/${sf.auxDevice}`);
      assert.ok(sf.netdev);
      assert.ok(sf.rdmaDevice);
    });
  });
});

describe('apply options and the desired state are checked like any input', () => {
  it('unknown keys and wrong types name the field; nothing is sent', async () => {
    const sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    const dl = await Devlink.open({ transport: sim.transport() });
    try {
      const desired = parseDesiredState({ devices: { [PF0]: { pfnum: 0, subfunctions: [{ sfnum: 1 }] } } });
      const before = dl.genl.connection.stats.sent;
      for (const [o, field] of [[{ prnue: true }, 'options.prnue'], [{ concurrency: 0 }, 'concurrency'], [{ prune: 'yes' }, 'prune']] as const) {
        await assert.rejects(applyDesiredState(dl, desired, o as never), (e: unknown) => e instanceof ValidationError && e.field === field);
      }
      assert.equal(dl.genl.connection.stats.sent, before);
      assert.throws(() => parseDesiredState({ devices: { [PF0]: { subfunctions: [{ sfnum: 1, caps: 'roce' }] } } }),
        (e: unknown) => e instanceof ValidationError && e.field === `devices["${PF0}"].subfunctions[0].caps`);
    } finally {
      await dl.close();
      await sim.close();
    }
  });
});

describe('kernel errors name the object', () => {
  it('"devlink port-get pci/0000:06:00.0/4242: No such device (ENODEV)"', async () => {
    const sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    const dl = await Devlink.open({ transport: sim.transport() });
    try {
      await assert.rejects(dl.port(`${PF0}/4242`),
        (e: unknown) => e instanceof DevlinkError && e.message === `devlink port-get ${PF0}/4242: No such device (ENODEV)`);
      await assert.rejects(dl.eswitch('pci/0000:99:00.0'),
        (e: unknown) => e instanceof DevlinkError && /devlink eswitch-get pci\/0000:99:00\.0: No such device/.test(e.message));
    } finally {
      await dl.close();
      await sim.close();
    }
  });
});

describe('ports({ dev }) of a device that does not exist: one behaviour whatever the kernel', () => {
  for (const kernel of ['6.1', 'current'] as const) {
    it(`ENODEV on ${kernel} (6.1 dumps everything and returns nothing for it; 6.6+ says ENODEV in DONE)`, async () => {
      const sim = new Simulator({ kernel, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
      const dl = await Devlink.open({ transport: sim.transport() });
      try {
        await assert.rejects(dl.ports({ dev: 'pci/0000:99:00.0' }), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
        await assert.rejects(dl.rates({ dev: 'pci/0000:99:00.0' }), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
        assert.ok((await dl.ports({ dev: PF0 })).length > 0);
      } finally {
        await dl.close();
        await sim.close();
      }
    });
  }
});
