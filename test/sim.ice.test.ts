// The ice driver of the simulator against Linux 6.12's ice/devlink/devlink_port.c and
// ice_sf_eth.c: each test names the function it follows.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Simulator } from '../src/sim';
import { nest, nla, u16, u32 } from './helpers/bytes';
import { attr, dl, expectError, F, nested, PCI0, PCI1, portIndex, Raw, REQ, RMsg, str, summary, u32of, simAndRaw } from './sim.helpers';

const ICE = [
  { handle: 'pci/0000:06:00.0', driver: 'ice' as const, pfnum: 0, eswitch: 'switchdev' as const },
  { handle: 'pci/0000:06:00.1', driver: 'ice' as const, pfnum: 1 },
];

/** PORT_NEW: flavour pcisf, pfnum, and sfnum when given. */
function add(sim: Simulator, h: Buffer[], pfnum: number, sfnum?: number, extra: Buffer[] = []): Buffer {
  return dl(sim, 7, REQ, [...h, nla(77, u16(7)), nla(127, u16(pfnum)), ...(sfnum === undefined ? [] : [nla(164, u32(sfnum))]), ...extra]);
}

function fnSet(sim: Simulator, index: number, fn: Buffer[]): Buffer {
  return dl(sim, 6, REQ, [...PCI0, portIndex(index), nest(145, fn)]);
}

function fnOf(m: RMsg): { hw: Buffer; state?: number; opstate?: number } {
  const f = nested(attr(m, 145));
  return { hw: attr(f, 1)?.data ?? Buffer.alloc(0), state: attr(f, 2)?.data[0], opstate: attr(f, 3)?.data[0] };
}

describe('sim: ice sub-functions (Linux 6.12, ice/devlink/devlink_port.c)', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ kernel: 'current', devices: ICE })));
  afterEach(() => sim.close());

  it('ice needs kernel \'current\' (no SFs before 6.12); its options are checked; an unknown driver is refused', () => {
    assert.throws(() => new Simulator({ devices: ICE }), /kernel 'current'/);
    const bad = (o: Record<string, unknown>): unknown => new Simulator({ kernel: 'current', devices: [{ ...ICE[0], ...o } as never] });
    assert.throws(() => bad({ maxVsi: 4 }), /unknown option "maxVsi"/);
    assert.throws(() => bad({ maxVsis: 1 }), /maxVsis/);
    assert.throws(() => bad({ autoSfnum: 'yes' }), /autoSfnum must be a boolean/);
    assert.throws(() => bad({ eswitch: 'offloads' }), /eswitch/);
    assert.throws(() => bad({ pfnum: -1 }), /pfnum/);
    assert.throws(() => bad({ driver: 'mlx5' }), /unknown driver "mlx5"/);
  });

  it('ice_devlink_port_new_check_attr: flavour, controller, port index, pfnum in this order; then switchdev', () => {
    const e = (m: Buffer[]): RMsg[] => raw.call(dl(sim, 7, REQ, m));
    expectError(e([...PCI0, nla(77, u16(4)), nla(127, u16(1)), nla(150, u32(0))]), 95, 'ice: Flavour other than pcisf is not supported');
    // controller_valid: any controller given, even 0
    expectError(raw.call(add(sim, PCI0, 1, 1, [nla(150, u32(0)), portIndex(9)])), 95, 'ice: Setting controller is not supported');
    expectError(raw.call(add(sim, PCI0, 1, 1, [portIndex(9)])), 95, 'ice: Driver does not support user defined port index assignment');
    expectError(raw.call(add(sim, PCI0, 1, 1)), 22, 'ice: Incorrect pfnum supplied');
    expectError(raw.call(add(sim, PCI1, 1, 1)), 95, 'ice: SF ports are only supported in eswitch switchdev mode');
    const msix = new Simulator({ kernel: 'current', devices: [{ ...ICE[0], dynamicMsix: false }] });
    try {
      expectError(new Raw(msix).call(add(msix, PCI0, 0, 1)), 95, 'ice: Dynamic MSIX-X interrupt allocation is not supported');
    } finally {
      void msix.close();
    }
  });

  it('ice_reserve_sf_num: no sfnum is EINVAL on 6.12 (xa_alloc on an xarray made by plain xa_init: __xa_alloc\'s WARN)', () => {
    expectError(raw.call(add(sim, PCI0, 0)), 22, undefined);
    assert.deepEqual(raw.notifications(), []);
    sim.checkInvariants();
  });

  it('ice_reserve_sf_num (autoSfnum): xa_alloc picks the lowest free sfnum; xa_insert of a taken one is EBUSY', () => {
    void sim.close();
    sim = new Simulator({ kernel: 'current', devices: [{ ...ICE[0], autoSfnum: true }] });
    raw = new Raw(sim);
    const sfnumOf = (m: RMsg[]): number | undefined => u32of(attr(m[0], 164));
    assert.equal(sfnumOf(raw.call(add(sim, PCI0, 0, 1))), 1);
    assert.equal(sfnumOf(raw.call(add(sim, PCI0, 0))), 0);
    assert.equal(sfnumOf(raw.call(add(sim, PCI0, 0))), 2);
    expectError(raw.call(add(sim, PCI0, 0, 2)), 16, 'ice: Subfunction with given sfnum already exists');
    sim.checkInvariants();
  });

  it('ice_vsi_alloc: the port index is the VSI slot (after the LAN and control VSIs), the freed one reused next; ENOMEM when full', () => {
    const idx = (m: RMsg[]): number | undefined => u32of(attr(m[0], 3));
    assert.equal(idx(raw.call(add(sim, PCI0, 0, 10))), 2);
    assert.equal(idx(raw.call(add(sim, PCI0, 0, 11))), 3);
    assert.equal(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(2)]))[0].errno, 0);
    assert.equal(idx(raw.call(add(sim, PCI0, 0, 12))), 2, 'ice_vsi_free sets next_vsi to the freed slot');
    const full = new Simulator({ kernel: 'current', devices: [{ ...ICE[0], maxVsis: 3 }] });
    try {
      const r = new Raw(full);
      r.call(add(full, PCI0, 0, 1));
      expectError(r.call(add(full, PCI0, 0, 2)), 12, 'ice: Unable to allocate VSI');
      assert.equal(u32of(attr(r.call(add(full, PCI0, 0, 2))[0], 3)), undefined, 'still full');
      full.checkInvariants();
    } finally {
      void full.close();
    }
  });

  it('ice_alloc_dynamic_port: a random unicast, locally administered MAC; the representor makes the port eth; PORT_NEW reply', () => {
    const [a] = raw.call(add(sim, PCI0, 0, 1));
    const [b] = raw.call(add(sim, PCI0, 0, 2));
    assert.equal(a.cmd, 7);
    const ma = fnOf(a).hw;
    assert.equal(ma.length, 6);
    assert.equal(ma[0] & 1, 0, 'unicast');
    assert.equal(ma[0] & 2, 2, 'locally administered');
    assert.notDeepEqual(ma, fnOf(b).hw);
    assert.deepEqual([fnOf(a).state, fnOf(a).opstate], [0, 0]);
    assert.deepEqual(summary(raw.notifications()), [
      '7:0000:06:00.0/2:t0', '7:0000:06:00.0/2:t2', '7:0000:06:00.0/3:t0', '7:0000:06:00.0/3:t2',
    ]);
  });

  it('ice_devlink_port_fn_hw_addr_set: EBUSY while attached, EADDRNOTAVAIL for a zero address', async () => {
    raw.call(add(sim, PCI0, 0, 1));
    expectError(raw.call(fnSet(sim, 2, [nla(1, Buffer.alloc(6))])), 99, 'ice: Invalid ethernet address');
    assert.equal(raw.call(fnSet(sim, 2, [nla(1, [2, 0, 0, 0, 0x88, 0x88])]))[0].errno, 0);
    assert.equal(raw.call(fnSet(sim, 2, [nla(2, [1])]))[0].errno, 0);
    expectError(raw.call(fnSet(sim, 2, [nla(1, [2, 0, 0, 0, 0x88, 0x89])])), 16, 'ice: Ethernet address can be change only in detached state');
    assert.equal(raw.call(fnSet(sim, 2, [nla(2, [0])]))[0].errno, 0);
    assert.equal(raw.call(fnSet(sim, 2, [nla(1, [2, 0, 0, 0, 0x88, 0x89])]))[0].errno, 0, 'detached again');
    await sim.settle();
  });

  it('ice_sf_eth_activate / ice_sf_dev_probe: attached at once, auxiliary/ice.sf.1 with its virtual port and netdev; remove undoes it', async () => {
    raw.call(add(sim, PCI0, 0, 88));
    raw.notifications();
    assert.equal(raw.call(fnSet(sim, 2, [nla(2, [1])]))[0].errno, 0);
    const [m] = raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(2)]));
    assert.deepEqual([fnOf(m).state, fnOf(m).opstate], [1, 1], 'the probe is synchronous');
    const rel = nested(attr(nested(attr(m, 145)), 5));
    assert.equal(str(attr(rel, 2)), 'ice.sf.1', 'devl_port_fn_devlink_set: the SF port names its instance');
    await sim.settle();
    // devl_register after the port and netdev: NEW, PORT_NEW (eth); the port set's PORT_NEW; the rel work's PORT_NEW
    assert.deepEqual(summary(raw.notifications()), ['3:ice.sf.1', '7:ice.sf.1/2:t2', '7:0000:06:00.0/2:t2', '7:0000:06:00.0/2:t2']);
    const root = sim.sysfsRoot;
    const auxDir = path.join(root, 'bus', 'auxiliary', 'devices', 'ice.sf.1');
    assert.ok(existsSync(auxDir));
    assert.equal(existsSync(path.join(auxDir, 'sfnum')), false, 'ice has no sfnum attribute');
    const [vp] = raw.call(dl(sim, 5, F.REQUEST, [nla(1, Buffer.from('auxiliary\0')), nla(2, Buffer.from('ice.sf.1\0')), portIndex(2)]));
    const netdev = str(attr(vp, 7)) as string;
    assert.ok(readdirSync(path.join(root, 'devices', 'pci0000:00', '0000:06:00.0', 'net')).includes(netdev), 'the netdev hangs below the PF');
    // ice_sf_dev_remove: netdev (PORT_NEW notset), port (PORT_DEL), devl_unregister (DEL)
    assert.equal(raw.call(fnSet(sim, 2, [nla(2, [0])]))[0].errno, 0);
    await sim.settle();
    assert.deepEqual(summary(raw.notifications()), ['7:ice.sf.1/2:t0', '8:ice.sf.1/2:t0', '4:ice.sf.1', '7:0000:06:00.0/2:t2', '7:0000:06:00.0/2:t2']);
    assert.equal(existsSync(auxDir), false);
    sim.checkInvariants();
  });

  it('ice_sf_devlink_ops is empty: the SF instance\'s info is its handle and the bound driver ice.sf; eswitch get the handle alone', () => {
    raw.call(add(sim, PCI0, 0, 88));
    raw.call(fnSet(sim, 2, [nla(2, [1])]));
    const h = [nla(1, Buffer.from('auxiliary\0')), nla(2, Buffer.from('ice.sf.1\0'))];
    const [info] = raw.call(dl(sim, 51, F.REQUEST, h));
    assert.deepEqual(info.attrs.map((a) => a.type), [1, 2, 98]);
    assert.equal(str(attr(info, 98)), 'ice.sf');
    const [es] = raw.call(dl(sim, 29, F.REQUEST, h));
    assert.deepEqual(es.attrs.map((a) => a.type), [1, 2]);
    expectError(raw.call(add(sim, h, 0, 1)), 95);
  });

  it('ice_dealloc_dynamic_port: deleting an active SF deactivates it first; its sfnum is free at once', async () => {
    raw.call(add(sim, PCI0, 0, 88));
    raw.call(fnSet(sim, 2, [nla(2, [1])]));
    await sim.settle();
    raw.notifications();
    assert.equal(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(2)]))[0].errno, 0);
    assert.deepEqual(summary(raw.notifications()), ['7:ice.sf.1/2:t0', '8:ice.sf.1/2:t0', '4:ice.sf.1', '7:0000:06:00.0/2:t0', '8:0000:06:00.0/2:t0']);
    assert.equal(raw.call(add(sim, PCI0, 0, 88))[0].cmd, 7);
    await sim.settle();
    sim.checkInvariants();
  });

  it('ice_eswitch_mode_set: legacy keeps the SFs and says so in the ext-ack', () => {
    raw.call(add(sim, PCI0, 0, 1));
    const [ack] = raw.call(dl(sim, 30, REQ, [...PCI0, nla(25, u16(0))]));
    assert.deepEqual([ack.errno, ack.ext?.msg], [0, 'ice: Changed eswitch mode to legacy']);
    const [m] = raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(2)]));
    assert.equal(m.cmd, 7);
  });
});
