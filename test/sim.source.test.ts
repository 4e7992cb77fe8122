// The simulator against the kernel source (Debian's 6.1.192 and 6.12.117, and the mlx5
// change that reorders the port add checks): each test names the function it follows.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Simulator } from '../src/sim';
import { nest, nla, strz, u16, u32 } from './helpers/bytes';
import {
  attr, attrOffset, dl, expectError, F, nested, NLMSG_DONE, parse, PCI0, PCI1, portIndex, portNewAttrs, Raw, REQ, RMsg, str, TWO_PFS as DEVS, u32of,
  simAndRaw,
} from './sim.helpers';

const AUX = [nla(1, strz('auxiliary')), nla(2, strz('mlx5_core.sf.2'))];
/** The params an mlx5 SF instance announces, in registration order. */
const SF_PARAMS = [
  'flow_steering_mode', 'enable_roce', 'fdb_large_groups', 'enable_remote_dev_reset', 'io_eq_size', 'event_eq_size',
  'enable_eth', 'enable_rdma', 'enable_vnet',
];

function fnSet(sim: Simulator, h: Buffer[], index: number, fn: Buffer[]): Buffer {
  return dl(sim, 6, REQ, [...h, portIndex(index), nest(145, fn)]);
}

/** Open a simulator with SF 88 active and attached; returns the notifications of the attach. */
async function attached(sim: Simulator, raw: Raw): Promise<RMsg[]> {
  raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
  raw.notifications();
  raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]));
  await sim.settle();
  return raw.notifications();
}

/** PARAM_* notifications' param names. */
function paramNames(ms: RMsg[]): (string | undefined)[] {
  return ms.map((m) => str(attr(nested(attr(m, 80)), 81)));
}

for (const kernel of ['6.1', 'current'] as const) {
  describe(`sim (${kernel}): the SF's own instance, from mlx5_sf_dev_probe and mlx5_sf_dev_remove`, () => {
    let sim: Simulator;
    let raw: Raw;
    beforeEach(() => ({ sim, raw } = simAndRaw({ kernel, devices: DEVS })));
    afterEach(() => sim.close());

    // 6.1 only: newer kernels probe a local SF light (below)
    if (kernel === '6.1') {
      it('probe: mlx5_init_one then devlink_register: NEW, PORT_NEW already eth, then PARAM_NEW for each param', async () => {
        const ntf = (await attached(sim, raw)).filter((m) => str(attr(m, 2)) === 'mlx5_core.sf.2');
        assert.deepEqual(ntf.map((m) => m.cmd), [3, 7, ...Array<number>(SF_PARAMS.length).fill(40)]);
        // mlx5_devlink_params (fdb_large_groups included: it is not limited to eswitch managers),
        // then the auxiliary device params; esw_port_metadata, on 6.1 registered too, cannot be
        // read on an SF (mlx5_devlink_esw_port_metadata_get: EOPNOTSUPP) and is not announced
        assert.deepEqual(paramNames(ntf.slice(2)), SF_PARAMS);
        assert.equal(attr(ntf[1], 4)?.data.readUInt16LE(0), 2, 'type eth');
        assert.equal(str(attr(ntf[1], 7)), 'enp6s0f0s88');
        // the params in registration order, as a PARAM_GET dump lists them
        const dump = raw.send(dl(sim, 38, F.REQUEST | F.DUMP, [])).flatMap(parse).filter((m) => m.type !== NLMSG_DONE && str(attr(m, 2)) === 'mlx5_core.sf.2');
        assert.deepEqual(paramNames(ntf.slice(2)), paramNames(dump));
      });

      it('remove: devlink_unregister first: PARAM_DEL for each param (last first), PORT_DEL still eth, DEL', async () => {
        const added = (await attached(sim, raw)).filter((m) => m.cmd === 40);
        raw.call(fnSet(sim, PCI0, 32768, [nla(2, [0])]));
        await sim.settle();
        const ntf = raw.notifications().filter((m) => str(attr(m, 2)) === 'mlx5_core.sf.2');
        const n = SF_PARAMS.length;
        assert.deepEqual(ntf.map((m) => m.cmd), [...Array<number>(n).fill(41), 8, 4]);
        assert.deepEqual(paramNames(ntf.slice(0, n)), paramNames(added).reverse());
        assert.equal(attr(ntf[n], 4)?.data.readUInt16LE(0), 2, 'the port is unregistered while still eth');
        assert.equal(str(attr(ntf[n], 7)), 'enp6s0f0s88');
      });
    }

    it(`esw_port_metadata on the SF: ${kernel === '6.1'
      ? 'registered but unreadable (EOPNOTSUPP), set refused by its validate'
      : 'not registered (esw_offloads_init runs for eswitch managers only): EINVAL'}`, async () => {
      await attached(sim, raw);
      const name = nla(81, strz('esw_port_metadata'));
      if (kernel === '6.1') {
        expectError(raw.call(dl(sim, 38, REQ, [...AUX, name])), 95);
        expectError(raw.call(dl(sim, 39, REQ, [...AUX, name, nla(83, [6]), nla(87, [0]), nla(86, [])])), 95, 'mlx5_core: E-Switch is unsupported');
      } else {
        expectError(raw.call(dl(sim, 38, REQ, [...AUX, name])), 22);
      }
      // mlx5_devlink_large_group_num_validate, on every mlx5 device
      expectError(raw.call(dl(sim, 39, REQ, [...AUX, nla(81, strz('fdb_large_groups')), nla(83, [3]), nla(87, [1]), nla(86, u32(0))])), 95,
        'mlx5_core: Unsupported group number, supported range is 1-1024');
    });

    it('mlx5_eswitch_check: the SF is no eswitch manager, so eswitch get and set answer EOPNOTSUPP (not EPERM)', async () => {
      await attached(sim, raw);
      expectError(raw.call(dl(sim, 29, REQ, AUX)), 95);
      expectError(raw.call(dl(sim, 30, REQ, [...AUX, nla(25, u16(1))])), 95);
    });

    it(`info on the SF: ${kernel === '6.1'
      ? 'mlx5_devlink_info_get names the module, mlx5_core'
      : 'devlink_nl_driver_info_get names the bound auxiliary driver, mlx5_core.sf, last'}`, async () => {
      await attached(sim, raw);
      const [info] = raw.call(dl(sim, 51, F.REQUEST, AUX));
      const names = info.attrs.filter((a) => a.type === 98);
      assert.equal(names.length, 1);
      assert.equal(str(names[0]), kernel === '6.1' ? 'mlx5_core' : 'mlx5_core.sf');
      assert.equal(info.attrs.indexOf(names[0]), kernel === '6.1' ? 2 : info.attrs.length - 1);
    });

    it('mlx5_devlink_sf_port_new on the SF: mlx5_sf_new_check_attr (pfnum is the parent\'s function), then the missing table', async () => {
      await attached(sim, raw);
      expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(AUX, 1, 1))), 95, 'mlx5_core: Invalid pfnum supplied');
      expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(AUX, 0, 1))), 95, kernel === '6.1'
        ? 'mlx5_core: Port add is only supported in eswitch switchdev mode or SF ports are disabled.'
        : 'mlx5_core: SF ports are not supported.');
    });
  });
}

describe('sim (current): a local SF probed light, mlx5_sf_dev_probe -> mlx5_init_one_light (6.8+)', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ kernel: 'current', devices: DEVS })));
  afterEach(() => sim.close());

  const LIGHT = ['enable_roce', 'fdb_large_groups', 'io_eq_size', 'event_eq_size', 'enable_eth', 'enable_rdma', 'enable_vnet'];
  const ofAux = (ms: RMsg[]): RMsg[] => ms.filter((m) => str(attr(m, 2)) === 'mlx5_core.sf.2');
  /** A driverinit flag param set (PARAM_TYPE NLA_FLAG, cmode driverinit, data present: true). */
  const setFlag = (name: string): Buffer => dl(sim, 39, REQ, [...AUX, nla(81, strz(name)), nla(83, [6]), nla(87, [1]), nla(86, [])]);
  const sfDir = (): string => path.join(sim.sysfsRoot, 'bus', 'auxiliary', 'devices', 'mlx5_core.sf.2');

  it('devl_register first (NEW), then mlx5_devlink_params_register (PARAM_NEW each, the enable_* false); no port, netdev or RDMA device', async () => {
    const ntf = ofAux(await attached(sim, raw));
    assert.deepEqual(ntf.map((m) => m.cmd), [3, ...Array<number>(LIGHT.length).fill(40)]);
    assert.deepEqual(paramNames(ntf.slice(1)), LIGHT);
    const eth = ntf.find((m) => paramNames([m])[0] === 'enable_eth') as RMsg;
    const values = nested(attr(nested(attr(eth, 80)), 84));
    assert.equal(attr(nested(values[0]), 86), undefined, 'enable_eth is false (a flag without data)');
    const ports = raw.send(dl(sim, 5, F.REQUEST | F.DUMP, AUX)).flatMap(parse).filter((m) => m.type !== NLMSG_DONE);
    assert.deepEqual(ports, []);
    // the PF's SF port is attached and names the instance; sysfs has the auxiliary device and its sfnum only
    const [pf] = raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)]));
    assert.equal(attr(nested(attr(pf, 145)), 3)?.data[0], 1);
    assert.equal(readFileSync(path.join(sfDir(), 'sfnum'), 'utf8'), '88\n');
    assert.deepEqual(readdirSync(sfDir()).sort(), ['sfnum']);
  });

  it('enable_eth, then a reload (driver_reinit): mlx5_init_one_devl_locked brings the eth port (PORT_NEW notset, then eth) and the netdev', async () => {
    await attached(sim, raw);
    expectError(raw.call(dl(sim, 37, REQ, [...AUX, nla(153, [2])])), 95);
    assert.equal(raw.call(setFlag('enable_eth'))[0].errno, 0);
    raw.notifications();
    assert.equal(raw.call(dl(sim, 37, REQ, [...AUX, nla(153, [1])])).pop()?.errno, 0);
    const ntf = ofAux(raw.notifications());
    assert.deepEqual(ntf.map((m) => `${m.cmd}:t${attr(m, 4)?.data.readUInt16LE(0) ?? '-'}`), ['7:t0', '7:t2', '3:t-']);
    const netdev = str(attr(ntf[1], 7)) as string;
    assert.equal(netdev, 'enp6s0f0s88');
    assert.ok(existsSync(path.join(sim.sysfsRoot, 'class', 'net', netdev)));
    assert.ok(readdirSync(sfDir()).some((e) => /^mlx5_core\.eth\.\d+$/.test(e)));
    assert.equal(readdirSync(sfDir()).some((e) => e.startsWith('mlx5_core.rdma.')), false, 'enable_rdma is still false');
  });

  it('mlx5_uninit_one: the netdev (PORT_NEW notset), the port (PORT_DEL), the params (PARAM_DEL each, last first), then DEL', async () => {
    await attached(sim, raw);
    raw.call(setFlag('enable_eth'));
    raw.call(dl(sim, 37, REQ, AUX));
    raw.notifications();
    raw.call(fnSet(sim, PCI0, 32768, [nla(2, [0])]));
    await sim.settle();
    const ntf = ofAux(raw.notifications());
    assert.deepEqual(ntf.map((m) => m.cmd), [7, 8, ...Array<number>(LIGHT.length).fill(41), 4]);
    assert.equal(attr(ntf[0], 4)?.data.readUInt16LE(0), 0);
    assert.deepEqual(paramNames(ntf.slice(2, -1)), [...LIGHT].reverse());
    assert.equal(existsSync(sfDir()), false);
    sim.checkInvariants();
  });
});

describe('sim: mlx5 port function and port add checks from the source', () => {
  let sim: Simulator;
  let raw: Raw;
  afterEach(() => sim.close());
  const open = (o: Partial<ConstructorParameters<typeof Simulator>[0]> = {}): void => {
    sim = new Simulator({ kernel: 'current', devices: DEVS, ...o });
    raw = new Raw(sim);
  };

  it('mlx5_devlink_port_fn_max_io_eqs_set: check_add_overflow into a u16 with MLX5_ESW_MAX_CTRL_EQS (4): 65531 is the largest', () => {
    open();
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    assert.equal(raw.call(fnSet(sim, PCI0, 32768, [nla(6, u32(65531))]))[0].errno, 0);
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(6, u32(65532))])), 22, 'mlx5_core: Supplied value out of range');
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(6, u32(0x10000))])), 22, 'mlx5_core: Supplied value out of range');
    const [m] = raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)]));
    assert.equal(u32of(attr(nested(attr(m, 145)), 6)), 65531);
  });

  it('mlx5_devlink_sf_port_new of 6.12: mlx5_sf_new_check_attr first, then "SF ports are not supported." / switchdev', () => {
    open();
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 0, 1))), 95, 'mlx5_core: Invalid pfnum supplied');
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 1, 1))), 95, 'mlx5_core: SF ports are only supported in eswitch switchdev mode.');
  });

  it('the newest order (mlx5_sf_table_supported and switchdev before mlx5_sf_new_check_attr, pfnum per controller)', () => {
    open({ mlx5PortAddOrder: 'newest' });
    // in legacy mode the switchdev message wins over a bad pfnum and a missing sfnum
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 0, 1))), 95, 'mlx5_core: SF ports are only supported in eswitch switchdev mode.');
    expectError(raw.call(dl(sim, 7, REQ, [...PCI1, nla(77, u16(7)), nla(127, u16(1))])), 95,
      'mlx5_core: SF ports are only supported in eswitch switchdev mode.');
    // in switchdev mode the attribute checks follow, in their own order
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 1, 1))), 95, 'mlx5_core: Invalid pfnum supplied');
    expectError(raw.call(dl(sim, 7, REQ, [...PCI0, nla(77, u16(7)), nla(127, u16(0))])), 95,
      'mlx5_core: User must provide unique sfnum. Driver does not support auto assignment');
    assert.equal(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)))[0].cmd, 7);
    assert.throws(() => new Simulator({ devices: DEVS, mlx5PortAddOrder: 'newest' }), /needs kernel 'current'/);
  });

  it('the capability change refused on an active SF is the simulator\'s firmware assumption (mlx5 itself sends SET_HCA_CAP)', async () => {
    open();
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    raw.call(fnSet(sim, PCI0, 32768, [nla(2, [1])]));
    // mlx5 reports the firmware's refusal as "Failed setting HCA caps"; EBUSY is the simulator's choice
    expectError(raw.call(fnSet(sim, PCI0, 32768, [nla(6, u32(16))])), 16, 'mlx5_core: Failed setting HCA caps');
    await sim.settle();
  });
});

describe('sim: the devlink core of 6.1 and of 6.8+ from the source', () => {
  for (const kernel of ['6.1', 'current'] as const) {
    it(`${kernel}: the port add reply and the port dump use ${kernel === '6.1'
      ? 'DEVLINK_CMD_NEW'
      : 'DEVLINK_CMD_PORT_NEW (devlink_nl_port_new_doit, devlink_nl_port_get_dump_one)'}; port get always PORT_NEW`, () => {
      const sim = new Simulator({ kernel, devices: DEVS });
      try {
        const raw = new Raw(sim);
        const want = kernel === '6.1' ? 3 : 7;
        assert.equal(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)))[0].cmd, want);
        const dump = raw.send(dl(sim, 5, F.REQUEST | F.DUMP, [])).flatMap(parse).filter((m) => m.type !== NLMSG_DONE);
        assert.ok(dump.length >= 3);
        for (const m of dump) assert.equal(m.cmd, want);
        assert.equal(raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)]))[0].cmd, 7);
      } finally {
        void sim.close();
      }
    });
  }

  it('current: devlink_port_function_validate points "Function does not support state setting" at the state attribute', () => {
    const sim = new Simulator({ kernel: 'current', devices: DEVS });
    try {
      const msg = fnSet(sim, PCI0, 0xffff, [nla(2, [1])]);
      const e = expectError(new Raw(sim).call(msg), 95, 'Function does not support state setting');
      assert.equal(e.ext?.offs, attrOffset(msg, 3) + 4);
    } finally {
      void sim.close();
    }
  });

  it('6.1: devlink_nl_cmd_port_get_dumpit ignores a device filter: an unknown device dumps every port, DONE 0', () => {
    const sim = new Simulator({ devices: DEVS });
    try {
      const msgs = new Raw(sim).send(dl(sim, 5, F.REQUEST | F.DUMP, [nla(1, strz('pci')), nla(2, strz('0000:09:00.0'))])).flatMap(parse);
      assert.deepEqual(msgs.map((m) => m.type === NLMSG_DONE ? `done ${m.errno}` : u32of(attr(m, 3))), [0xffff, 0x1ffff, 'done 0']);
    } finally {
      void sim.close();
    }
  });
});

describe('sim (current): NOTIFY_FILTER_SET, devlink_nl_notify_filter_set_doit and devlink_nl_notify_filter (6.9+)', () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it('a socket\'s filter lets through only notifications whose handle (and port, for port ones) match; an empty request removes it', () => {
    sim = new Simulator({ kernel: 'current', devices: [DEVS[0], { ...DEVS[1], eswitch: 'switchdev' }] });
    const ctl = new Raw(sim);
    const watch = new Raw(sim);
    const other = new Raw(sim);
    for (const r of [watch, other]) r.join(sim.groupId);
    const seen = (r: Raw): RMsg[] => {
      r.ep.poll();
      return r.notifications();
    };
    // the filter is the requesting socket's own
    assert.equal(watch.call(dl(sim, 84, REQ, PCI1))[0].errno, 0);
    ctl.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    ctl.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 1, 1)));
    const pf1 = seen(watch);
    assert.ok(pf1.length > 0);
    assert.ok(pf1.every((m) => str(attr(m, 2)) === '0000:06:00.1'), 'only pci/0000:06:00.1');
    assert.equal(seen(other).length, pf1.length * 2, 'a socket without a filter sees both');
    // a port index narrows port notifications; rate ones carry no port in their description
    const idx = (1 << 16) | 0x8000;
    assert.equal(watch.call(dl(sim, 84, REQ, [...PCI1, portIndex(idx + 1)]))[0].errno, 0);
    ctl.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 1, 2)));
    ctl.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 1, 3)));
    assert.deepEqual(seen(watch).map((m) => `${m.cmd}/${u32of(attr(m, 3))}`), [`7/${idx + 1}`, `76/${idx + 1}`, `7/${idx + 1}`, `76/${idx + 2}`]);
    // no attributes: the filter goes
    assert.equal(watch.call(dl(sim, 84, REQ, []))[0].errno, 0);
    ctl.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 2)));
    assert.equal(seen(watch).length, 3);
    // the op policy: a PORT_INDEX shorter than a u32 (validate_nla: below nla_attr_minlen, ERANGE)
    expectError(watch.call(dl(sim, 84, REQ, [...PCI1, nla(3, u16(1))])), 34, 'Attribute failed policy validation');
  });

  it('6.1 has no such command', () => {
    sim = new Simulator({ devices: DEVS });
    expectError(new Raw(sim).call(dl(sim, 84, REQ, PCI1)), 95);
  });
});

describe('sim: attributes newer than the kernel acted as (RATE_TC_BWS, 180, from 6.16)', () => {
  const tc = nest(180, [nla(181, [0]), nla(182, u32(50))]);
  const rateOf = (raw: Raw, sim: Simulator): Buffer => raw.call(dl(sim, 74, F.REQUEST, [...PCI0, portIndex(32768)]))[0].bytes.subarray(20);

  it('6.1: RATE_SET is validated strictly (no GENL_DONT_VALIDATE flags): 180 is above maxattr 176, "Unknown attribute type"', () => {
    const sim = new Simulator({ devices: DEVS });
    try {
      const raw = new Raw(sim);
      raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
      const msg = dl(sim, 75, REQ, [...PCI0, portIndex(32768), tc]);
      const e = expectError(raw.call(msg), 22, 'Unknown attribute type');
      assert.equal(e.ext?.offs, attrOffset(msg, 3));
    } finally {
      void sim.close();
    }
  });

  it('current (6.12): RATE_SET is liberal (GENL_DONT_VALIDATE_STRICT), so the tc-bw nest is ignored: success, nothing changes', () => {
    const sim = new Simulator({ kernel: 'current', devices: DEVS });
    try {
      const raw = new Raw(sim);
      raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
      const before = rateOf(raw, sim);
      assert.equal(raw.call(dl(sim, 75, REQ, [...PCI0, portIndex(32768), tc]))[0].errno, 0);
      assert.deepEqual(rateOf(raw, sim), before);
    } finally {
      void sim.close();
    }
  });
});
