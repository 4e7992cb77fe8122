// Options objects of the Devlink methods are input like any other (issue 11 item 5):
// a misspelt key, a value of the wrong type or range, a string where an object is
// expected are each a ValidationError naming the field, and nothing reaches the kernel.
// The kernel here is a fake that knows only nlctrl: a devlink request reaching it would
// be recorded (and refused with EOPNOTSUPP), so "nothing sent" is seen on its side.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { FakeKernel, nlctrl } from './helpers/fake-kernel';

const PF0 = 'pci/0000:06:00.0';
const PORT = `${PF0}/32768`;
const DEVLINK_ID = 0x1b;

/** A Devlink on a fake kernel that answers the family lookup and nothing else. */
async function openFake(): Promise<{ dl: Devlink; kernel: FakeKernel }> {
  const kernel = new FakeKernel({ handler: nlctrl([{ id: DEVLINK_ID, name: 'devlink', version: 1, maxattr: 200 }]) });
  return { dl: await Devlink.open({ transport: kernel }), kernel };
}

type Call = (dl: Devlink) => Promise<unknown>;

/** Loosen a typed argument for a call the type checker would refuse (that is the point). */
function as<T>(v: unknown): T {
  return v as T;
}

/**
 * One refused call per line: what it is, the call, the field the error must name, and a
 * pattern its message must match (the suggestion for a misspelt key, say).
 */
const REFUSED: readonly (readonly [string, Call, string, RegExp?])[] = [
  // call options alone
  ['devices: misspelt timeoutMs', (dl) => dl.devices(as({ timeout: 5 })), 'timeout', /did you mean "timeoutMs"/],
  ['devices: not an object', (dl) => dl.devices(as('fast')), 'options'],
  ['device: misspelt signal', (dl) => dl.device(PF0, as({ sginal: undefined })), 'sginal', /did you mean "signal"/],
  ['device: handle not a string', (dl) => dl.device(as(6)), 'dev'],
  ['info: misspelt timeoutMs', (dl) => dl.info(PF0, as({ timeoutMS: 5 })), 'timeoutMS', /did you mean "timeoutMs"/],
  ['info: handle with three parts', (dl) => dl.info(PORT), 'dev'],
  ['infos: unknown key', (dl) => dl.infos(as({ dev: PF0 })), 'dev', /known: timeoutMs, signal/],
  ['infos: an array', (dl) => dl.infos(as([1])), 'options'],
  ['eswitch: misspelt key', (dl) => dl.eswitch(PF0, as({ timeoutMs: 5, signall: undefined })), 'signall'],
  ['eswitch: options a number', (dl) => dl.eswitch(PF0, as(5)), 'options'],
  // setEswitch: settings and call options
  ['setEswitch: misspelt mode', (dl) => dl.setEswitch(PF0, as({ mdoe: 'switchdev' })), 'mdoe', /did you mean "mode"/],
  ['setEswitch: a call option among the settings', (dl) => dl.setEswitch(PF0, as({ mode: 'switchdev', timeoutMs: 5 })), 'timeoutMs'],
  ['setEswitch: mode a number', (dl) => dl.setEswitch(PF0, as({ mode: 1 })), 'mode'],
  ['setEswitch: settings a string', (dl) => dl.setEswitch(PF0, as('switchdev')), 'options'],
  ['setEswitch: misspelt call option', (dl) => dl.setEswitch(PF0, { mode: 'switchdev' }, as({ timout: 5 })), 'timout'],
  // reload
  ['reload: misspelt action', (dl) => dl.reload(PF0, as({ acton: 'driver_reinit' })), 'acton', /did you mean "action"/],
  ['reload: unknown action', (dl) => dl.reload(PF0, as({ action: 'reboot' })), 'action'],
  ['reload: limit not a string', (dl) => dl.reload(PF0, as({ limit: true })), 'limit'],
  ['reload: options a string', (dl) => dl.reload(PF0, as('driver_reinit')), 'options'],
  // params
  ['params: misspelt dev', (dl) => dl.params(as({ dve: PF0 })), 'dve', /did you mean "dev"/],
  ['params: dev a number', (dl) => dl.params(as({ dev: 6 })), 'dev'],
  ['param: misspelt call option', (dl) => dl.param(PF0, 'max_macs', as({ timeoutms: 5 })), 'timeoutms', /did you mean "timeoutMs"/],
  ['param: empty name', (dl) => dl.param(PF0, ''), 'name'],
  ['param: name not a string', (dl) => dl.param(PF0, as(7)), 'name'],
  ['param: name with a NUL', (dl) => dl.param(PF0, 'max\0macs'), 'name'],
  ['setParam: misspelt cmode', (dl) => dl.setParam(PF0, 'max_macs', 1, as({ cmod: 'runtime' })), 'cmod', /did you mean "cmode"/],
  ['setParam: unknown cmode', (dl) => dl.setParam(PF0, 'max_macs', 1, as({ cmode: 'now' })), 'cmode'],
  ['setParam: no options', (dl) => dl.setParam(PF0, 'max_macs', 1, as(undefined)), 'cmode'],
  ['setParam: value an object', (dl) => dl.setParam(PF0, 'max_macs', as({ v: 1 }), { cmode: 'runtime' }), 'value'],
  // ports
  ['ports: misspelt dev', (dl) => dl.ports(as({ Dev: PF0 })), 'Dev', /did you mean "dev"/],
  ['ports: dev a port handle', (dl) => dl.ports({ dev: PORT }), 'dev'],
  ['port: misspelt call option', (dl) => dl.port(PORT, as({ timeOut: 5 })), 'timeOut'],
  ['port: handle a number', (dl) => dl.port(as(32768)), 'port'],
  ['port: index past u32', (dl) => dl.port(`${PF0}/4294967296`), 'port'],
  ['port: neither a handle nor a netdev name', (dl) => dl.port('eth with spaces'), 'port'],
  ['addPort: misspelt controller', (dl) => dl.addPort(PF0, as({ flavour: 'pcisf', pfnum: 0, sfnum: 1, contoller: 1 })),
    'contoller', /did you mean "controller"/],
  ['addPort: pfnum a string', (dl) => dl.addPort(PF0, as({ flavour: 'pcisf', pfnum: '0', sfnum: 1 })), 'pfnum'],
  ['addPort: options a string', (dl) => dl.addPort(PF0, as('pcisf')), 'options'],
  ['addPort: misspelt call option', (dl) => dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 1 }, as({ sigal: undefined })), 'sigal'],
  ['deletePort: misspelt call option', (dl) => dl.deletePort(PORT, as({ timeoutMsec: 1 })), 'timeoutMsec'],
  ['deletePort: device handle', (dl) => dl.deletePort(PF0), 'port'],
  // setPortFunction: flat and nested capabilities
  ['setPortFunction: misspelt hwAddr', (dl) => dl.setPortFunction(PORT, as({ hwaddr: '00:00:00:00:88:88', maxIoEqs: 4 })), 'hwaddr', /did you mean "hwAddr"/],
  ['setPortFunction: hw_addr as iproute2 spells it', (dl) => dl.setPortFunction(PORT, as({ hw_addr: '00:00:00:00:88:88' })),
    'hw_addr', /did you mean "hwAddr"/],
  ['setPortFunction: caps a string', (dl) => dl.setPortFunction(PORT, as({ caps: 'roce' })), 'caps', /expected an object/],
  ['setPortFunction: caps an array', (dl) => dl.setPortFunction(PORT, as({ caps: ['roce'] })), 'caps'],
  ['setPortFunction: misspelt capability', (dl) => dl.setPortFunction(PORT, as({ caps: { rocee: true } })), 'caps.rocee', /did you mean "roce"/],
  ['setPortFunction: capability not a boolean', (dl) => dl.setPortFunction(PORT, as({ caps: { roce: 'yes' } })), 'caps.roce'],
  ['setPortFunction: flat and nested disagree', (dl) => dl.setPortFunction(PORT, { roce: true, caps: { roce: false } }), 'roce'],
  ['setPortFunction: flat capability a number', (dl) => dl.setPortFunction(PORT, as({ migratable: 1 })), 'migratable'],
  ['setPortFunction: maxIoEqs negative', (dl) => dl.setPortFunction(PORT, { maxIoEqs: -1 }), 'maxIoEqs'],
  ['setPortFunction: state a boolean', (dl) => dl.setPortFunction(PORT, as({ state: true })), 'state'],
  ['setPortFunction: settings a string', (dl) => dl.setPortFunction(PORT, as('active')), 'options'],
  ['setPortFunction: misspelt call option', (dl) => dl.setPortFunction(PORT, { state: 'active' }, as({ timeout: 1 })), 'timeout'],
  // port type and split
  ['setPortType: unknown type', (dl) => dl.setPortType(PORT, as('ethernet')), 'type'],
  ['setPortType: misspelt call option', (dl) => dl.setPortType(PORT, 'eth', as({ singal: undefined })), 'singal'],
  ['splitPort: count not an integer', (dl) => dl.splitPort(PORT, 1.5), 'count'],
  ['splitPort: misspelt call option', (dl) => dl.splitPort(PORT, 2, as({ timeoutMs: 5, x: 1 })), 'x'],
  ['unsplitPort: misspelt call option', (dl) => dl.unsplitPort(PORT, as({ Signal: undefined })), 'Signal', /did you mean "signal"/],
  // rates
  ['rates: misspelt dev', (dl) => dl.rates(as({ devs: PF0 })), 'devs', /did you mean "dev"/],
  ['rate: misspelt call option', (dl) => dl.rate(PORT, as({ tmeoutMs: 5 })), 'tmeoutMs'],
  ['rate: two parts', (dl) => dl.rate(PF0), 'rate'],
  ['addRateNode: a leaf handle', (dl) => dl.addRateNode(PORT), 'rate', /names a leaf/],
  ['addRateNode: misspelt txShare', (dl) => dl.addRateNode(`${PF0}/group1`, as({ txshare: 1000 })), 'txshare', /did you mean "txShare"/],
  ['addRateNode: parent a number', (dl) => dl.addRateNode(`${PF0}/group1`, as({ parent: 1 })), 'parent'],
  ['addRateNode: parent with a slash', (dl) => dl.addRateNode(`${PF0}/group1`, { parent: 'a/b' }), 'parent'],
  ['setRate: tx_max as iproute2 spells it', (dl) => dl.setRate(PORT, as({ tx_max: 1000 })), 'tx_max', /did you mean "txMax"/],
  ['setRate: txMax negative', (dl) => dl.setRate(PORT, { txMax: -1 }), 'txMax'],
  ['setRate: txWeight a string', (dl) => dl.setRate(PORT, as({ txWeight: '5' })), 'txWeight'],
  ['setRate: settings a number', (dl) => dl.setRate(PORT, as(1000)), 'options'],
  ['deleteRateNode: misspelt call option', (dl) => dl.deleteRateNode(`${PF0}/group1`, as({ signl: undefined })), 'signl'],
  ['setRate: a traffic class past 7', (dl) => dl.setRate(PORT, { tcBws: [{ index: 8, bw: 1 }] }), 'tcBws[0].index'],
  ['setRate: tcBws an object', (dl) => dl.setRate(PORT, as({ tcBws: { index: 0, bw: 1 } })), 'tcBws'],
  ['setRate: a misspelt tcBws key', (dl) => dl.setRate(PORT, as({ tcBws: [{ index: 0, bandwidth: 1 }] })), 'tcBws[0].bandwidth'],
  ['setNotifyFilter: a device and a port', (dl) => dl.setNotifyFilter({ dev: PF0, port: PORT }), 'port'],
  ['setNotifyFilter: misspelt dev', (dl) => dl.setNotifyFilter(as({ device: PF0 })), 'device'],
];

describe('devlink options: checked before anything is sent', () => {
  let dl: Devlink;
  let kernel: FakeKernel;
  before(async () => {
    ({ dl, kernel } = await openFake());
  });
  after(() => dl.close());

  for (const [what, call, field, message] of REFUSED) {
    it(`${what}: ValidationError on ${field}`, async () => {
      const before = kernel.requests.length;
      await assert.rejects(call(dl), (e: unknown) => {
        assert.ok(e instanceof ValidationError, `${String(e)}`);
        assert.equal(e.field, field);
        if (message) assert.match(e.message, message);
        return true;
      });
      assert.equal(kernel.requests.length, before, 'a request reached the kernel');
    });
  }

  it('every method of the typed API has a refused case above', () => {
    const methods = [
      'devices', 'device', 'info', 'infos', 'eswitch', 'setEswitch', 'reload', 'params', 'param', 'setParam', 'ports', 'port',
      'addPort', 'deletePort', 'setPortFunction', 'setPortType', 'splitPort', 'unsplitPort', 'rates', 'rate', 'addRateNode',
      'setRate', 'deleteRateNode', 'setNotifyFilter',
    ];
    for (const m of methods) assert.ok(REFUSED.some(([what]) => what.startsWith(`${m}:`)), m);
  });
});

describe('devlink options: long handles', () => {
  let dl: Devlink;
  let kernel: FakeKernel;
  before(async () => {
    ({ dl, kernel } = await openFake());
  });
  after(() => dl.close());

  const long = 'x'.repeat(70_000);
  const cases: readonly (readonly [string, Call, string])[] = [
    ['a device', (d) => d.device(`pci/${long}`), 'dev'],
    ['a port', (d) => d.setPortFunction(`pci/${long}/1`, { state: 'active' }), 'port'],
    ['a port index of 70,000 digits', (d) => d.deletePort(`pci/0000:06:00.0/${'9'.repeat(70_000)}`), 'port'],
    ['a netdev name', (d) => d.port(long), 'port'],
    ['a rate node', (d) => d.addRateNode(`pci/0000:06:00.0/${long}`), 'rate'],
    ['a ports filter', (d) => d.ports({ dev: `${long}/x` }), 'dev'],
    ['a parameter name', (d) => d.param(PF0, long), 'name'],
  ];
  for (const [what, call, field] of cases) {
    it(`${what} of 70,000 characters: the field named, a short message, nothing sent`, async () => {
      const before = kernel.requests.length;
      await assert.rejects(call(dl), (e: unknown) => e instanceof ValidationError && e.field === field && e.message.length < 400);
      assert.equal(kernel.requests.length, before);
    });
  }
});
