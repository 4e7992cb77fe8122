// Health reporters: requests against bytes written out by hand from <linux/devlink.h>
// (HEALTH_REPORTER_NAME 115, GRACEFUL_PERIOD 120 u64, AUTO_RECOVER 121 u8, AUTO_DUMP 141
// u8) in iproute2's dl_opts_put order; replies and formatted messages built by hand and
// decoded; then the whole surface on the simulator's mlx5 PF and SF (health.c,
// en/reporter_tx.c: fw, fw_fatal, tx, rx with their grace periods), and the CLI.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError } from '../src/devlink/errors';
import { FmsgObject, fmsgItems, fmsgTree } from '../src/devlink/fmsg';
import { fmsgFrom, healthSetAttrs, reporterAttrs, reporterFrom, HealthReporter } from '../src/devlink/health';
import { decodeMessage } from '../src/devlink/decode';
import { devlinkRequest } from '../src/devlink/requests';
import { ProtocolError } from '../src/genl/errors';
import { forEachMessage, NlMsg } from '../src/genl/message';
import type { DevlinkEvent } from '../src/devlink/types';
import { Simulator } from '../src/sim';
import { cat, genlmsg, nla, strz, u32, u64 } from './helpers/bytes';
import { PF0, simSession } from './cli.helpers';
import { Printer } from '../src/cli/output';
import { printFmsgItems } from '../src/cli/print-health';

const FAMILY = 0x1f;
const HANDLE = [nla(1, strz('pci')), nla(2, strz('0000:06:00.0'))];
const hex = (cmd: number, ...attrs: Buffer[]): string => genlmsg({ type: FAMILY, flags: 0x05 }, cmd, 1, [...HANDLE, ...attrs]).toString('hex');

function msgOf(b: Buffer): NlMsg {
  let out: NlMsg | undefined;
  forEachMessage(b, (m) => (out = m));
  return out!;
}

describe('devlink health: request bytes', () => {
  it('a device reporter: handle, then HEALTH_REPORTER_NAME', () => {
    assert.equal(devlinkRequest(FAMILY, 54, reporterAttrs(PF0, 'fw_fatal')).toString('hex'), hex(54, nla(115, strz('fw_fatal'))));
  });

  it('a port reporter: PORT_INDEX between the handle and the name', () => {
    assert.equal(devlinkRequest(FAMILY, 55, reporterAttrs(`${PF0}/65535`, 'tx')).toString('hex'),
      hex(55, nla(3, u32(65535)), nla(115, strz('tx'))));
  });

  it('set: GRACEFUL_PERIOD u64, AUTO_RECOVER u8, AUTO_DUMP u8, in that order whatever the object\'s', () => {
    const a = healthSetAttrs(PF0, 'fw_fatal', { autoDump: false, autoRecover: true, gracePeriodMs: 1500 });
    assert.equal(devlinkRequest(FAMILY, 53, a).toString('hex'),
      hex(53, nla(115, strz('fw_fatal')), nla(120, u64(1500n)), nla(121, [1]), nla(141, [0])));
  });

  const refused: [string, () => unknown, string][] = [
    ['a handle that is not a string', () => reporterAttrs(7, 'fw'), 'handle'],
    ['a handle with too many parts', () => reporterAttrs('pci/a/1/2', 'fw'), 'handle'],
    ['an empty reporter name', () => reporterAttrs(PF0, ''), 'reporter'],
    ['a reporter name with NUL', () => reporterAttrs(PF0, 'f\0w'), 'reporter'],
    ['a misspelt setting', () => healthSetAttrs(PF0, 'fw', { gracePeriod: 5 } as never), 'settings.gracePeriod'],
    ['a negative grace period', () => healthSetAttrs(PF0, 'fw', { gracePeriodMs: -1 }), 'gracePeriodMs'],
    ['autoRecover not a boolean', () => healthSetAttrs(PF0, 'fw', { autoRecover: 'yes' as never }), 'autoRecover'],
    ['nothing to set', () => healthSetAttrs(PF0, 'fw', {}), 'settings'],
  ];
  for (const [what, f, field] of refused) {
    it(`refused before sending: ${what}`, () => {
      assert.throws(f, (e: unknown) => e instanceof ValidationError && e.field === field);
    });
  }
});

// fmsg items as devlink_fmsg_prepare_skb writes them
const OBJ = nla(107);
const PAIR = nla(108);
const ARR = nla(109);
const END = nla(110);
const name = (s: string): Buffer => nla(111, strz(s));
const val = (type: number, data: number[]): Buffer => cat(nla(112, [type]), nla(113, data));

describe('devlink health: formatted messages', () => {
  // { "Syndrome": 7, "SQs": [ { "sqn": 9, "stopped": true } ], "raw": <01 02>, "big": 2^40 }
  const stream = [
    OBJ,
    PAIR, name('Syndrome'), val(1, [7]), END,
    PAIR, name('SQs'), ARR, OBJ, PAIR, name('sqn'), val(3, u32(9)), END, PAIR, name('stopped'), val(6, [1]), END, END, END, END,
    PAIR, name('raw'), val(11, [1, 2]), END,
    PAIR, name('big'), val(4, u64(1n << 40n)), END,
    PAIR, name('text'), val(10, strz('ok')), END,
    END,
  ];

  it('a stream read into an ordered tree, values by their kind', () => {
    const t = fmsgTree(fmsgItems(cat(...stream)));
    assert.deepEqual(t.entries.map(([n]) => n), ['Syndrome', 'SQs', 'raw', 'big', 'text']);
    assert.equal(t.get('Syndrome'), 7);
    const sqs = t.get('SQs') as FmsgObject[];
    assert.equal(sqs.length, 1);
    assert.deepEqual(sqs[0].entries, [['sqn', 9], ['stopped', true]]);
    assert.deepEqual(t.get('raw'), Buffer.from([1, 2]));
    assert.equal(t.get('big'), 1n << 40n);
    assert.equal(t.get('text'), 'ok');
  });

  it('a stream cut across messages (as devlink_fmsg_snd does) reads as one', () => {
    const m1 = msgOf(genlmsg({ type: FAMILY, flags: 2 }, 55, 1, [...HANDLE, nla(106, cat(...stream.slice(0, 7)))]));
    const m2 = msgOf(genlmsg({ type: FAMILY, flags: 2 }, 55, 1, [nla(106, cat(...stream.slice(7)))]));
    assert.deepEqual(fmsgFrom([m1, m2]).entries.map(([n]) => n), ['Syndrome', 'SQs', 'raw', 'big', 'text']);
  });

  const broken: [string, Buffer[]][] = [
    ['a nest left open', [OBJ, PAIR, name('x'), val(1, [1]), END]],
    ['an end too many', [OBJ, END, END]],
    ['a value outside a pair', [OBJ, val(1, [1]), END]],
    ['a pair without a value', [OBJ, PAIR, name('x'), END, END]],
    ['a value of unknown type', [OBJ, PAIR, name('x'), val(99, [1]), END, END]],
    ['a u32 value of two bytes', [OBJ, PAIR, name('x'), val(3, [1, 2]), END, END]],
  ];
  for (const [what, items] of broken) {
    it(`the kernel's fault, a ProtocolError: ${what}`, () => {
      assert.throws(() => fmsgTree(fmsgItems(cat(...items))), ProtocolError);
    });
  }
});

describe('devlink health: a reporter as the kernel fills it', () => {
  it('port reporter with every attribute (devlink_nl_health_reporter_fill order)', () => {
    const m = msgOf(genlmsg({ type: FAMILY }, 52, 1, [...HANDLE, nla(3, u32(65535)), nla(114, cat(
      nla(115, strz('tx')), nla(116, [1]), nla(117, u64(3n)), nla(118, u64(2n)), nla(120, u64(500n)), nla(121, [1]),
      nla(119, u64(1234n)), nla(137, u64(5n * 10n ** 18n)), nla(141, [0]),
    ))]));
    const r = reporterFrom(decodeMessage(m));
    assert.deepEqual(r, {
      handle: `${PF0}/65535`, dev: PF0, port: 65535, name: 'tx', state: 'error', errorCount: 3n, recoverCount: 2n,
      gracePeriodMs: 500n, autoRecover: true, autoDump: false, lastDumpMs: 1234n, lastDumpNs: 5n * 10n ** 18n,
    });
  });

  it('without a reporter nest: a ProtocolError', () => {
    assert.throws(() => reporterFrom(decodeMessage(msgOf(genlmsg({ type: FAMILY }, 52, 1, HANDLE)))), ProtocolError);
  });
});

describe('devlink health on the simulator (mlx5 PF and SF)', function () {
  this.timeout(10_000);
  let sim: Simulator;
  let dl: Devlink;
  let sfDev: string;
  let sfPort: string;
  beforeEach(async () => {
    sim = new Simulator({ devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }], timing: { attachMs: 1, detachMs: 1, freeMs: 1 } });
    dl = await Devlink.open({ transport: sim.transport() });
    const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 9 });
    sfDev = sf.devlink!;
    sfPort = (await dl.ports({ dev: sfDev }))[0].handle;
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
  });

  const brief = (r: HealthReporter): string => `${r.handle} ${r.name} grace=${r.gracePeriodMs} ar=${r.autoRecover} ad=${r.autoDump}`;

  it('the SF has fw, fw_fatal (grace 30000 ms) and tx, rx on its port (500 ms), as health.c and reporter_tx.c create them', async () => {
    assert.deepEqual((await dl.healthReporters({ dev: sfDev })).map(brief), [
      `${sfDev} fw grace=undefined ar=undefined ad=true`,
      `${sfDev} fw_fatal grace=30000 ar=true ad=true`,
      `${sfPort} tx grace=500 ar=true ad=true`,
      `${sfPort} rx grace=500 ar=true ad=true`,
    ]);
    assert.equal((await dl.healthReporter(PF0, 'fw_fatal')).gracePeriodMs, 60000n);
  });

  it('an error: announced in error, dumped, recovered and announced healthy; a second within the grace period is not recovered', async () => {
    const mon = dl.monitor({ dev: sfDev });
    await mon.ready;
    const port = Number(sfPort.split('/')[2]);
    assert.equal(sim.reportHealth(sfDev, 'tx', { port }), 0);
    const seen: DevlinkEvent[] = [];
    for await (const e of mon) {
      if (e.type === 'health') seen.push(e);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen.map((e) => e.type === 'health' && `${e.reporter.name} ${e.reporter.state} ${e.reporter.errorCount}/${e.reporter.recoverCount}`),
      ['tx error 1/0', 'tx healthy 1/1']);
    const r = await dl.healthReporter(sfPort, 'tx');
    assert.equal(r.state, 'healthy');
    assert.ok(r.lastDumpNs !== undefined && r.lastDumpMs !== undefined, 'auto_dump stored a dump');
    // within 500 ms of the recovery: ECANCELED, left in error
    assert.equal(sim.reportHealth(sfDev, 'tx', { port }), -125);
    assert.equal((await dl.healthReporter(sfPort, 'tx')).state, 'error');
    await dl.recoverHealthReporter(sfPort, 'tx');
    const after = await dl.healthReporter(sfPort, 'tx');
    assert.deepEqual([after.state, after.errorCount, after.recoverCount], ['healthy', 2n, 2n]);
  });

  it('diagnose: Common Config, then each SQ with its CQ and EQ; fw: the Syndrome', async () => {
    const d = await dl.diagnoseHealthReporter(sfPort, 'tx');
    assert.deepEqual(d.entries.map(([n]) => n), ['Common Config', 'SQs']);
    const sqs = d.get('SQs') as FmsgObject[];
    assert.ok(sqs.length > 0);
    assert.deepEqual(sqs[0].entries.map(([n]) => n), ['channel ix', 'tc', 'txq ix', 'sqn', 'HW state', 'stopped', 'cc', 'pc', 'CQ', 'EQ']);
    assert.deepEqual((await dl.diagnoseHealthReporter(sfDev, 'fw')).entries, [['Syndrome', 0]]);
  });

  it('dump show takes a dump when none is stored; clear forgets it', async () => {
    assert.equal((await dl.healthReporter(sfPort, 'rx')).lastDumpNs, undefined);
    const d = await dl.healthReporterDump(sfPort, 'rx');
    assert.deepEqual(d.entries.map(([n]) => n), ['RX Slice', 'RQs']);
    assert.notEqual((await dl.healthReporter(sfPort, 'rx')).lastDumpNs, undefined);
    await dl.clearHealthReporterDump(sfPort, 'rx');
    assert.equal((await dl.healthReporter(sfPort, 'rx')).lastDumpNs, undefined);
  });

  it('set: the three settings; auto_recover off leaves an error standing', async () => {
    await dl.setHealthReporter(sfDev, 'fw_fatal', { gracePeriodMs: 1234n, autoRecover: false, autoDump: false });
    const r = await dl.healthReporter(sfDev, 'fw_fatal');
    assert.deepEqual([r.gracePeriodMs, r.autoRecover, r.autoDump], [1234n, false, false]);
    assert.equal(sim.reportHealth(sfDev, 'fw_fatal'), 0);
    const e = await dl.healthReporter(sfDev, 'fw_fatal');
    assert.deepEqual([e.state, e.recoverCount, e.lastDumpNs], ['error', 0n, undefined]);
  });

  it('the kernel\'s refusals: an unknown reporter EINVAL, fw cannot recover (set grace: EOPNOTSUPP), an SF has no fw tracer to dump', async () => {
    const is = (code: string) => (e: unknown) => e instanceof DevlinkError && e.code === code;
    await assert.rejects(dl.healthReporter(sfDev, 'nope'), is('EINVAL'));
    await assert.rejects(dl.setHealthReporter(sfDev, 'fw', { gracePeriodMs: 1 }), is('EOPNOTSUPP'));
    await assert.rejects(dl.healthReporterDump(sfDev, 'fw'), is('EOPNOTSUPP'));
    await assert.rejects(dl.diagnoseHealthReporter(sfDev, 'fw_fatal'), is('EOPNOTSUPP'));
    await assert.rejects(dl.healthReporterDump(sfDev, 'fw_fatal'), is('EPERM'));
    // no mlx5 reporter has a test op; the reporter is looked up first
    await assert.rejects(dl.testHealthReporter(sfPort, 'tx'), is('EOPNOTSUPP'));
    await assert.rejects(dl.testHealthReporter(sfDev, 'tx'), is('EINVAL'));
  });
});

describe('cli health', () => {
  it('show, set, diagnose in iproute2\'s text and JSON', async () => {
    const s = await simSession();
    try {
      const P = `${PF0}/65535`;
      const show = await s.cli(['health', 'show', PF0, 'reporter', 'fw_fatal']);
      assert.deepEqual(show, {
        code: 0,
        err: '',
        out: `${PF0}:\n  reporter fw_fatal\n    state healthy error 0 recover 0 grace_period 60000 auto_recover true auto_dump true\n`,
      });
      assert.deepEqual(await s.cli(['health', 'set', P, 'reporter', 'tx', 'grace_period', '700', 'auto_recover', 'false']), { code: 0, out: '', err: '' });
      assert.deepEqual(await s.cli(['-j', 'health', 'show', P, 'reporter', 'tx']), { code: 0, err: '',
        out: `{"health":{"${P}":[{"reporter":"tx","state":"healthy","error":0,"recover":0,"grace_period":700,"auto_recover":false,"auto_dump":true}]}}\n` });
      assert.deepEqual(await s.cli(['health', 'diagnose', PF0, 'reporter', 'fw']), { code: 0, err: '', out: ' Syndrome: 0\n' });
      assert.deepEqual(await s.cli(['-j', 'health', 'diagnose', PF0, 'reporter', 'fw']), { code: 0, err: '', out: '{"Syndrome":0}\n' });
      assert.deepEqual(await s.cli(['health', 'recover', PF0]), { code: 1, out: '', err: "Reporter's name is expected.\n" });
      assert.deepEqual(await s.cli(['health', 'set', P, 'reporter', 'tx', 'auto_dump', 'maybe']),
        { code: 1, out: '', err: '"maybe" is not a valid boolean value\n' });
      const text = (await s.cli(['health', 'diagnose', P, 'reporter', 'tx'])).out;
      assert.match(text, /^ Common Config:\n {4}SQ:\n {6}stride size: 64 size: 1024 ts_format: FRC\n {2}SQs:\n {6}channel ix: 0 tc: 0 /);
    } finally {
      await s.close();
    }
  });
});

describe('cli health: printing a formatted message stream', () => {
  it('an unbalanced stream (netdevsim 6.1\'s dummy) prints up to the extra end, as iproute2, and says so', () => {
    const items = fmsgItems(cat(
      OBJ, PAIR, name('a'), val(1, [1]), END,
      PAIR, name('n'), OBJ, PAIR, name('b'), val(6, [0]), END, END, END, END, END,
      PAIR, name('lost'), val(1, [2]), END));
    const text = new Printer({ json: false, pretty: false });
    assert.equal(printFmsgItems(text, items), false);
    assert.equal(text.take(), ' a: 1\n  n:\n    b: false\n');
    const json = new Printer({ json: true, pretty: false });
    assert.equal(printFmsgItems(json, items), false);
    json.finish();
    assert.equal(json.take(), '{"a":1,"n":{"b":false}}\n');
  });
});
