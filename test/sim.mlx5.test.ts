import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { nest, nla, u16, u32 } from './helpers/bytes';
import {
  attr, dl, expectError, F, nested, NLMSG_DONE, NLMSG_ERROR, parse, PCI0, PCI1, portIndex, portNewAttrs, Raw, REQ, RMsg, str, summary, TWO_PFS,
  u32of, simAndRaw,
} from './sim.helpers';

/** PORT_SET with a PORT_FUNCTION nest. */
function fnSet(sim: Simulator, h: Buffer[], index: number, fn: Buffer[]): Buffer {
  return dl(sim, 6, REQ, [...h, portIndex(index), nest(145, fn)]);
}

function fnOf(m: RMsg): { hw?: string; state?: number; opstate?: number } {
  const f = nested(attr(m, 145));
  const hw = attr(f, 1);
  return {
    ...(hw ? { hw: [...hw.data].map((b) => b.toString(16).padStart(2, '0')).join(':') } : {}),
    ...(attr(f, 2) ? { state: attr(f, 2)?.data[0] } : {}),
    ...(attr(f, 3) ? { opstate: attr(f, 3)?.data[0] } : {}),
  };
}

function getPort(raw: Raw, sim: Simulator, index: number, h = PCI0): RMsg {
  const [m] = raw.call(dl(sim, 5, F.REQUEST, [...h, portIndex(index)]));
  assert.equal(m.cmd, 7, `port ${index}: ${m.errno ?? ''}`);
  return m;
}

describe('sim: mlx5 sub-functions (6.1)', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ devices: TWO_PFS })));
  afterEach(() => sim.close());

  it('port add: notifications PORT_NEW, RATE_NEW, PORT_NEW(eth) before the unicast NEW reply (flags 0) and the ACK', () => {
    raw.ep.send([dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88), 42)]);
    raw.ep.poll();
    const order = raw.got.map((g) => (g.group ? 'ntf' : 'uni'));
    assert.deepEqual(order, ['ntf', 'ntf', 'ntf', 'uni', 'uni']);
    const ntf = raw.notifications();
    assert.deepEqual(summary(ntf), ['7:0000:06:00.0/32768:t0', '76:0000:06:00.0/32768', '7:0000:06:00.0/32768:t2']);
    for (const n of ntf) assert.deepEqual([n.seq, n.pid, n.flags, n.version], [0, 0, 0, 1]);
    const [reply, ack] = raw.got.splice(0).map((g) => parse(g.dgram)[0]);
    assert.deepEqual([reply.cmd, reply.flags, reply.seq, reply.pid], [3, 0, 42, raw.ep.localPort]);
    assert.deepEqual(reply.attrs.map((a) => a.type), [1, 2, 3, 4, 6, 7, 148, 77, 150, 127, 164, 145]);
    assert.equal(attr(reply, 145)?.raw, 145, 'PORT_FUNCTION without NLA_F_NESTED');
    assert.equal(str(attr(reply, 7)), 'eth0');
    assert.equal(attr(reply, 77)?.data.readUInt16LE(0), 7);
    assert.equal(u32of(attr(reply, 164)), 88);
    assert.deepEqual(fnOf(reply), { hw: '00:00:00:00:00:00', state: 0, opstate: 0 });
    assert.deepEqual(nested(attr(reply, 145)).map((a) => a.type), [1, 2, 3]);
    assert.equal(ack.type, NLMSG_ERROR);
    assert.equal(ack.errno, 0);
  });

  it('port get answers PORT_NEW; the dump answers NEW with NLM_F_MULTI, ignores the filter, DONE alone', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    const got = getPort(raw, sim, 32768);
    assert.equal(got.flags, 0);
    const grams = raw.send(dl(sim, 5, F.REQUEST | F.DUMP | F.ACK, PCI1, 77));
    assert.equal(grams.length, 2);
    const ports = parse(grams[0]);
    assert.deepEqual(ports.map((p) => `${str(attr(p, 2))}/${u32of(attr(p, 3))}`), ['0000:06:00.0/65535', '0000:06:00.0/32768', '0000:06:00.1/131071']);
    for (const p of ports) assert.deepEqual([p.cmd, p.flags, p.seq], [3, F.MULTI, 77]);
    const [done] = parse(grams[1]);
    assert.deepEqual([done.type, done.flags, done.errno, done.seq], [NLMSG_DONE, F.MULTI, 0, 77]);
  });

  it('the uplink port: physical, port number = pfnum, its netdev, no function attributes', () => {
    const up = getPort(raw, sim, 0xffff);
    assert.equal(attr(up, 77)?.data.readUInt16LE(0), 0);
    assert.equal(u32of(attr(up, 78)), 0);
    assert.equal(str(attr(up, 7)), 'enp6s0f0np0');
    assert.equal(attr(up, 145), undefined);
    assert.equal(attr(up, 149), undefined);
  });

  it('port add checks in the driver\'s order, with its messages', () => {
    const add = (attrs: Buffer[]): RMsg[] => raw.call(dl(sim, 7, REQ, attrs));
    expectError(add([...PCI0, nla(127, u16(0))]), 22, 'leftover: Port flavour or PCI PF are not specified');
    expectError(add([...PCI0, nla(77, u16(7))]), 22, 'leftover: Port flavour or PCI PF are not specified');
    expectError(add([...PCI0, nla(77, u16(4)), nla(127, u16(0)), portIndex(5)]), 95, 'mlx5_core: Driver supports only SF port addition');
    expectError(add(portNewAttrs(PCI0, 0, 1, [portIndex(5)])), 95, 'mlx5_core: Driver does not support user defined port index assignment');
    expectError(add([...PCI0, nla(77, u16(7)), nla(127, u16(0)), nla(150, u32(1))]), 95,
      'mlx5_core: User must provide unique sfnum. Driver does not support auto assignment');
    expectError(add(portNewAttrs(PCI0, 1, 1, [nla(150, u32(1))])), 95, 'mlx5_core: External controller is unsupported');
    expectError(add(portNewAttrs(PCI0, 1, 1)), 95, 'mlx5_core: Invalid pfnum supplied');
    expectError(add(portNewAttrs(PCI1, 1, 1)), 95, 'mlx5_core: Port add is only supported in eswitch switchdev mode or SF ports are disabled.');
    expectError(add(portNewAttrs(PCI1, 0, 1)), 95, 'mlx5_core: Invalid pfnum supplied');
    // controller 0 given explicitly is fine
    assert.equal(add(portNewAttrs(PCI0, 0, 1, [nla(150, u32(0))]))[0].cmd, 3);
  });

  it('EEXIST for a used sfnum, ENOSPC without message at capacity, EEXIST first when both apply', () => {
    const small = new Simulator({ devices: [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev', maxSfs: 2 }] });
    try {
      const r = new Raw(small);
      r.call(dl(small, 7, REQ, portNewAttrs(PCI0, 0, 1)));
      expectError(r.call(dl(small, 7, REQ, portNewAttrs(PCI0, 0, 1))), 17, 'mlx5_core: SF already exist. Choose different sfnum');
      r.call(dl(small, 7, REQ, portNewAttrs(PCI0, 0, 2)));
      expectError(r.call(dl(small, 7, REQ, portNewAttrs(PCI0, 0, 3))), 28, undefined);
      expectError(r.call(dl(small, 7, REQ, portNewAttrs(PCI0, 0, 2))), 17, 'mlx5_core: SF already exist. Choose different sfnum');
    } finally {
      void small.close();
    }
  });

  it('port indices: (vhca_id << 16) | (0x8000 + slot); slots are reused; each PF has its vhca_id', () => {
    const idx = (h: Buffer[], pf: number, sfnum: number): number | undefined => u32of(attr(raw.call(dl(sim, 7, REQ, portNewAttrs(h, pf, sfnum)))[0], 3));
    assert.equal(idx(PCI0, 0, 10), 32768);
    assert.equal(idx(PCI0, 0, 11), 32769);
    raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)]));
    assert.equal(idx(PCI0, 0, 12), 32768, 'an inactive SF frees its slot at once');
    raw.call(dl(sim, 30, REQ, [...PCI1, nla(25, u16(1))]));
    assert.equal(idx(PCI1, 1, 10), (1 << 16) | 0x8000);
  });

  it('port del: missing index names the attribute; unknown ENODEV; notifications PORT_NEW, RATE_DEL, PORT_DEL', () => {
    const e = expectError(raw.call(dl(sim, 8, REQ, PCI0)), 22, 'leftover: Port index is not specified');
    assert.equal(e.ext?.missType, 3);
    assert.equal(e.ext?.missNest, undefined);
    expectError(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(40000)])), 19);
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    raw.notifications();
    const res = raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)]));
    assert.deepEqual(res.map((m) => [m.type, m.errno]), [[NLMSG_ERROR, 0]]);
    const ntf = raw.notifications();
    assert.deepEqual(summary(ntf), ['7:0000:06:00.0/32768:t0', '77:0000:06:00.0/32768', '8:0000:06:00.0/32768:t0']);
    assert.deepEqual(fnOf(ntf[2]), { hw: '00:00:00:00:00:00', state: 0, opstate: 0 }, 'PORT_DEL still carries the function');
    assert.equal(attr(ntf[0], 6), undefined, 'the cleared type has no netdev');
  });

  it('legacy mode: port del and state set answer the switchdev message', () => {
    expectError(raw.call(dl(sim, 8, REQ, [...PCI1, portIndex(131071)])), 95,
      'mlx5_core: Port del is only supported in eswitch switchdev mode or SF ports are disabled.');
    expectError(raw.call(fnSet(sim, PCI1, 131071, [nla(2, [1])])), 95,
      'mlx5_core: Port state set is only supported in eswitch switchdev mode or SF ports are disabled.');
    expectError(raw.call(fnSet(sim, PCI0, 65535, [nla(2, [1])])), 19, undefined);
  });

  it('port function hw_addr: core checks first, then the driver; success notifies PORT_NEW only', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    raw.notifications();
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(1, Buffer.alloc(33))])), 22, 'leftover: Port function hardware address too long');
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(1, Buffer.alloc(5))])), 22, 'leftover: Address must be 6 bytes for Ethernet device');
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(1, [1, 0, 0, 0, 0, 1])])), 22, 'leftover: Non-unicast hardware address unsupported');
    expectError(raw.call(fnSet(sim, PCI0, 65535, [nla(1, [0, 0, 0, 0, 0x88, 0x88])])), 22, "mlx5_core: Port doesn't support set hw_addr");
    assert.deepEqual(raw.notifications(), []);
    const ok = raw.call(fnSet(sim, PCI0, 32768, [nla(1, [0, 0, 0, 0, 0x88, 0x88])]));
    assert.deepEqual(ok.map((m) => [m.type, m.errno]), [[NLMSG_ERROR, 0]]);
    const [n] = raw.notifications();
    assert.equal(n.cmd, 7);
    assert.deepEqual(fnOf(n), { hw: '00:00:00:00:88:88', state: 0, opstate: 0 });
  });

  it('PORT_SET type and PORT_SPLIT/UNSPLIT: mlx5 has no such ops (EOPNOTSUPP; split needs its count first)', () => {
    expectError(raw.call(dl(sim, 6, REQ, [...PCI0, portIndex(65535), nla(4, u16(2))])), 95);
    const e = expectError(raw.call(dl(sim, 9, REQ, [...PCI0, portIndex(65535)])), 22);
    assert.equal(e.ext?.missType, 9);
    expectError(raw.call(dl(sim, 9, REQ, [...PCI0, portIndex(65535), nla(9, u32(2))])), 95);
    expectError(raw.call(dl(sim, 10, REQ, [...PCI0, portIndex(65535)])), 95);
  });

  it('eswitch: leaving switchdev deletes every SF with its notifications; the same mode again does nothing', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 2)));
    raw.notifications();
    assert.equal(raw.call(dl(sim, 30, REQ, [...PCI0, nla(25, u16(1))]))[0].errno, 0);
    assert.deepEqual(raw.notifications(), []);
    assert.equal(raw.call(dl(sim, 30, REQ, [...PCI0, nla(25, u16(0))]))[0].errno, 0);
    assert.deepEqual(summary(raw.notifications()), [
      '7:0000:06:00.0/32768:t0', '77:0000:06:00.0/32768', '8:0000:06:00.0/32768:t0',
      '7:0000:06:00.0/32769:t0', '77:0000:06:00.0/32769', '8:0000:06:00.0/32769:t0',
    ]);
    const [es] = raw.call(dl(sim, 29, REQ, PCI0));
    assert.deepEqual([es.cmd, attr(es, 25)?.data.readUInt16LE(0), attr(es, 26)?.data[0], attr(es, 62)?.data[0]], [29, 0, 0, 1]);
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1))), 95,
      'mlx5_core: Port add is only supported in eswitch switchdev mode or SF ports are disabled.');
  });

  it('eswitch: rate nodes block mode changes; inline mode only "none"; mode out of range fails policy', () => {
    raw.call(dl(sim, 76, REQ, [...PCI0, nla(168, Buffer.from('grp\0'))]));
    expectError(raw.call(dl(sim, 30, REQ, [...PCI0, nla(25, u16(1))])), 16, 'leftover: Rate node(s) exists.');
    raw.call(dl(sim, 77, REQ, [...PCI0, nla(168, Buffer.from('grp\0'))]));
    expectError(raw.call(dl(sim, 30, REQ, [...PCI0, nla(26, [2])])), 95, "mlx5_core: Inline mode can't be set");
    assert.equal(raw.call(dl(sim, 30, REQ, [...PCI0, nla(26, [0]), nla(62, [0])]))[0].errno, 0);
    expectError(raw.call(dl(sim, 30, REQ, [...PCI0, nla(25, u16(2))])), 34, 'integer out of range');
  });

  it('ECPF: controller 1 (the host) is accepted, others are EINVAL; the host PF has its port in switchdev', () => {
    const ecpf = new Simulator({ devices: [{ handle: 'pci/0000:03:00.0', pfnum: 0, eswitch: 'switchdev', ecpf: true, maxSfs: 4 }] });
    try {
      const r = new Raw(ecpf);
      const h = [nla(1, Buffer.from('pci\0')), nla(2, Buffer.from('0000:03:00.0\0'))];
      const [ok] = r.call(dl(ecpf, 7, REQ, portNewAttrs(h, 0, 5, [nla(150, u32(1))])));
      assert.equal(ok.cmd, 3);
      assert.equal(u32of(attr(ok, 150)), 1);
      assert.equal(u32of(attr(ok, 3)), 0x8000 + 4, 'the external controller\'s slots come after the local ones');
      assert.equal(attr(ok, 149), undefined, 'no PORT_EXTERNAL for SF ports');
      expectError(r.call(dl(ecpf, 7, REQ, portNewAttrs(h, 0, 6, [nla(150, u32(2))]))), 22, 'mlx5_core: Invalid controller number');
      assert.equal(r.call(dl(ecpf, 7, REQ, portNewAttrs(h, 0, 5)))[0].cmd, 3, 'sfnum 5 is per controller');
      const [pf] = r.call(dl(ecpf, 5, F.REQUEST, [...h, portIndex(0)]));
      assert.deepEqual([attr(pf, 77)?.data.readUInt16LE(0), u32of(attr(pf, 150)), attr(pf, 149)?.data[0]], [3, 1, 1]);
      assert.ok(attr(nested(attr(pf, 145)), 1), 'the host PF shows its hw_addr');
    } finally {
      void ecpf.close();
    }
  });
});

describe('sim: the opstate machine with timings (6.1)', () => {
  let sim: Simulator;
  let raw: Raw;
  const timing = { attachMs: 40, detachMs: 20, freeMs: 40 };
  beforeEach(() => {
    sim = new Simulator({ devices: TWO_PFS, timing });
    raw = new Raw(sim);
    raw.join(sim.groupId);
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    raw.notifications();
  });
  afterEach(() => sim.close());

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('activate: active/detached, then the aux instance appears and the function is attached; no opstate notification', async () => {
    const t0 = Date.now();
    assert.equal(raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]))[0].errno, 0);
    assert.deepEqual(fnOf(getPort(raw, sim, 32768)), { hw: '00:00:00:00:00:00', state: 1, opstate: 0 });
    await sleep(10);
    assert.deepEqual(fnOf(getPort(raw, sim, 32768)), { hw: '00:00:00:00:00:00', state: 1, opstate: 0 });
    await sim.settle();
    assert.ok(Date.now() - t0 >= 35, 'attach took attachMs');
    assert.deepEqual(fnOf(getPort(raw, sim, 32768)), { hw: '00:00:00:00:00:00', state: 1, opstate: 1 });
    const ntf = raw.notifications();
    // mlx5_sf_dev_probe: mlx5_init_one, then devlink_register: NEW, PORT_NEW (eth), PARAM_NEW each
    assert.deepEqual(summary(ntf), [
      '7:0000:06:00.0/32768:t2',
      '3:mlx5_core.sf.2', '7:mlx5_core.sf.2/' + (2 << 16) + ':t2', ...Array<string>(9).fill('40:mlx5_core.sf.2'),
    ]);
    assert.equal(str(attr(ntf[1], 1)), 'auxiliary');
    assert.equal(attr(ntf[2], 77)?.data.readUInt16LE(0), 5, 'virtual flavour');
    assert.equal(str(attr(ntf[2], 7)), 'enp6s0f0s88');
  });

  it('deactivate: inactive/attached until freed; activating meanwhile is EBUSY; then the aux instance goes', async () => {
    raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]));
    await sim.settle();
    raw.notifications();
    assert.equal(raw.call(fnSet(sim, PCI0, 32768, [nla(2, [0])]))[0].errno, 0);
    assert.deepEqual(fnOf(getPort(raw, sim, 32768)), { hw: '00:00:00:00:00:00', state: 0, opstate: 1 });
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])])), 16, 'mlx5_core: SF is inactivated but it is still attached');
    assert.equal(raw.call(fnSet(sim, PCI0, 32768, [nla(2, [0])]))[0].errno, 0, 'setting the current state again is fine');
    await sim.settle();
    assert.deepEqual(fnOf(getPort(raw, sim, 32768)), { hw: '00:00:00:00:00:00', state: 0, opstate: 0 });
    const aux = (2 << 16).toString();
    // mlx5_sf_dev_remove: devlink_unregister first: PARAM_DEL each, PORT_DEL (eth), DEL
    assert.deepEqual(summary(raw.notifications()), [
      '7:0000:06:00.0/32768:t2', '7:0000:06:00.0/32768:t2',
      ...Array<string>(9).fill('41:mlx5_core.sf.2'), `8:mlx5_core.sf.2/${aux}:t2`, '4:mlx5_core.sf.2',
    ]);
    assert.equal(raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]))[0].errno, 0, 'active again once freed');
  });

  it('deleting an active SF is allowed; its sfnum answers EEXIST until the function is freed', async () => {
    raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]));
    await sim.settle();
    assert.equal(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)]))[0].errno, 0);
    expectError(raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)])), 19);
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88))), 17, 'mlx5_core: SF already exist. Choose different sfnum');
    const [other] = raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 89)));
    assert.equal(u32of(attr(other, 3)), 32769, 'the freeing slot stays taken');
    await sim.settle();
    const [again] = raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    assert.equal(u32of(attr(again, 3)), 32768);
    sim.checkInvariants();
  });

  it('reload is refused while an SF has its auxiliary device', async () => {
    raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]));
    await sim.settle();
    expectError(raw.call(dl(sim, 37, REQ, PCI0)), 95, 'mlx5_core: reload is unsupported when SFs are allocated');
  });

  it('the SF\'s own instance: no SF table (mlx5_devlink_sf_port_new\'s message), no eswitch manager (mlx5_eswitch_check: EOPNOTSUPP)', async () => {
    raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]));
    await sim.settle();
    const aux = [nla(1, Buffer.from('auxiliary\0')), nla(2, Buffer.from('mlx5_core.sf.2\0'))];
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(aux, 0, 1))), 95,
      'mlx5_core: Port add is only supported in eswitch switchdev mode or SF ports are disabled.');
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(aux, 1, 1))), 95, 'mlx5_core: Invalid pfnum supplied');
    expectError(raw.call(dl(sim, 8, REQ, [...aux, portIndex(2 << 16)])), 95,
      'mlx5_core: Port del is only supported in eswitch switchdev mode or SF ports are disabled.');
    expectError(raw.call(dl(sim, 29, REQ, aux)), 95);
    expectError(raw.call(dl(sim, 30, REQ, [...aux, nla(25, u16(0))])), 95);
    const [info] = raw.call(dl(sim, 51, F.REQUEST, aux));
    assert.equal(str(attr(info, 98)), 'mlx5_core');
  });
});
