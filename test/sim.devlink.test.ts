/**
 * The iproute2 session of SF-SEMANTICS.md replayed through the library (Devlink) against
 * the simulator: the same ports, states, errors and events.
 */
import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { Devlink } from '../src/devlink/devlink';
import type { DevlinkEvent } from '../src/devlink/types';

const DEVS = [
  { handle: 'pci/0000:06:00.0', driver: 'mlx5_core' as const, pfnum: 0 },
  { handle: 'pci/0000:06:00.1', driver: 'mlx5_core' as const, pfnum: 1 },
];

/** Collect monitor events until `n` arrived (or the time is up). */
async function take(it: AsyncIterableIterator<DevlinkEvent>, n: number, ms = 2000): Promise<DevlinkEvent[]> {
  const out: DevlinkEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const r = await Promise.race([it.next(), new Promise<'t'>((res) => setTimeout(() => res('t'), deadline - Date.now()))]);
    if (r === 't' || r.done) break;
    out.push(r.value);
  }
  return out;
}

function label(e: DevlinkEvent): string {
  switch (e.type) {
    case 'port-new':
    case 'port-del':
      return `${e.type} ${e.port.handle} ${e.port.type}${e.port.netdev ? ' ' + e.port.netdev : ''}`;
    case 'rate-new':
    case 'rate-del':
      return `${e.type} ${e.rate.handle}`;
    case 'dev-new':
    case 'dev-del':
      return `${e.type} ${e.device.handle}`;
    default:
      return e.type;
  }
}

describe('sim: the iproute2 session through Devlink', () => {
  let sim: Simulator;
  let dl: Devlink;
  let watcher: Devlink;
  beforeEach(async () => {
    sim = new Simulator({ devices: DEVS, timing: { attachMs: 20, detachMs: 10, freeMs: 20 } });
    dl = await Devlink.open({ transport: sim.transport() });
    watcher = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await watcher.close();
    await sim.close();
  });

  it('eswitch switchdev, port add, function set, port del: same ports, states and events', async () => {
    const events = take(watcher.monitor(), 29, 3000);
    await new Promise((r) => setTimeout(r, 10));
    // $ devlink dev eswitch set pci/0000:06:00.0 mode switchdev
    await dl.setEswitch('pci/0000:06:00.0', { mode: 'switchdev' });
    assert.equal((await dl.eswitch('pci/0000:06:00.0')).mode, 'switchdev');
    // $ devlink port add pci/0000:06:00.0 flavour pcisf pfnum 0 sfnum 88
    const port = await dl.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 0, sfnum: 88 });
    assert.equal(port.handle, 'pci/0000:06:00.0/32768');
    assert.equal(port.type, 'eth');
    assert.equal(port.netdev, 'eth0');
    assert.equal(port.flavour, 'pcisf');
    assert.deepEqual([port.controller, port.pfnum, port.sfnum, port.splittable], [0, 0, 88, false]);
    assert.deepEqual(port.function && { hw: port.function.hwAddr, st: port.function.state, op: port.function.opstate },
      { hw: '00:00:00:00:00:00', st: 'inactive', op: 'detached' });
    // the error iproute2 prints as "Error: mlx5_core: SF already exist. Choose different sfnum."
    await assert.rejects(dl.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 0, sfnum: 88 }), (e: Error & { errno?: number; extMessage?: string }) => {
      assert.equal(e.errno, 17);
      assert.equal(e.extMessage, 'mlx5_core: SF already exist. Choose different sfnum');
      return true;
    });
    // $ devlink port function set pci/0000:06:00.0/32768 hw_addr 00:00:00:00:88:88 state active
    await dl.setPortFunction('pci/0000:06:00.0/32768', { hwAddr: '00:00:00:00:88:88', state: 'active' });
    const active = await dl.port('pci/0000:06:00.0/32768');
    assert.deepEqual([active.function?.hwAddr, active.function?.state, active.function?.opstate], ['00:00:00:00:88:88', 'active', 'detached']);
    await sim.settle();
    assert.equal((await dl.port('pci/0000:06:00.0/32768')).function?.opstate, 'attached');
    const devices = (await dl.devices()).map((d) => d.handle);
    assert.deepEqual(devices, ['pci/0000:06:00.0', 'pci/0000:06:00.1', 'auxiliary/mlx5_core.sf.2']);
    // $ devlink port del pci/0000:06:00.0/32768
    await dl.deletePort('pci/0000:06:00.0/32768');
    await assert.rejects(dl.port('pci/0000:06:00.0/32768'));
    await sim.settle();
    const seen = (await events).map(label);
    assert.deepEqual(seen, [
      'port-new pci/0000:06:00.0/32768 notset',
      'rate-new pci/0000:06:00.0/32768',
      'port-new pci/0000:06:00.0/32768 eth eth0',
      'port-new pci/0000:06:00.0/32768 eth eth0',
      // mlx5_sf_dev_probe: the instance is registered once up (devlink_notify_register),
      // its port already eth, then a PARAM_NEW for each of its 9 params
      'dev-new auxiliary/mlx5_core.sf.2',
      'port-new auxiliary/mlx5_core.sf.2/131072 eth enp6s0f0s88',
      ...Array<string>(9).fill('other'),
      'port-new pci/0000:06:00.0/32768 notset',
      'rate-del pci/0000:06:00.0/32768',
      'port-del pci/0000:06:00.0/32768 notset',
      // mlx5_sf_dev_remove unregisters first: PARAM_DEL each, PORT_DEL (still eth), DEL
      ...Array<string>(9).fill('other'),
      'port-del auxiliary/mlx5_core.sf.2/131072 eth enp6s0f0s88',
      'dev-del auxiliary/mlx5_core.sf.2',
    ]);
    sim.checkInvariants();
  });

  it('ports({ dev }) on 6.1 sees every port; unprivileged callers read but cannot change', async () => {
    await dl.setEswitch('pci/0000:06:00.0', { mode: 'switchdev' });
    await dl.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 0, sfnum: 1 });
    const all = await dl.ports();
    assert.deepEqual(all.map((p) => p.handle), ['pci/0000:06:00.0/65535', 'pci/0000:06:00.0/32768', 'pci/0000:06:00.1/131071']);
    const user = await Devlink.open({ transport: sim.transport({ privileged: false }) });
    try {
      assert.equal((await user.ports()).length, 3);
      await assert.rejects(user.addPort('pci/0000:06:00.0', { flavour: 'pcisf', pfnum: 0, sfnum: 2 }), { errno: 1 });
    } finally {
      await user.close();
    }
  });
});
