/**
 * Real-socket mode end to end: the simulator answers on its own AF_NETLINK socket, the
 * library talks to it through the native addon's socket, ext-acks are parsed from real
 * datagrams and notifications arrive by real multicast. Needs root (unicast between
 * user sockets and multicast sends need CAP_NET_ADMIN under NETLINK_GENERIC) and the
 * native addon; skips cleanly otherwise.
 */
import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { GenericNetlink } from '../src/genl/generic';
import { loadAddon } from '../src/genl/addon';
import { Devlink } from '../src/devlink/devlink';
import type { DevlinkEvent } from '../src/devlink/types';

async function take(it: AsyncIterableIterator<DevlinkEvent>, n: number, ms: number): Promise<DevlinkEvent[]> {
  const out: DevlinkEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const r = await Promise.race([it.next(), new Promise<'t'>((res) => setTimeout(() => res('t'), Math.max(1, deadline - Date.now())))]);
    if (r === 't' || r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('sim: real-socket mode', function () {
  let sim: Simulator;
  let port: number;
  before(function () {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) this.skip();
    if (loadAddon() === null) this.skip();
  });
  beforeEach(async () => {
    sim = new Simulator({ devices: [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' }], timing: { attachMs: 10 } });
    ({ port } = await sim.listen());
  });
  afterEach(() => sim.close());

  it('answers GETFAMILY over a real socket, with the group a socket client can join', async () => {
    const g = await GenericNetlink.open({ socket: { peerPort: port } });
    try {
      assert.equal(g.transportName, 'native');
      const f = await g.family('devlink');
      assert.equal(f.id, sim.familyId);
      const info = await sim.listen();
      assert.deepEqual(f.groups, [{ name: 'config', id: info.groupId }]);
      assert.ok(info.groupId >= 1 && info.groupId <= 32);
      await assert.rejects(g.family('nosuch'), { errno: 2 });
    } finally {
      await g.close();
    }
  });

  it('port add round trip, an ext-ack error from real datagrams, and a notification by multicast', async () => {
    const dl = await Devlink.open({ socket: { peerPort: port } });
    const watcher = await Devlink.open({ socket: { peerPort: port } });
    try {
      const events = take(watcher.monitor(), 3, 3000);
      await new Promise((r) => setTimeout(r, 50));
      const p = await dl.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 0, sfnum: 88 });
      assert.equal(p.handle, 'pci/0000:06:00.0/32768');
      assert.equal(p.function?.state, 'inactive');
      await assert.rejects(dl.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 0, sfnum: 88 }), (e: Error & { errno?: number; extMessage?: string }) => {
        assert.equal(e.errno, 17);
        assert.equal(e.extMessage, 'mlx5_core: SF already exist. Choose different sfnum');
        return true;
      });
      await assert.rejects(dl.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 3, sfnum: 1 }),
        { errno: 95, extMessage: 'mlx5_core: Invalid pfnum supplied' });
      const seen = await events;
      assert.deepEqual(seen.map((e) => e.type), ['port-new', 'rate-new', 'port-new']);
      assert.equal((await sim.listen()).multicast, true, 'delivered by real multicast, not the unicast fallback');
      const ports = await dl.ports();
      assert.deepEqual(ports.map((x) => x.handle), ['pci/0000:06:00.0/65535', 'pci/0000:06:00.0/32768']);
    } finally {
      await dl.close();
      await watcher.close();
    }
  });
});
