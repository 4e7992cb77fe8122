// Devlink requests against bytes written out by hand from <linux/devlink.h> and the
// order iproute2 6.1's dl_opts_put() uses (see src/devlink/requests.ts). Nothing here
// builds bytes with the library's writer or encoder.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import {
  addPortAttrs, devlinkRequest, eswitchAttrs, paramSetRequest, portAttrs, portFunctionAttrs, rateSettingsAttrs,
} from '../src/devlink/requests';
import { Cmd, ParamType } from '../src/devlink/constants';
import { parseDevHandle, parseMac, parsePortHandle, plainPortHandle } from '../src/devlink/handle';

const FAMILY = 0x1f;

/** nlmsghdr (len patched below, type FAMILY, flags, seq 0, pid 0) + genlmsghdr (cmd, version 1). */
function msg(flags: number, cmd: number, attrsHex: string): string {
  const body = attrsHex.replace(/\s+/g, '');
  const len = 16 + 4 + body.length / 2;
  const le32 = (n: number): string => Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]).toString('hex');
  const le16 = (n: number): string => Buffer.from([n & 0xff, n >> 8]).toString('hex');
  return le32(len) + le16(FAMILY) + le16(flags) + '00000000' + '00000000' + Buffer.from([cmd, 1, 0, 0]).toString('hex') + body;
}

const BUS_PCI = '0800 0100 70636900';                        // BUS_NAME "pci\0"
const DEV_0600 = '1100 0200 303030303a30363a30302e3000 000000'; // DEV_NAME "0000:06:00.0\0" + 3 pad
const REQ_ACK = 0x05;
const REQ_ACK_DUMP = 0x305;

describe('devlink requests: bytes as iproute2 writes them', () => {
  const dev = parseDevHandle('pci/0000:06:00.0');
  const port = parsePortHandle('pci/0000:06:00.0/32768');

  it('port add pcisf: handle, flavour u16, pfnum u16, sfnum u32', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_NEW, addPortAttrs(dev, { flavour: 'pcisf', pfnum: 0, sfnum: 88 }));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 7, `${BUS_PCI} ${DEV_0600}
      0600 4d00 0700 0000
      0600 7f00 0000 0000
      0800 a400 58000000`));
  });

  it('port add with controller: controller u32 after sfnum', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_NEW, addPortAttrs(dev, { flavour: 'pcisf', pfnum: 1, sfnum: 0x12345678, controller: 1 }));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 7, `${BUS_PCI} ${DEV_0600}
      0600 4d00 0700 0000
      0600 7f00 0100 0000
      0800 a400 78563412
      0800 9600 01000000`));
  });

  it('port del: handle with port index u32', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_DEL, portAttrs(port));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 8, `${BUS_PCI} ${DEV_0600} 0800 0300 00800000`));
  });

  it('port function set hw_addr and state: one nest with NLA_F_NESTED, hw_addr then state', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_SET, portFunctionAttrs(port, { state: 'active', hwAddr: '00:00:00:00:88:88' }));
    // the nest: len 4 + (4+6+2 pad) + (4+1+3 pad) = 24, type 145 | 0x8000
    assert.equal(b.toString('hex'), msg(REQ_ACK, 6, `${BUS_PCI} ${DEV_0600} 0800 0300 00800000
      1800 9180
        0a00 0100 000000008888 0000
        0500 0200 01 000000`));
  });

  it('port function set state only', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_SET, portFunctionAttrs(port, { state: 'inactive' }));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 6, `${BUS_PCI} ${DEV_0600} 0800 0300 00800000
      0c00 9180 0500 0200 00 000000`));
  });

  it('port function caps as bitfield32 (value, selector) after state', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_SET, portFunctionAttrs(port, { roce: false, migratable: true }));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 6, `${BUS_PCI} ${DEV_0600} 0800 0300 00800000
      1000 9180 0c00 0400 02000000 03000000`));
  });

  it('eswitch set mode switchdev: u16', () => {
    const b = devlinkRequest(FAMILY, Cmd.ESWITCH_SET, eswitchAttrs(dev, { mode: 'switchdev' }));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 30, `${BUS_PCI} ${DEV_0600} 0600 1900 0100 0000`));
  });

  it('eswitch set mode, inline-mode u8, encap-mode u8 in that order', () => {
    const b = devlinkRequest(FAMILY, Cmd.ESWITCH_SET, eswitchAttrs(dev, { encapMode: 'basic', inlineMode: 'link', mode: 'legacy' }));
    assert.equal(b.toString('hex'), msg(REQ_ACK, 30, `${BUS_PCI} ${DEV_0600}
      0600 1900 0000 0000
      0500 1a00 01 000000
      0500 3e00 01 000000`));
  });

  it('a dump carries NLM_F_DUMP', () => {
    const b = devlinkRequest(FAMILY, Cmd.PORT_GET, {}, true);
    assert.equal(b.toString('hex'), msg(REQ_ACK_DUMP, 5, ''));
  });

  it('param set: name, cmode, type, then typed value data; a false bool sends no data', () => {
    const t = paramSetRequest(FAMILY, dev, 'enable_roce', ParamType.bool, true, 'driverinit');
    const name = '1000 5100 656e61626c655f726f636500'; // "enable_roce\0" (12) + 4 = 16
    assert.equal(t.toString('hex'), msg(REQ_ACK, 39, `${BUS_PCI} ${DEV_0600} ${name}
      0500 5700 01 000000
      0500 5300 06 000000
      0400 5600`));
    const f = paramSetRequest(FAMILY, dev, 'enable_roce', ParamType.bool, false, 'driverinit');
    assert.equal(f.toString('hex'), msg(REQ_ACK, 39, `${BUS_PCI} ${DEV_0600} ${name}
      0500 5700 01 000000
      0500 5300 06 000000`));
    const u = paramSetRequest(FAMILY, dev, 'max_macs', ParamType.u32, 32, 'runtime');
    assert.equal(u.toString('hex'), msg(REQ_ACK, 39, `${BUS_PCI} ${DEV_0600} 0d00 5100 6d61785f6d61637300 000000
      0500 5700 00 000000
      0500 5300 03 000000
      0800 5600 20000000`));
  });

  it('rate settings: tx_share, tx_priority, tx_weight, tx_max, parent', () => {
    const a = rateSettingsAttrs({ parent: 'g1', txMax: 2n, txWeight: 3, txPriority: 4, txShare: 1 });
    assert.deepEqual(Object.keys(a), ['rateTxShare', 'rateTxPriority', 'rateTxWeight', 'rateTxMax', 'rateParentNodeName']);
  });
});

describe('devlink requests: input checked before anything is built', () => {
  const dev = parseDevHandle('pci/0000:06:00.0');
  const port = parsePortHandle('pci/0000:06:00.0/1');
  const refuses = (f: () => unknown, field: string): void => {
    assert.throws(f, (e: unknown) => e instanceof ValidationError && e.field === field, `expected a ValidationError on ${field}`);
  };

  it('handles', () => {
    refuses(() => parseDevHandle('pci'), 'dev');
    refuses(() => parseDevHandle('pci/0000:06:00.0/1'), 'dev');
    refuses(() => parseDevHandle(42), 'dev');
    refuses(() => parsePortHandle('pci/0000:06:00.0'), 'port');
    refuses(() => parsePortHandle('pci/0000:06:00.0/x'), 'port');
    refuses(() => parsePortHandle('pci/0000:06:00.0/4294967296'), 'port');
    assert.deepEqual(parsePortHandle('pci/0000:06:00.0/4294967295'), { bus: 'pci', dev: '0000:06:00.0', index: 4294967295 });
  });

  it('port handles read in one scan (plainPortHandle) are what the full checks make of them; the rest is left to those', () => {
    // what parsePortHandle accepts, written here independently: three parts, plain names, a decimal 32-bit index
    const reference = (h: string): { bus: string; dev: string; index: number } | undefined => {
      const parts = h.split('/');
      if (parts.length !== 3 || !parts.every((p) => /^[\w.:-]+$/.test(p)) || !/^\d+$/.test(parts[2])) return undefined;
      const index = Number(parts[2]);
      return index > 0xffffffff ? undefined : { bus: parts[0], dev: parts[1], index };
    };
    const fixed = [
      'pci/0000:06:00.0/32768', 'netdevsim/netdevsim10/0', 'a/b/4294967295', 'a/b/4294967296', 'a/b/00000000007', 'a/b/0042',
      'pci/0000:06:00.0', 'pci/0000:06:00.0/', '/0000:06:00.0/1', 'pci//1', 'pci/x/1/2', 'pci/x/-1', 'pci/x/1a', 'pci/x/ 1',
      'pci/dév/1', 'pci/x\0/1', 'pci/a b/1', 'A_b.c-d:e/Z9/9', '', '///', 'pci/x/99999999999',
    ];
    let seed = 7;
    const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const alphabet = ['a', 'Z', '0', '9', '/', '/', '.', ':', '-', '_', ' ', 'é', '\0', '\t', '1', '5'];
    const chars = (n: number, from: readonly string[]): string => Array.from({ length: n }, () => from[rand(from.length)]).join('');
    const digits = ['0', '1', '5', '9', '9', 'x'];
    const plainChars = ['a', 'Z', '0', '.', ':', '-', '_'];
    // mostly BUS/DEV/INDEX shaped (some plain, some not), the rest anything
    const random = Array.from({ length: 3000 }, () => (rand(4) === 0
      ? chars(1 + rand(14), alphabet)
      : `${chars(rand(6), rand(3) ? plainChars : alphabet)}/${chars(rand(6), rand(3) ? plainChars : alphabet)}/${chars(rand(12), digits)}`));
    let plain = 0;
    for (const h of [...fixed, ...random]) {
      const fast = plainPortHandle(h);
      const ref = reference(h);
      if (fast !== undefined) {
        plain++;
        assert.deepEqual(fast, ref, h);
      }
      // the full checks also take what the scan leaves (more than 10 digits with leading zeros, names such as "dév")
      if (ref !== undefined) assert.deepEqual(parsePortHandle(h), ref, h);
      else if (fast === undefined) {
        try {
          parsePortHandle(h);
        } catch (e) {
          assert.ok(e instanceof ValidationError && e.field === 'port', h);
        }
      }
    }
    assert.ok(plain > 300, `only ${plain} inputs took the one-scan path`);
    assert.equal(plainPortHandle('a/b/00000000007'), undefined);
    assert.deepEqual(parsePortHandle('a/b/00000000007'), { bus: 'a', dev: 'b', index: 7 });
  });

  it('requests share one writer: a refused value or a request built meanwhile leaves no trace in the next', () => {
    const good = (): string => devlinkRequest(FAMILY, Cmd.PORT_GET, portAttrs(port)).toString('hex');
    const expected = good();
    assert.throws(() => devlinkRequest(FAMILY, Cmd.PORT_GET, { ...portAttrs(port), portIndex: -1 }), ValidationError);
    assert.equal(good(), expected);
    // a getter of the attributes building a request of its own while the first is being encoded
    let inner = '';
    const attrs = { busName: 'pci', get devName(): string { inner = good(); return '0000:06:00.0'; }, portIndex: 1 };
    assert.equal(devlinkRequest(FAMILY, Cmd.PORT_GET, attrs).toString('hex'), expected);
    assert.equal(inner, expected);
    const a = devlinkRequest(FAMILY, Cmd.PORT_GET, portAttrs(port));
    const b = devlinkRequest(FAMILY, Cmd.PORT_GET, portAttrs(parsePortHandle('pci/0000:06:00.0/2')));
    assert.notEqual(a.buffer === b.buffer && a.byteOffset === b.byteOffset, true, 'each request has bytes of its own');
    assert.equal(a.toString('hex'), expected);
  });

  it('MAC addresses: six octets, unicast', () => {
    refuses(() => parseMac('00:00:00:00:88'), 'hwAddr');
    refuses(() => parseMac('00:00:00:00:88:88:00'), 'hwAddr');
    refuses(() => parseMac('00:00:00:00:88:zz'), 'hwAddr');
    refuses(() => parseMac('01:00:5e:00:00:01'), 'hwAddr');
    refuses(() => parseMac(0x888800000000), 'hwAddr');
    assert.equal(parseMac('02-AA-bb-0:1:2').toString('hex'), '02aabb000102');
  });

  it('pfnum u16, sfnum and controller u32, flavour names', () => {
    refuses(() => addPortAttrs(dev, { flavour: 'pcisf', pfnum: 65536, sfnum: 1 }), 'pfnum');
    refuses(() => addPortAttrs(dev, { flavour: 'pcisf', pfnum: -1, sfnum: 1 }), 'pfnum');
    refuses(() => addPortAttrs(dev, { flavour: 'pcisf', pfnum: 0, sfnum: 2 ** 32 }), 'sfnum');
    refuses(() => addPortAttrs(dev, { flavour: 'pcisf', pfnum: 0, sfnum: 1.5 }), 'sfnum');
    // no sfnum is the driver's to judge (ice picks one; mlx5 refuses): the devlink core lets it through
    assert.equal(addPortAttrs(dev, { flavour: 'pcisf', pfnum: 0 }).portPciSfNumber, undefined);
    refuses(() => addPortAttrs(dev, { flavour: 'pcisf', pfnum: 0, sfnum: 1, controller: -1 }), 'controller');
    refuses(() => addPortAttrs(dev, { flavour: 'pcisub' as 'pcisf', pfnum: 0, sfnum: 1 }), 'flavour');
  });

  it('function states and settings', () => {
    refuses(() => portFunctionAttrs(port, { state: 'up' as 'active' }), 'state');
    refuses(() => portFunctionAttrs(port, { hwAddr: 'ff:ff:ff:ff:ff:ff' }), 'hwAddr');
    refuses(() => portFunctionAttrs(port, {}), 'settings');
    refuses(() => portFunctionAttrs(port, { roce: 'yes' as unknown as boolean }), 'roce');
    refuses(() => portFunctionAttrs(port, { maxIoEqs: -2 }), 'maxIoEqs');
    refuses(() => eswitchAttrs(dev, { mode: 'switch' as 'switchdev' }), 'mode');
    refuses(() => eswitchAttrs(dev, {}), 'settings');
    refuses(() => rateSettingsAttrs({ txShare: -1 }), 'txShare');
  });
});

describe('fast paths give the same answers', () => {
  it('formatMac: every byte value, lower-case pairs joined by colons', async () => {
    const { formatMac } = await import('../src/devlink/handle.js');
    for (let v = 0; v < 256; v++) assert.equal(formatMac(Uint8Array.of(v, 0, 255)), `${v.toString(16).padStart(2, '0')}:00:ff`);
    assert.equal(formatMac(new Uint8Array(0)), '');
    assert.equal(formatMac(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3)), 'de:ad:be:ef:00:01:02:03');
  });
  it('nameFault: the plain-name fast path never lets a bad name through', async () => {
    const { nameFault } = await import('../src/devlink/handle.js');
    for (const ok of ['pci', '0000:06:00.0', 'netdevsim10', 'mlx5_core.sf.4', 'a-b']) assert.equal(nameFault(ok), undefined, ok);
    for (const bad of ['', 'a/b', 'a b', 'a\0', 'x\t']) assert.notEqual(nameFault(bad), undefined, JSON.stringify(bad));
    assert.equal(nameFault('é'), undefined, 'a name outside the fast path is still checked the long way');
  });
});
