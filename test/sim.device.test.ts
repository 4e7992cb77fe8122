import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Simulator } from '../src/sim';
import { nest, nla, strz, u16, u32, u64 } from './helpers/bytes';
import { attr, attrsOf, dl, expectError, F, nested, NLMSG_DONE, parse, PCI0, portIndex, portNewAttrs, Raw, RMsg, str, u32of, simAndRaw } from './sim.helpers';

const REQ = F.REQUEST | F.ACK;
const DEVS = [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' as const }];

function versions(m: RMsg, type: number): [string | undefined, string | undefined][] {
  return m.attrs.filter((a) => a.type === type).map((a) => {
    const n = attrsOf(a.data, 0, a.data.length);
    return [str(attr(n, 103)), str(attr(n, 104))];
  });
}

function paramOf(m: RMsg): { name?: string; generic: boolean; type?: number; values: [number, Buffer | undefined][] } {
  const p = nested(attr(m, 80));
  const vals = nested(attr(p, 84)).map((v) => {
    const n = attrsOf(v.data, 0, v.data.length);
    return [attr(n, 87)?.data[0] as number, attr(n, 86)?.data] as [number, Buffer | undefined];
  });
  return { name: str(attr(p, 81)), generic: !!attr(p, 82), type: attr(p, 83)?.data[0], values: vals };
}

describe('sim: device commands (GET, info, params, reload, rates)', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ devices: DEVS })));
  afterEach(() => sim.close());

  it('GET answers NEW with handle, RELOAD_FAILED and DEV_STATS; the dump lists every instance', () => {
    const [m] = raw.call(dl(sim, 1, F.REQUEST, PCI0));
    assert.deepEqual([m.cmd, m.attrs.map((a) => a.type)], [3, [1, 2, 136, 156]]);
    assert.equal(attr(m, 156)?.raw, 156 | 0x8000);
    const stats = nested(attr(m, 156));
    assert.deepEqual(stats.map((a) => a.type), [157, 161]);
    const local = nested(stats[0]).map((info) => attr(nested(info), 153)?.data[0]);
    assert.deepEqual(local, [1, 2]);
    const grams = raw.send(dl(sim, 1, F.REQUEST | F.DUMP, []));
    assert.equal(parse(grams[0]).length, 1);
    assert.equal(parse(grams[1])[0].type, NLMSG_DONE);
  });

  it('INFO_GET: driver name, fw.psid fixed, fw.version running and stored (6.1 order, no serial)', () => {
    const [m] = raw.call(dl(sim, 51, F.REQUEST, PCI0));
    assert.equal(m.cmd, 51);
    assert.deepEqual(m.attrs.slice(0, 3).map((a) => a.type), [1, 2, 98]);
    assert.equal(str(attr(m, 98)), 'mlx5_core');
    assert.equal(attr(m, 99), undefined);
    assert.deepEqual(versions(m, 100), [['fw.psid', 'MT_0000000359']]);
    assert.deepEqual(versions(m, 101).map((v) => v[0]), ['fw.version', 'fw']);
    assert.deepEqual(versions(m, 102).map((v) => v[0]), ['fw.version', 'fw']);
    const cur = new Simulator({ kernel: 'current', devices: DEVS });
    try {
      const [c] = new Raw(cur).call(dl(cur, 51, F.REQUEST, PCI0));
      assert.ok(str(attr(c, 99)));
      assert.equal(c.attrs[c.attrs.length - 1].type, 98, 'the newer core adds the driver name last');
    } finally {
      void cur.close();
    }
  });

  it('PARAM_GET: types as NLA_* numbers, values per cmode; missing name EINVAL naming the attribute', () => {
    const get = (name: string): RMsg => raw.call(dl(sim, 38, F.REQUEST, [...PCI0, nla(81, strz(name))]))[0];
    const fs0 = paramOf(get('flow_steering_mode'));
    assert.deepEqual([fs0.generic, fs0.type, fs0.values[0][0], fs0.values[0][1]?.toString()], [false, 5, 0, 'dmfs\0']);
    const roce = paramOf(get('enable_roce'));
    assert.deepEqual([roce.generic, roce.type, roce.values[0][0], roce.values[0][1]?.length], [true, 6, 1, 0]);
    const macs = paramOf(get('max_macs'));
    assert.deepEqual([macs.type, macs.values[0][1]?.readUInt32LE(0)], [3, 128]);
    const e = expectError(raw.call(dl(sim, 38, REQ, PCI0)), 22);
    assert.equal(e.ext?.missType, 81);
    expectError(raw.call(dl(sim, 38, REQ, [...PCI0, nla(81, strz('nosuch'))])), 22);
    const dump = raw.send(dl(sim, 38, F.REQUEST | F.DUMP, [])).flatMap(parse).filter((m) => m.type !== NLMSG_DONE);
    assert.deepEqual(dump.map((m) => paramOf(m).name), [
      'flow_steering_mode', 'enable_roce', 'fdb_large_groups', 'esw_port_metadata', 'enable_remote_dev_reset',
      'io_eq_size', 'event_eq_size', 'enable_eth', 'enable_rdma', 'enable_vnet', 'max_macs',
    ]);
  });

  it('PARAM_SET: validation messages, cmode support, PARAM_NEW notification', () => {
    const set = (name: string, type: number, data: Buffer | undefined, cmode: number): RMsg[] =>
      raw.call(dl(sim, 39, REQ, [...PCI0, nla(81, strz(name)), nla(83, [type]), ...(data ? [nla(86, data)] : []), nla(87, [cmode])]));
    expectError(set('flow_steering_mode', 5, Buffer.from('xyz\0'), 0), 22, 'mlx5_core: Bad parameter: supported values are ["dmfs", "smfs"]');
    expectError(set('flow_steering_mode', 5, Buffer.from('smfs\0'), 0), 95,
      'mlx5_core: Software managed steering is not supported when eswitch offloads enabled.');
    expectError(set('max_macs', 3, Buffer.from(u32(3)), 1), 22, 'mlx5_core: Only power of 2 values are supported for max_macs');
    expectError(set('max_macs', 3, Buffer.from(u32(64)), 0), 95);
    expectError(set('max_macs', 6, undefined, 1), 22);
    raw.notifications();
    assert.equal(set('max_macs', 3, Buffer.from(u32(64)), 1)[0].errno, 0);
    const [n] = raw.notifications();
    assert.equal(n.cmd, 40);
    assert.equal(paramOf(n).values[0][1]?.readUInt32LE(0), 64);
    assert.equal(set('enable_roce', 6, undefined, 1)[0].errno, 0);
    const [r] = raw.call(dl(sim, 38, F.REQUEST, [...PCI0, nla(81, strz('enable_roce'))]));
    assert.equal(paramOf(r).values[0][1], undefined, 'false: the flag is absent');
  });

  it('RELOAD: default driver_reinit without reply; with an action, RELOAD_ACTIONS_PERFORMED; limit rules', () => {
    raw.notifications();
    assert.deepEqual(raw.call(dl(sim, 37, REQ, PCI0)).map((m) => m.type), [2]);
    assert.equal(raw.notifications()[0].cmd, 3, 'stats changed: DEVLINK_CMD_NEW');
    const [perf] = raw.call(dl(sim, 37, REQ, [...PCI0, nla(153, [2])]));
    assert.equal(perf.cmd, 37);
    const bf = attr(perf, 154) as { data: Buffer };
    assert.deepEqual([bf.data.readUInt32LE(0), bf.data.readUInt32LE(4)], [6, 6]);
    const lim = (v: number): Buffer => nla(155, [...u32(v), ...u32(v)]);
    expectError(raw.call(dl(sim, 37, REQ, [...PCI0, nla(153, [1]), lim(2)])), 22, 'leftover: Requested limit is invalid for this action');
    const [nr] = raw.call(dl(sim, 37, REQ, [...PCI0, nla(153, [2]), lim(2)]));
    assert.equal((attr(nr, 154) as { data: Buffer }).data.readUInt32LE(0), 4);
    expectError(raw.call(dl(sim, 37, REQ, [...PCI0, nla(153, [3])])), 34, 'integer out of range');
    const [m] = raw.call(dl(sim, 1, F.REQUEST, PCI0));
    const reinit = nested(nested(attr(m, 156))[0])[0];
    const entries = nested(attr(nested(reinit), 163)).map((e) => u32of(attr(nested(e), 160)));
    assert.deepEqual(entries, [2], 'driver_reinit ran twice (itself and with fw_activate)');
  });

  it('rates: SF leaves appear with the port; nodes, parents, mlx5 unit checks, children block deletion', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    const node = [nla(168, strz('grp'))];
    assert.equal(raw.call(dl(sim, 76, REQ, [...PCI0, ...node, nla(167, u64(125000n * 1000n))]))[0].errno, 0);
    expectError(raw.call(dl(sim, 76, REQ, [...PCI0, ...node])), 17);
    expectError(raw.call(dl(sim, 76, REQ, [...PCI0, nla(168, strz('123'))])), 22);
    expectError(raw.call(dl(sim, 75, REQ, [...PCI0, portIndex(32768), nla(166, u64(1000n))])), 22, 'mlx5_core: TX rate value not in link speed units of 1Mbps');
    expectError(raw.call(dl(sim, 75, REQ, [...PCI0, portIndex(32768), nla(167, u64(125000n * 200000n))])), 22,
      'mlx5_core: TX rate value exceed link maximum speed');
    assert.equal(raw.call(dl(sim, 75, REQ, [...PCI0, portIndex(32768), nla(169, strz('grp'))]))[0].errno, 0);
    expectError(raw.call(dl(sim, 75, REQ, [...PCI0, portIndex(32768), nla(169, strz('grp'))])), 16, 'leftover: Rate object already has parent.');
    expectError(raw.call(dl(sim, 77, REQ, [...PCI0, ...node])), 16, 'leftover: Node has children. Cannot delete node.');
    const rates = raw.send(dl(sim, 74, F.REQUEST | F.DUMP, [])).flatMap(parse).filter((m) => m.type !== NLMSG_DONE);
    assert.deepEqual(rates.map((r) => [attr(r, 165)?.data.readUInt16LE(0), str(attr(r, 168)) ?? u32of(attr(r, 3)), str(attr(r, 169))]), [
      [1, 'grp', undefined], [0, 32768, 'grp'],
    ], 'a new node goes to the head of the list (list_add)');
    expectError(raw.call(dl(sim, 74, REQ, [...PCI0, portIndex(0xffff)])), 19);
    raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)]));
    assert.equal(raw.call(dl(sim, 77, REQ, [...PCI0, ...node]))[0].errno, 0, 'the leaf went with its port');
    expectError(raw.call(dl(sim, 77, REQ, [...PCI0, ...node])), 19);
  });

  it('commands mlx5 does not implement answer EOPNOTSUPP after the handle lookup; their dumps are empty', () => {
    expectError(raw.call(dl(sim, 11, REQ, PCI0)), 95);
    expectError(raw.call(dl(sim, 11, REQ, [])), 22);
    const e = expectError(raw.call(dl(sim, 47, REQ, [...PCI0, portIndex(0xffff)])), 22, 'leftover: Port params are not supported');
    assert.equal(e.ext?.offs, undefined);
    const [done] = raw.send(dl(sim, 47, F.REQUEST | F.DUMP, [])).flatMap(parse);
    assert.deepEqual([done.type, done.errno, done.ext?.msg], [NLMSG_DONE, 0, 'leftover: Port params are not supported']);
    const [sb] = raw.send(dl(sim, 11, F.REQUEST | F.DUMP, [])).flatMap(parse);
    assert.equal(sb.type, NLMSG_DONE);
    void nest;
    void u16;
  });
});

describe('sim: sysfs tree', () => {
  it('mirrors an attached SF: aux device with sfnum, netdev and RDMA device below it, class links', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-sysfs-'));
    const sim = new Simulator({ devices: DEVS, sysfsRoot: root });
    try {
      const raw = new Raw(sim);
      raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
      raw.call(dl(sim, 6, REQ, [...PCI0, portIndex(32768), nest(145, [nla(1, [0, 0, 0, 0, 0x88, 0x88]), nla(2, [1])])]));
      const aux = path.join(root, 'bus/auxiliary/devices/mlx5_core.sf.1');
      assert.equal(fs.existsSync(aux), false, 'not before the SF attaches');
      await sim.settle();
      assert.equal(fs.readFileSync(path.join(aux, 'sfnum'), 'utf8'), '88\n');
      assert.ok(fs.realpathSync(aux).split(path.sep).includes('0000:06:00.0'), 'the link resolves into the PF\'s directory');
      const net = path.join(aux, 'mlx5_core.eth.1/net/enp6s0f0s88');
      assert.equal(fs.readFileSync(path.join(net, 'address'), 'utf8'), '00:00:00:00:88:88\n');
      assert.ok(Number(fs.readFileSync(path.join(net, 'ifindex'), 'utf8')) > 0);
      assert.ok(fs.statSync(path.join(aux, 'mlx5_core.rdma.1/infiniband/mlx5_1')).isDirectory());
      assert.equal(fs.realpathSync(path.join(root, 'class/net/enp6s0f0s88')), fs.realpathSync(net));
      assert.ok(fs.existsSync(path.join(root, 'class/infiniband/mlx5_1')));
      raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)]));
      await sim.settle();
      assert.equal(fs.existsSync(aux), false);
      assert.equal(fs.existsSync(path.join(root, 'class/net/enp6s0f0s88')), false);
    } finally {
      await sim.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('sim: its temporary sysfs tree and the process', () => {
  it('a simulator never closed: its temporary tree is removed when the process exits; a closed one at close()', function () {
    this.timeout(20_000);
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const script = `
      const { Simulator } = require(${JSON.stringify(require.resolve('../src/sim'))});
      const open = new Simulator({ devices: [] });
      const closed = new Simulator({ devices: [] });
      closed.close().then(() => console.log(JSON.stringify([open.sysfsRoot, require('fs').existsSync(open.sysfsRoot), closed.sysfsRoot])));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [openRoot, existedBeforeExit, closedRoot] = JSON.parse(r.stdout) as [string, boolean, string];
    assert.ok(existedBeforeExit, 'the tree is there while the process runs');
    assert.equal(fs.existsSync(openRoot), false, `${openRoot} is left after the process exited`);
    assert.equal(fs.existsSync(closedRoot), false);
  });
});
