// Decoding devlink replies built by hand in the kernel's own attribute order
// (SF-SEMANTICS.md, "A port as the kernel reports it").
import assert from 'node:assert/strict';
import {
  decodeMessage, decodeMessageInto, DevlinkDecoded, KEEPS_NO_DECODED, portFrom, deviceFrom, eswitchFrom, paramFrom, rateFrom,
} from '../src/devlink/decode';
import { forEachMessage, NlMsg } from '../src/genl/message';
import { ProtocolError } from '../src/genl/errors';

/** A u16 length / u16 type / payload / zero padding attribute. */
function attr(type: number, payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload.replace(/\s+/g, ''), 'hex') : payload;
  const out = Buffer.alloc((4 + p.length + 3) & ~3);
  out.writeUInt16LE(4 + p.length, 0);
  out.writeUInt16LE(type, 2);
  p.copy(out, 4);
  return out;
}
const str = (t: number, s: string): Buffer => attr(t, Buffer.from(s + '\0'));
const u8 = (t: number, v: number): Buffer => attr(t, Buffer.from([v]));
const u16 = (t: number, v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return attr(t, b); };
const u32 = (t: number, v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return attr(t, b); };
const u64 = (t: number, v: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return attr(t, b); };

/** One genl message around `attrs`. */
function message(cmd: number, flags: number, ...attrs: Buffer[]): NlMsg {
  const body = Buffer.concat(attrs);
  const m = Buffer.alloc(20 + body.length);
  m.writeUInt32LE(m.length, 0);
  m.writeUInt16LE(0x1f, 4);
  m.writeUInt16LE(flags, 6);
  m[16] = cmd;
  m[17] = 1;
  body.copy(m, 20);
  let out: NlMsg | undefined;
  forEachMessage(m, (x) => (out = x));
  return out!;
}

const sfPort61 = [
  str(1, 'pci'), str(2, '0000:06:00.0'), u32(3, 32768), u16(4, 2),
  u32(6, 17), str(7, 'eth6'), u8(148, 0), u16(77, 7), u32(150, 0), u16(127, 0), u32(164, 88),
  // PORT_FUNCTION as 6.1 sends it: no NLA_F_NESTED
  attr(145, Buffer.concat([attr(1, '000000008888'), u8(2, 1), u8(3, 0)])),
];

describe('devlink decode', () => {
  it('an SF port in 6.1 order, from PORT_NEW (a get) and NEW (a dump) alike', () => {
    for (const cmd of [7, 3]) {
      const p = portFrom(decodeMessage(message(cmd, 0, ...sfPort61)));
      assert.deepEqual(p, {
        handle: 'pci/0000:06:00.0/32768', bus: 'pci', dev: '0000:06:00.0', index: 32768, type: 'eth',
        netdev: 'eth6', ifindex: 17, flavour: 'pcisf', controller: 0, pfnum: 0, sfnum: 88, splittable: false,
        function: { hwAddr: '00:00:00:00:88:88', state: 'active', opstate: 'detached' },
      });
    }
  });

  it('a port is a plain object: Object.prototype, only the keys the kernel sent, in the order a literal would have them', () => {
    const p = portFrom(decodeMessage(message(3, 0, str(1, 'netdevsim'), str(2, 'netdevsim1'), u32(3, 4), u16(4, 2))));
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.deepEqual(Object.keys(p), ['handle', 'bus', 'dev', 'index', 'type']);
    assert.equal(JSON.stringify(p), '{"handle":"netdevsim/netdevsim1/4","bus":"netdevsim","dev":"netdevsim1","index":4,"type":"eth"}');
    assert.ok(!('netdev' in p) && !('function' in p));
  });

  it('newer kernels: caps bitfield32, the nested devlink handle, max_io_eqs; unknown attributes kept', () => {
    const fn = attr(145 | 0x8000, Buffer.concat([
      attr(1, '000000008888'),
      attr(4, '01000000 0f000000'), // value roce; selector: all four
      u8(2, 1), u8(3, 1),
      attr(5 | 0x8000, Buffer.concat([str(1, 'auxiliary'), str(2, 'mlx5_core.sf.4')])),
      u32(6, 8),
      u32(9, 7), // a function attribute newer than this library
    ]));
    const p = portFrom(decodeMessage(message(7, 0, str(1, 'pci'), str(2, '0000:06:00.0'), u32(3, 32768), u16(4, 0), u16(77, 7), u32(400, 5), fn)));
    assert.deepEqual(p.function, {
      hwAddr: '00:00:00:00:88:88', state: 'active', opstate: 'attached',
      caps: { roce: true, migratable: false, ipsecCrypto: false, ipsecPacket: false },
      devlink: 'auxiliary/mlx5_core.sf.4', maxIoEqs: 8,
      unknown: [{ type: 9, data: Buffer.from('07000000', 'hex') }],
    });
    assert.deepEqual(p.unknown, [{ type: 400, data: Buffer.from('05000000', 'hex') }]);
    assert.equal(p.type, 'notset');
  });

  it('an enum value this library does not know stays a number', () => {
    const p = portFrom(decodeMessage(message(7, 0, str(1, 'pci'), str(2, 'x'), u32(3, 1), u16(4, 9), u16(77, 42))));
    assert.equal(p.type, 9);
    assert.equal(p.flavour, 42);
  });

  it('a port attribute of the wrong size is kept raw and flagged; the port still decodes (unless its identity is the one)', () => {
    const wide = Buffer.alloc(8);
    wide.writeUInt32LE(7, 0);
    // DEVLINK_ATTR_PORT_PCI_SF_NUMBER (164) widened to 8 bytes by a future kernel
    const sf = message(7, 0, str(1, 'pci'), str(2, 'x'), u32(3, 32768), u16(77, 7), attr(164, wide));
    const p = portFrom(decodeMessage(sf));
    assert.equal(p.handle, 'pci/x/32768');
    assert.equal(p.sfnum, undefined);
    assert.deepEqual(p.unknown, [{ type: 164, data: wide, wrongSize: { name: 'port-pci-sf-number', expected: 4 } }]);
    // the port index is what names the port: without it, the message is no port
    assert.throws(() => portFrom(decodeMessage(message(7, 0, str(1, 'pci'), str(2, 'x'), u16(3, 1)))), ProtocolError);
  });

  it('devices, eswitch, params and rates', () => {
    assert.deepEqual(deviceFrom(decodeMessage(message(3, 0, str(1, 'pci'), str(2, '0000:06:00.0'), u8(136, 0)))), {
      handle: 'pci/0000:06:00.0', bus: 'pci', dev: '0000:06:00.0', reloadFailed: false,
    });
    assert.deepEqual(eswitchFrom(decodeMessage(message(29, 0, str(1, 'pci'), str(2, 'd'), u16(25, 1), u8(26, 0), u8(62, 1)))), {
      handle: 'pci/d', mode: 'switchdev', inlineMode: 'none', encapMode: 'basic',
    });
    const value = (cmode: number, data?: Buffer): Buffer => attr(85, Buffer.concat([...(data ? [data] : []), u8(87, cmode)]));
    const param = attr(80, Buffer.concat([str(81, 'enable_roce'), attr(82, ''), u8(83, 6), attr(84, Buffer.concat([value(1, attr(86, '')), value(0)]))]));
    assert.deepEqual(paramFrom(decodeMessage(message(38, 0, str(1, 'pci'), str(2, 'd'), param))), {
      handle: 'pci/d', name: 'enable_roce', generic: true, type: 'bool',
      values: [{ cmode: 'driverinit', value: true }, { cmode: 'runtime', value: false }],
    });
    const sparam = attr(80, Buffer.concat([str(81, 'flow_steering_mode'), u8(83, 5), attr(84, value(0, str(86, 'dmfs')))]));
    assert.deepEqual(paramFrom(decodeMessage(message(38, 0, str(1, 'pci'), str(2, 'd'), sparam))).values, [{ cmode: 'runtime', value: 'dmfs' }]);
    assert.deepEqual(rateFrom(decodeMessage(message(74, 0, str(1, 'pci'), str(2, 'd'), u16(165, 1), str(168, 'g1'), u64(166, 125000n), u64(167, 0n)))), {
      handle: 'pci/d/g1', bus: 'pci', dev: 'd', type: 'node', nodeName: 'g1', txShare: 125000n, txMax: 0n,
    });
    assert.deepEqual(rateFrom(decodeMessage(message(74, 0, str(1, 'pci'), str(2, 'd'), u32(3, 32768), u16(165, 0), str(169, 'g1')))), {
      handle: 'pci/d/32768', bus: 'pci', dev: 'd', type: 'leaf', portIndex: 32768, parent: 'g1',
    });
  });
  describe('a dump decodes each message into one reused object (decodeMessageInto), for the decoders that keep nothing of it', () => {
    // different keys, a nest, an unknown attribute (type 999) and a multi-attribute, so a leftover would show
    const sfPort = message(3, 0, ...sfPort61, attr(999, 'cafe'));
    const plainPort = message(3, 0, str(1, 'netdevsim'), str(2, 'netdevsim1'), u32(3, 4), u16(4, 2), u32(6, 9), str(7, 'eth9'));
    const nestedDev = message(3, 0, str(1, 'pci'), str(2, '0000:06:00.0'), attr(175, Buffer.concat([str(1, 'auxiliary'), str(2, 'mlx5_core.sf.2')])),
      attr(999, 'beef'));
    const plainDev = message(3, 0, str(1, 'netdevsim'), str(2, 'netdevsim1'));

    it('the reused object reads as a fresh decode: every key it does not have now is undefined', () => {
      const scratch: Partial<DevlinkDecoded> = {};
      for (const [a, b] of [[sfPort, plainPort], [plainPort, sfPort], [nestedDev, plainDev]]) {
        decodeMessageInto(a, scratch);
        const got = decodeMessageInto(b, scratch) as Record<string, unknown>;
        const fresh = decodeMessage(b) as Record<string, unknown>;
        for (const k of new Set([...Object.keys(got), ...Object.keys(fresh)])) assert.deepEqual(got[k], fresh[k], k);
      }
    });

    it('portFrom and deviceFrom results do not change when the next message is decoded into the same object', () => {
      assert.ok(KEEPS_NO_DECODED.has(portFrom) && KEEPS_NO_DECODED.has(deviceFrom));
      for (const [from, a, b] of [[portFrom, sfPort, plainPort], [portFrom, plainPort, sfPort], [deviceFrom, nestedDev, plainDev]] as const) {
        const scratch: Partial<DevlinkDecoded> = {};
        const first = from(decodeMessageInto(a, scratch));
        const second = from(decodeMessageInto(b, scratch));
        assert.deepEqual(first, from(decodeMessage(a)));
        assert.deepEqual(second, from(decodeMessage(b)));
      }
    });
  });
});
