import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { nest, nla, strz, u16, u32 } from './helpers/bytes';
import {
  attr, attrOffset, dl, expectError, F, nested, NLMSG_DONE, parse, PCI0, PCI1, portIndex, portNewAttrs, Raw, RMsg, str, u32of, simAndRaw,
} from './sim.helpers';

const REQ = F.REQUEST | F.ACK;
const DEVS = [
  { handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' as const },
  { handle: 'pci/0000:06:00.1', pfnum: 1 },
];

function fnSet(sim: Simulator, index: number, fn: Buffer[], h = PCI0): Buffer {
  return dl(sim, 6, REQ, [...h, portIndex(index), nest(145, fn)]);
}

function fn(m: RMsg): ReturnType<typeof nested> {
  return nested(attr(m, 145));
}

describe('sim: the newer kernel flavour (\'current\', modelled on 6.12)', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ kernel: 'current', devices: DEVS })));
  afterEach(() => sim.close());

  it('core messages carry no module prefix; mlx5 ones keep theirs', () => {
    expectError(raw.call(dl(sim, 7, REQ, [...PCI0, nla(127, u16(0))])), 22, 'Port flavour or PCI PF are not specified');
    expectError(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI1, 1, 1))), 95, 'mlx5_core: SF ports are only supported in eswitch switchdev mode.');
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    expectError(raw.call(fnSet(sim, 32768, [nla(1, Buffer.alloc(5))])), 22, 'Address must be 6 bytes for Ethernet device');
  });

  it('PORT_NEW and PORT_DEL are liberal on newer kernels (dont-validate: strict): unknown attributes pass', () => {
    const [m] = raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 3, [nla(200, u32(1)), nla(6, u32(9))])));
    assert.equal(m.cmd, 7, 'devlink_nl_port_new_doit replies DEVLINK_CMD_PORT_NEW since 6.8');
    assert.equal(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768), nla(200, u32(1))]))[0].errno, 0);
    // the op policy still checks what it knows
    expectError(raw.call(dl(sim, 7, REQ, [...PCI0, nla(77, u16(8)), nla(127, u16(0))])), 34, 'integer out of range');
  });

  it('the port function reports caps (roce) before state, then max_io_eqs', () => {
    const [m] = raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    assert.deepEqual(fn(m).map((a) => a.type), [1, 4, 2, 3, 6]);
    const caps = attr(fn(m), 4) as { data: Buffer };
    assert.deepEqual([caps.data.readUInt32LE(0), caps.data.readUInt32LE(4)], [1, 1], 'roce on, selector roce');
    assert.equal(u32of(attr(fn(m), 6)), 8);
  });

  it('the op policy validates the function nest: a bad state is ERANGE "integer out of range" at its offset', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    const msg = fnSet(sim, 32768, [nla(2, [2])]);
    const e = expectError(raw.call(msg), 34, 'integer out of range');
    assert.equal(e.ext?.offs, attrOffset(msg, 3) + 4);
    // OPSTATE passes the op policy but not the doit's strict parse
    const op = fnSet(sim, 32768, [nla(3, [0])]);
    const e2 = expectError(raw.call(op), 22, 'Fail to parse port function attributes');
    assert.equal(e2.ext?.offs, attrOffset(op, 3) + 4);
    // no NLA_F_NESTED requirement on newer kernels' liberal ops
    assert.equal(raw.call(dl(sim, 6, REQ, [...PCI0, portIndex(32768), nest(145, [nla(2, [0])], false)]))[0].errno, 0);
  });

  it('function caps: roce settable on an inactive SF, migratable VF-only, unsupported caps refused', async () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    const bf = (value: number, sel: number): Buffer => nla(4, [...u32(value), ...u32(sel)]);
    assert.equal(raw.call(fnSet(sim, 32768, [bf(0, 1)]))[0].errno, 0);
    const [m] = raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)]));
    assert.equal((attr(fn(m), 4) as { data: Buffer }).data.readUInt32LE(0), 0);
    const msg = fnSet(sim, 32768, [bf(2, 2)]);
    const e = expectError(raw.call(msg), 95, "Port doesn't support migratable function attribute");
    assert.equal(e.ext?.offs, attrOffset(msg, 3) + 4);
    const ecpf = new Simulator({ kernel: 'current', devices: [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev', ecpf: true }] });
    try {
      expectError(new Raw(ecpf).call(fnSet(ecpf, 0, [bf(2, 2)])), 95, 'migratable function attribute supported for VFs only');
    } finally {
      void ecpf.close();
    }
    expectError(raw.call(fnSet(sim, 32768, [bf(4, 4)])), 95, "Port doesn't support ipsec_crypto function attribute");
    expectError(raw.call(fnSet(sim, 32768, [bf(16, 16)])), 22, 'Attribute failed policy validation');
    raw.call(fnSet(sim, 32768, [nla(2, [1])]));
    expectError(raw.call(fnSet(sim, 32768, [bf(1, 1)])), 16, 'mlx5_core: Failed setting HCA roce cap');
    await sim.settle();
  });

  it('max_io_eqs: settable while inactive, reported back', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    assert.equal(raw.call(fnSet(sim, 32768, [nla(6, u32(32))]))[0].errno, 0);
    const [m] = raw.call(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)]));
    assert.equal(u32of(attr(fn(m), 6)), 32);
  });

  it('the uplink port has no function ops: the core refuses with its own messages', () => {
    const hw = fnSet(sim, 0xffff, [nla(1, [0, 0, 0, 0, 0, 1])]);
    const e = expectError(raw.call(hw), 95, "Port doesn't support function attributes");
    assert.equal(e.ext?.offs, attrOffset(hw, 3) + 4);
    // devlink_port_function_validate: NL_SET_ERR_MSG_ATTR(extack, tb[DEVLINK_PORT_FN_ATTR_STATE], ...)
    const stMsg = fnSet(sim, 0xffff, [nla(2, [1])]);
    const st = expectError(raw.call(stMsg), 95, 'Function does not support state setting');
    assert.equal(st.ext?.offs, attrOffset(stMsg, 3) + 4);
    expectError(raw.call(fnSet(sim, 0xffff, [nla(6, u32(2))])), 95, 'Function does not support max_io_eqs setting');
  });

  it('port del looks the port up first: no index EINVAL without message, and no driver op on the uplink', () => {
    const e = expectError(raw.call(dl(sim, 8, REQ, PCI0)), 22, undefined);
    assert.equal(e.ext?.missType, undefined);
    expectError(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(0xffff)])), 95);
    expectError(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(12)])), 19);
  });

  it('the SF port shows its function\'s devlink instance once attached, announced by PORT_NEW', async () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    raw.call(fnSet(sim, 32768, [nla(2, [1])]));
    await sim.settle();
    const ntf = raw.notifications();
    const last = ntf[ntf.length - 1];
    assert.equal(last.cmd, 7);
    assert.equal(u32of(attr(last, 3)), 32768);
    const rel = nested(attr(fn(last), 5));
    assert.deepEqual([str(attr(rel, 1)), str(attr(rel, 2))], ['auxiliary', 'mlx5_core.sf.2']);
    assert.equal(attr(fn(last), 5)?.raw, 5 | 0x8000, 'the handle nest is flagged');
    assert.deepEqual(fn(last).map((a) => a.type), [1, 4, 2, 3, 6, 5]);
    assert.equal(attr(fn(last), 3)?.data[0], 1, 'attached');
    raw.call(fnSet(sim, 32768, [nla(2, [0])]));
    await sim.settle();
    const after = raw.notifications();
    const gone = after.filter((m) => m.cmd === 7 && u32of(attr(m, 3)) === 32768).pop() as RMsg;
    assert.equal(attr(fn(gone), 5), undefined);
  });

  it('filtered dumps: one instance with NLM_F_DUMP_FILTERED; ENODEV inside DONE; DONE shares the datagram', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    const grams = raw.send(dl(sim, 5, F.REQUEST | F.DUMP, PCI0, 5));
    assert.equal(grams.length, 1);
    const msgs = parse(grams[0]);
    assert.deepEqual(msgs.map((m) => m.type === NLMSG_DONE ? 'done' : u32of(attr(m, 3))), [32768, 65535, 'done']);
    for (const m of msgs.slice(0, 2)) assert.equal(m.flags, F.MULTI | F.DUMP_FILTERED);
    assert.equal(msgs[2].flags, F.MULTI);
    const all = parse(raw.send(dl(sim, 5, F.REQUEST | F.DUMP, []))[0]);
    assert.equal(all.filter((m) => m.type !== NLMSG_DONE).length, 3);
    assert.equal(all[0].flags, F.MULTI);
    const [none] = raw.send(dl(sim, 5, F.REQUEST | F.DUMP, [nla(1, strz('pci')), nla(2, strz('0000:09:00.0'))]));
    const [done] = parse(none);
    assert.deepEqual([done.type, done.errno], [NLMSG_DONE, 19]);
    const [half] = parse(raw.send(dl(sim, 5, F.REQUEST | F.DUMP, [PCI0[0]]))[0]);
    assert.equal(half.errno, 22);
  });

  it('the port dump is strict: a PORT_INDEX (above the dump policy\'s maxattr) is refused before dumping', () => {
    const msg = dl(sim, 5, F.REQUEST | F.DUMP, [...PCI0, portIndex(1)]);
    const e = expectError(raw.call(msg), 22, 'Unknown attribute type');
    assert.equal(e.ext?.offs, attrOffset(msg, 2));
  });

  it('rates report tx_priority and tx_weight; mlx5 cannot set them', () => {
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 88)));
    const [r] = raw.call(dl(sim, 74, F.REQUEST, [...PCI0, portIndex(32768)]));
    assert.deepEqual(r.attrs.map((a) => a.type), [1, 2, 165, 3, 166, 167, 177, 178]);
    expectError(raw.call(dl(sim, 75, REQ, [...PCI0, portIndex(32768), nla(177, u32(1))])), 95, "TX priority set isn't supported for the leafs");
  });
});
