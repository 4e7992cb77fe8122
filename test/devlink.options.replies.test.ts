// The other side of issue 11 item 5: what the checks accept still works (nested caps,
// call options among a method's own, handles up to the kernel's bound), and a malformed
// identity in the kernel's reply is the kernel's fault (ProtocolError), not a
// ValidationError that names the caller's field.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { MAX_NAME_BYTES, parseDevHandle, parsePortHandle } from '../src/devlink/handle';
import { devlinkRequest, paramSetRequest, portFunctionAttrs } from '../src/devlink/requests';
import { ProtocolError } from '../src/genl/errors';
import { Simulator } from '../src/sim';
import { nla, strz, u32, u16 } from './helpers/bytes';
import { FakeKernel, FakeRequest, Handler, multipart, nlctrl, replyMsg } from './helpers/fake-kernel';

const PF0 = 'pci/0000:06:00.0';
const DEVLINK_ID = 0x1b;
// <linux/devlink.h>, spelled out
const CMD_GET = 1;
const CMD_NEW = 3;
const CMD_PORT_GET = 5;
const CMD_PORT_NEW = 7;
const CMD_PARAM_GET = 38;
const CMD_RATE_GET = 74;
const CMD_RATE_NEW = 76;
const ATTR_BUS_NAME = 1;
const ATTR_DEV_NAME = 2;
const ATTR_PORT_INDEX = 3;
const ATTR_PORT_TYPE = 4;
const ATTR_PARAM = 80;
const ATTR_RATE_TYPE = 165;
const ATTR_RATE_NODE_NAME = 168;

describe('devlink options: what is accepted', () => {
  it('caps nested as the port reports them encode as the flat keys do, by hand: value roce, selector roce|migratable', () => {
    const port = parsePortHandle(`${PF0}/32768`);
    const hex = (b: Buffer): string => b.toString('hex');
    const nested = devlinkRequest(0x1f, 6, portFunctionAttrs(port, { caps: { roce: true, migratable: false } }));
    // BUS_NAME "pci", DEV_NAME "0000:06:00.0", PORT_INDEX 32768, PORT_FUNCTION (145|NLA_F_NESTED) { CAPS bitfield32 }
    const attrs = '08000100 70636900' + '11000200 303030303a30363a30302e3000000000' + '08000300 00800000' +
      '10009180' + '0c000400 01000000 03000000';
    assert.equal(hex(nested).slice(40), attrs.replace(/\s+/g, ''));
    assert.equal(hex(devlinkRequest(0x1f, 6, portFunctionAttrs(port, { roce: true, migratable: false }))), hex(nested));
    assert.equal(hex(devlinkRequest(0x1f, 6, portFunctionAttrs(port, { roce: true, caps: { roce: true, migratable: false } }))), hex(nested));
  });

  it('handle names up to 65530 bytes (nla_len u16 less header and NUL), counted in UTF-8 bytes', () => {
    assert.equal(MAX_NAME_BYTES, 65530);
    assert.equal(parseDevHandle(`pci/${'x'.repeat(65530)}`).dev.length, 65530);
    assert.throws(() => parseDevHandle(`pci/${'x'.repeat(65531)}`), (e: unknown) => e instanceof ValidationError && e.field === 'dev');
    // 32766 characters, 65532 bytes
    assert.throws(() => parsePortHandle(`pci/${'é'.repeat(32766)}/1`), (e: unknown) => e instanceof ValidationError && e.field === 'port');
    assert.equal(parseDevHandle(`pci/${'é'.repeat(32765)}`).dev.length, 32765);
  });

  it('a string parameter value up to 31 bytes (__DEVLINK_PARAM_MAX_STRING_VALUE 32, NUL included)', () => {
    const PARAM_TYPE_STRING = 5; // DEVLINK_PARAM_TYPE_STRING = NLA_NUL_STRING
    const dev = parseDevHandle(PF0);
    assert.ok(paramSetRequest(0x1f, dev, 'fw_load_policy', PARAM_TYPE_STRING, 'x'.repeat(31), 'runtime').length > 0);
    assert.throws(() => paramSetRequest(0x1f, dev, 'fw_load_policy', PARAM_TYPE_STRING, 'é'.repeat(16), 'runtime'),
      (e: unknown) => e instanceof ValidationError && e.field === 'value' && /longer than 31 bytes/.test(e.message));
  });

  describe('against the simulator (current kernel)', () => {
    let sim: Simulator;
    let dl: Devlink;
    before(async () => {
      sim = new Simulator({ kernel: 'current', devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }] });
      dl = await Devlink.open({ transport: sim.transport() });
    });
    after(async () => {
      await dl.close();
      await sim.close();
    });

    it('setPortFunction({ caps: { roce: false } }) is applied, as { roce: false } is', async () => {
      const port = await dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 7 }, { timeoutMs: 5000 });
      assert.equal((await dl.port(port.handle)).function?.caps?.roce, true);
      await dl.setPortFunction(port.handle, { caps: { roce: false } }, { timeoutMs: 5000 });
      assert.equal((await dl.port(port.handle)).function?.caps?.roce, false);
      await dl.setPortFunction(port.handle, { roce: true });
      assert.equal((await dl.port(port.handle)).function?.caps?.roce, true);
      await dl.deletePort(port.handle);
    });

    it("call options among a method's own options: the method's keys are taken out, the call's passed on", async () => {
      const signal = new AbortController().signal;
      assert.ok((await dl.ports({ dev: PF0, timeoutMs: 5000, signal })).length > 0);
      assert.ok(Array.isArray(await dl.params({ dev: PF0, timeoutMs: 5000 })));
      assert.ok(Array.isArray(await dl.rates({ signal })));
    });
  });
});

/** A fake kernel with a devlink family whose devlink answers come from `answer`. */
async function openWith(answer: Handler): Promise<Devlink> {
  const ctrl = nlctrl([{ id: DEVLINK_ID, name: 'devlink', version: 1, maxattr: 200 }]);
  const kernel = new FakeKernel({ handler: (req, k) => (req.type === DEVLINK_ID ? answer(req, k) : ctrl(req, k)) });
  return Devlink.open({ transport: kernel });
}

const handle = (bus: string, dev: string): Buffer[] => [nla(ATTR_BUS_NAME, strz(bus)), nla(ATTR_DEV_NAME, strz(dev))];
const port = (bus: string, dev: string, index?: number): Buffer[] =>
  [...handle(bus, dev), ...(index !== undefined ? [nla(ATTR_PORT_INDEX, u32(index))] : []), nla(ATTR_PORT_TYPE, u16(2))];

function isProtocolError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ProtocolError && !(e instanceof ValidationError) && e.code === 'EPROTO' && pattern.test(e.message);
}

describe('devlink replies with an identity that makes no handle: ProtocolError', () => {
  const cases: readonly (readonly [string, Handler, (dl: Devlink) => Promise<unknown>, RegExp])[] = [
    ['a port whose bus name has a "/"', (req: FakeRequest) => replyMsg(req, port('pc/i', '0000:06:00.0', 1), { cmd: CMD_PORT_NEW }),
      (dl) => dl.port(`${PF0}/1`), /BUS_NAME that contains a "\/"/],
    ['a port without its index', (req: FakeRequest) => replyMsg(req, port('pci', '0000:06:00.0'), { cmd: CMD_PORT_NEW }),
      (dl) => dl.port(`${PF0}/1`), /no DEVLINK_ATTR_PORT_INDEX/],
    ['a device without its bus name', (req: FakeRequest) => replyMsg(req, [nla(ATTR_DEV_NAME, strz('0000:06:00.0'))], { cmd: CMD_NEW }),
      (dl) => dl.device(PF0), /no DEVLINK_ATTR_BUS_NAME/],
    ['a device dump with one empty device name', (req: FakeRequest) => multipart(req, [handle('pci', '0000:06:00.0'), handle('pci', '')]),
      (dl) => dl.devices(), /DEV_NAME that is empty/],
    ['a port dump with a tab in one device name', (req: FakeRequest) => multipart(req, [port('pci', '0000:06:00.0', 1), port('pci', 'a\tb', 1)]),
      (dl) => dl.ports(), /DEV_NAME that contains white space/],
    ['a rate node whose name has white space', (req: FakeRequest) =>
      replyMsg(req, [...handle('pci', '0000:06:00.0'), nla(ATTR_RATE_TYPE, u16(1)), nla(ATTR_RATE_NODE_NAME, strz('group 1'))], { cmd: CMD_RATE_NEW }),
    (dl) => dl.rate(`${PF0}/group1`), /RATE_NODE_NAME that contains/],
    ['a parameter without its name', (req: FakeRequest) =>
      replyMsg(req, [...handle('pci', '0000:06:00.0'), nla(ATTR_PARAM, [])], { cmd: CMD_PARAM_GET }),
    (dl) => dl.param(PF0, 'max_macs'), /no DEVLINK_ATTR_PARAM_NAME/],
  ];
  for (const [what, answer, call, pattern] of cases) {
    it(what, async () => {
      const dl = await openWith(answer);
      try {
        await assert.rejects(call(dl), isProtocolError(pattern));
      } finally {
        await dl.close();
      }
    });
  }

  it('the same replies with good names decode (the fake kernel is not what fails)', async () => {
    const dl = await openWith((req) => {
      if (req.cmd === CMD_GET) return multipart(req, [handle('pci', '0000:06:00.0')]);
      if (req.cmd === CMD_RATE_GET) {
        return replyMsg(req, [...handle('pci', '0000:06:00.0'), nla(ATTR_RATE_TYPE, u16(1)), nla(ATTR_RATE_NODE_NAME, strz('group1'))], { cmd: CMD_RATE_NEW });
      }
      if (req.cmd === CMD_PORT_GET) return replyMsg(req, port('pci', '0000:06:00.0', 1), { cmd: CMD_PORT_NEW });
      return undefined;
    });
    try {
      assert.equal((await dl.port(`${PF0}/1`)).handle, `${PF0}/1`);
      assert.deepEqual((await dl.devices()).map((d) => d.handle), [PF0]);
      assert.equal((await dl.rate(`${PF0}/group1`)).handle, `${PF0}/group1`);
    } finally {
      await dl.close();
    }
  });
});
