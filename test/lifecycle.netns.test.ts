// createSubfunction with `params` and `netns` on the simulator: the SF's own instance is
// reloaded once (driver_reinit, with NETNS_FD) into a namespace of the test's own, then
// found there with its netdev through an endpoint opened in that namespace; destroy works
// from here; every failure after the port was made rolls back or says what it left.
// Needs root and `ip netns` (suiteNetns skips otherwise).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ValidationError } from '../src/attrs/errors';
import { Cmd } from '../src/devlink/constants';
import { Devlink } from '../src/devlink/devlink';
import { SubfunctionError } from '../src/devlink/subfunction';
import type { Transport } from '../src/genl/transport';
import { Simulator } from '../src/sim';
import { suiteNetns } from './helpers/netns';

const PF0 = 'pci/0000:06:00.0';
const KERNELS = ['6.1', 'current'] as const;

/** The genl command of a datagram our engine sent (one message each). */
function cmdOf(buffers: readonly Buffer[]): number {
  return Buffer.concat(buffers as Buffer[])[16];
}

for (const kernel of KERNELS) {
  describe(`lifecycle with params and netns on the simulator (kernel ${kernel})`, function () {
    this.timeout(30_000);
    const ns = suiteNetns(`dlsf-life-ns-${kernel === '6.1' ? '61' : 'cur'}`);
    let sim: Simulator;
    let dl: Devlink;
    let root: string;
    /** Commands sent on dl's transport, and a hook run before each is sent. */
    let sent: number[];
    let beforeSend: (cmd: number) => void;

    beforeEach(async () => {
      root = fs.mkdtempSync(path.join(tmpdir(), 'dlsf-life-ns-'));
      sim = new Simulator({
        kernel, sysfsRoot: root, timing: { attachMs: 20, detachMs: 10, freeMs: 20 },
        devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }],
      });
      sent = [];
      beforeSend = () => undefined;
      const t: Transport = sim.transport();
      const send = t.send.bind(t);
      t.send = (b) => {
        const c = cmdOf(b);
        sent.push(c);
        beforeSend(c);
        send(b);
      };
      dl = await Devlink.open({ transport: t });
    });
    afterEach(async () => {
      await dl.close();
      await sim.close();
      fs.rmSync(root, { recursive: true, force: true });
    });

    /** A Devlink on an endpoint in the test's namespace, for looking from there. */
    async function inside<T>(f: (d: Devlink) => Promise<T>): Promise<T> {
      const d = await Devlink.open({ transport: sim.transport({ netns: ns.path }) });
      try {
        return await f(d);
      } finally {
        await d.close();
      }
    }
    const sfPorts = async (): Promise<string[]> => (await dl.ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf').map((p) => p.handle);

    it('create with params and netns: one reload, the instance and its netdev found there, gone from here; destroy from here', async () => {
      const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, params: { enable_eth: true }, netns: ns.name, sysfsRoot: root });
      assert.equal(sent.filter((c) => c === Cmd.RELOAD).length, 1, 'params and the namespace in one reload');
      assert.equal(sf.netns, ns.path);
      assert.match(sf.devlink ?? '', /^auxiliary\/mlx5_core\.sf\.\d+$/);
      // created in the container's namespace: the kernel's eth%d, no udev rename there
      assert.equal(sf.netdev, 'eth0');
      assert.equal(sf.port.function?.opstate, 'attached');
      assert.ok(!(await dl.devices()).some((d) => d.handle === sf.devlink), 'the instance left this namespace');
      assert.ok(!fs.existsSync(path.join(root, 'class', 'net', 'enp6s0f0s88')), 'sysfs here no longer shows its netdev');
      await inside(async (d) => {
        assert.deepEqual((await d.devices()).map((x) => x.handle), [sf.devlink], 'there: the SF instance and nothing else');
        const ports = await d.ports({ dev: sf.devlink });
        assert.deepEqual(ports.map((p) => p.netdev), ['eth0']);
        const eth = await d.param(sf.devlink!, 'enable_eth');
        assert.equal(eth.values.find((v) => v.cmode === 'driverinit')?.value, true);
      });
      // converged: nothing to do a second time
      const again = await dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, params: { enable_eth: true }, netns: ns.path, sysfsRoot: root });
      assert.equal(again.changed, false);
      assert.equal(again.netdev, 'eth0');
      assert.equal(sent.filter((c) => c === Cmd.RELOAD).length, 1, 'no second reload');
      // the port is the PF's, here: destroy deactivates it, which removes the instance there too
      assert.equal(await dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 88 }, { sysfsRoot: root }), true);
      assert.deepEqual(await sfPorts(), []);
      await inside(async (d) => assert.deepEqual(await d.devices(), []));
      sim.checkInvariants();
    });

    it('netns as an open descriptor, and as the namespace it is in already (no reload)', async () => {
      const fd = fs.openSync(ns.path, 'r');
      try {
        const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 7, netns: { fd }, sysfsRoot: root });
        assert.equal(sf.netns, `/proc/self/fd/${fd}`);
        await inside(async (d) => assert.ok((await d.devices()).some((x) => x.handle === sf.devlink)));
      } finally {
        fs.closeSync(fd);
      }
      const before = sent.filter((c) => c === Cmd.RELOAD).length;
      const here = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8, netns: { pid: process.pid }, sysfsRoot: root });
      assert.equal(sent.filter((c) => c === Cmd.RELOAD).length, before, 'already there: nothing to reload');
      assert.equal(here.netns, `/proc/${process.pid}/ns/net`);
      assert.ok((await dl.devices()).some((x) => x.handle === here.devlink));
    });

    it('refused before anything is sent: a peer id, a negative fd, a fractional PID, a missing path, an external controller, no attach', async () => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['a peer id', { netns: { id: 3 } }, 'netns.id'],
        ['a negative fd', { netns: { fd: -1 } }, 'netns.fd'],
        ['a fractional PID', { netns: { pid: 1.5 } }, 'netns.pid'],
        ['fd and pid at once', { netns: { fd: 3, pid: 1 } }, 'netns'],
        ['a path that does not exist', { netns: '/nonexistent/netns' }, 'netns'],
        ['a name that does not exist', { netns: 'dlsf-no-such-netns' }, 'netns'],
        ['an external controller\'s SF', { netns: ns.name, controller: 1 }, 'netns'],
        ['an SF not waited for', { netns: ns.name, wait: 'none' }, 'netns'],
      ];
      for (const [what, extra, field] of cases) {
        sent.length = 0;
        await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 9, sysfsRoot: root, ...extra }),
          (e: unknown) => e instanceof ValidationError && e.field === field, what);
        assert.deepEqual(sent, [], `${what}: nothing sent`);
      }
    });

    it('the reload refused: rolled back, the instance never left', async () => {
      sim.faults.failNext(95, { cmd: Cmd.RELOAD, message: 'injected: reload refused' });
      await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, netns: ns.name, sysfsRoot: root }), (e: unknown) =>
        e instanceof SubfunctionError && e.step === 'netns' && e.outcome === 'rolled-back' && e.errno === 95 && e.netns === undefined);
      assert.deepEqual(await sfPorts(), []);
      await inside(async (d) => assert.deepEqual(await d.devices(), []));
    });

    it('the look there fails after the move: rolled back, the port deleted here removes the instance there', async () => {
      beforeSend = (c) => {
        if (c === Cmd.RELOAD) sim.faults.failNext(5, { cmd: Cmd.PORT_GET, message: 'injected: no ports for you' });
      };
      await assert.rejects(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, netns: ns.name, sysfsRoot: root }), (e: unknown) =>
        e instanceof SubfunctionError && e.step === 'wait-netns' && e.outcome === 'rolled-back' && e.errno === 5);
      assert.deepEqual(await sfPorts(), []);
      // the driver removes a deleted active SF's device after its detach (mlx5: the vhca event), wherever its instance is
      await inside(async (d) => {
        for (let i = 0; i < 100 && (await d.devices()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(await d.devices(), []);
      });
      sim.checkInvariants();
    });

    it('the look there fails and the port cannot be deleted: left, with the port and the namespace named; destroy cleans up', async () => {
      beforeSend = (c) => {
        if (c !== Cmd.RELOAD) return;
        sim.faults.failNext(5, { cmd: Cmd.PORT_GET, message: 'injected: no ports for you' });
        sim.faults.failNext(5, { cmd: Cmd.PORT_DEL, message: 'injected: cannot delete' });
      };
      let err: SubfunctionError | undefined;
      await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 88, netns: ns.name, sysfsRoot: root }).catch((e: unknown) => {
        err = e as SubfunctionError;
      });
      assert.ok(err instanceof SubfunctionError);
      assert.equal(err.outcome, 'left');
      assert.equal(err.step, 'wait-netns');
      const left = await sfPorts();
      assert.deepEqual([err.port], left);
      assert.equal(err.netns, ns.path);
      const said = `a port was left behind: ${left[0]}; the SF's devlink instance and its netdev may be in network namespace ${ns.path}`;
      assert.ok(err.message.endsWith(said), err.message);
      await inside(async (d) => assert.equal((await d.devices()).length, 1, 'the instance is there'));
      assert.equal(await dl.destroySubfunction(left[0], { sysfsRoot: root }), true);
      await inside(async (d) => assert.deepEqual(await d.devices(), []));
      assert.deepEqual(await sfPorts(), []);
    });
  });
}
