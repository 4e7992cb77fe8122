// dev show, eswitch show/set, dev info, param show/set, reload: on the simulator, text
// and JSON, in iproute2's formats.
import assert from 'node:assert/strict';
import { Cmd } from '../src/devlink/constants';
import { PF0, PF1, SimSession, simSession } from './cli.helpers';

describe('cli dev', () => {
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession();
  });
  afterEach(async () => {
    await s.close();
  });

  it('dev show: one handle per line; JSON keyed by handle; a word may be shortened', async () => {
    assert.deepEqual(await s.cli(['dev', 'show']), { code: 0, out: `${PF0}\n${PF1}\n`, err: '' });
    assert.deepEqual(await s.cli(['d']), { code: 0, out: `${PF0}\n${PF1}\n`, err: '' });
    assert.deepEqual(await s.cli(['-j', 'dev', 'sh']), { code: 0, out: `{"dev":{"${PF0}":{},"${PF1}":{}}}\n`, err: '' });
    assert.deepEqual(await s.cli(['-j', 'dev', 'list', PF1]), { code: 0, out: `{"dev":{"${PF1}":{}}}\n`, err: '' });
  });

  it('dev show -jp: pretty JSON', async () => {
    const r = await s.cli(['-jp', 'dev', 'show', PF0]);
    assert.equal(r.out, `{\n    "dev": {\n        "${PF0}": {}\n    }\n}\n`);
  });

  it('dev show -s: with the reload statistics', async () => {
    const r = await s.cli(['-s', 'dev', 'show', PF0]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^pci\/0000:06:00\.0:\n {2}stats:\n {6}reload:\n {10}driver_reinit:\n {12}unspecified 0\n/);
    const j = JSON.parse((await s.cli(['-js', 'dev', 'show'])).out) as { dev: Record<string, { stats: { reload: Record<string, unknown> } }> };
    assert.deepEqual(Object.keys(j.dev), [PF0, PF1]);
    assert.ok('driver_reinit' in j.dev[PF0].stats.reload);
  });

  it('-p without -j changes nothing', async () => {
    assert.equal((await s.cli(['-p', 'dev', 'show'])).out, `${PF0}\n${PF1}\n`);
  });

  it('dev show of an unknown device: the kernel\'s answer; the empty wrapper on stdout with -j', async () => {
    assert.deepEqual(await s.cli(['dev', 'show', 'pci/0000:99:00.0']), { code: 1, out: '', err: 'kernel answers: No such device\n' });
    assert.deepEqual(await s.cli(['-j', 'dev', 'show', 'pci/0000:99:00.0']), { code: 1, out: '{"dev":{}}\n', err: 'kernel answers: No such device\n' });
  });

  it('dev show with a malformed handle: iproute2\'s message, nothing sent', async () => {
    const r = await s.cli(['dev', 'show', 'pci']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'Wrong identification string format.\nDevlink identification ("bus_name/dev_name") expected\n');
    assert.deepEqual(s.sent.cmds, []);
  });

  it('eswitch show and set', async () => {
    assert.deepEqual(await s.cli(['dev', 'eswitch', 'show', PF0]), { code: 0, out: `${PF0}: mode legacy inline-mode none encap-mode basic\n`, err: '' });
    assert.deepEqual(await s.cli(['dev', 'eswitch', 'set', PF0, 'mode', 'switchdev']), { code: 0, out: '', err: '' });
    assert.deepEqual(await s.cli(['-j', 'dev', 'eswitch', 'show', PF0]),
      { code: 0, out: `{"dev":{"${PF0}":{"mode":"switchdev","inline-mode":"none","encap-mode":"basic"}}}\n`, err: '' });
    assert.deepEqual(await s.cli(['dev', 'e', 'se', PF0, 'm', 'legacy']), { code: 0, out: '', err: '' });
    assert.match((await s.cli(['dev', 'eswitch', 'show', PF0])).out, /mode legacy/);
  });

  it('eswitch set: argument mistakes', async () => {
    assert.deepEqual(await s.cli(['dev', 'eswitch', 'set', PF0]), { code: 1, out: '', err: 'Need to set at least one option\n' });
    assert.deepEqual(await s.cli(['dev', 'eswitch', 'set', PF0, 'mode', 'fast']), { code: 1, out: '', err: 'Unknown eswitch mode "fast"\n' });
    assert.deepEqual(await s.cli(['dev', 'eswitch', 'set', PF0, 'speed', '1']), { code: 1, out: '', err: 'Unknown option "speed"\n' });
    assert.deepEqual(s.sent.cmds, []);
  });

  it('dev info: driver and versions', async () => {
    const r = await s.cli(['dev', 'info', PF0]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], `${PF0}:`);
    assert.equal(lines[1], '  driver mlx5_core');
    assert.ok(lines.includes('  versions:'));
    assert.ok(lines.includes('      fixed:'));
    assert.ok(lines.some((l) => /^ {8}fw\.psid /.test(l)), r.out);
    const j = JSON.parse((await s.cli(['-j', 'dev', 'info'])).out) as { info: Record<string, { driver: string; versions: { fixed: Record<string, string> } }> };
    assert.deepEqual(Object.keys(j.info), [PF0, PF1]);
    assert.equal(j.info[PF0].driver, 'mlx5_core');
    assert.ok(j.info[PF0].versions.fixed['fw.psid']);
  });

  it('param show: one device grouped under its handle; one parameter; JSON arrays', async () => {
    const one = await s.cli(['dev', 'param', 'show', PF0, 'name', 'max_macs']);
    assert.deepEqual(one, { code: 0, out: `${PF0}:\n  name max_macs type generic\n    values:\n      cmode driverinit value 128\n`, err: '' });
    const j = JSON.parse((await s.cli(['-j', 'dev', 'param', 'show', PF0, 'name', 'max_macs'])).out);
    assert.deepEqual(j, { param: { [PF0]: [{ name: 'max_macs', type: 'generic', values: [{ cmode: 'driverinit', value: 128 }] }] } });
    const all = await s.cli(['-j', 'dev', 'param']);
    const doc = JSON.parse(all.out) as { param: Record<string, Array<{ name: string }>> };
    assert.deepEqual(Object.keys(doc.param), [PF0, PF1]);
    assert.ok(doc.param[PF0].some((p) => p.name === 'flow_steering_mode'));
    assert.match((await s.cli(['dev', 'param', 'show', PF0])).out,
      /^ {2}name flow_steering_mode type driver-specific\n {4}values:\n {6}cmode runtime value dmfs$/m);
  });

  it('param set: read first, parsed by type, no SET when the value is already there', async () => {
    s.sent.cmds.length = 0;
    assert.deepEqual(await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'value', '128', 'cmode', 'driverinit']), { code: 0, out: '', err: '' });
    assert.ok(!s.sent.cmds.includes(Cmd.PARAM_SET), `sent ${s.sent.cmds}`);
    assert.deepEqual(await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'value', '64', 'cmode', 'driverinit']), { code: 0, out: '', err: '' });
    assert.ok(s.sent.cmds.includes(Cmd.PARAM_SET));
    assert.match((await s.cli(['dev', 'param', 'show', PF0, 'name', 'max_macs'])).out, /cmode driverinit value 64/);
    assert.deepEqual(await s.cli(['dev', 'param', 'set', PF0, 'name', 'enable_roce', 'value', 'false', 'cmode', 'driverinit']), { code: 0, out: '', err: '' });
    assert.match((await s.cli(['dev', 'param', 'show', PF0, 'name', 'enable_roce'])).out, /cmode driverinit value false/);
  });

  it('param set: missing keywords, bad values, a cmode the parameter lacks', async () => {
    assert.equal((await s.cli(['dev', 'param', 'set', PF0, 'value', '1', 'cmode', 'runtime'])).err, 'Parameter name expected.\n');
    assert.equal((await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'cmode', 'runtime'])).err, 'Value to set expected.\n');
    assert.equal((await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'value', '1'])).err, 'Configuration mode expected.\n');
    assert.equal((await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'value', '1', 'cmode', 'sometimes'])).err,
      'Unknown configuration mode "sometimes"\n');
    assert.equal((await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'value', 'x', 'cmode', 'driverinit'])).err,
      'Value "x" is not a number or not within range\n');
    assert.deepEqual(await s.cli(['dev', 'param', 'set', PF0, 'name', 'max_macs', 'value', '1', 'cmode', 'runtime']),
      { code: 1, out: '', err: 'Configuration mode not supported\n' });
    const r = await s.cli(['dev', 'param', 'set', PF0, 'name', 'no_such_param', 'value', '1', 'cmode', 'runtime']);
    assert.equal(r.code, 1);
    assert.match(r.err, /kernel answers: (Invalid argument|No such file or directory)\n$/);
  });

  it('reload: the actions the kernel performed, printed only when asked with an action', async () => {
    assert.deepEqual(await s.cli(['dev', 'reload', PF0, 'action', 'driver_reinit']),
      { code: 0, out: 'reload_actions_performed:\n    driver_reinit\n', err: '' });
    assert.deepEqual(await s.cli(['-j', 'dev', 'reload', PF0, 'action', 'driver_reinit']),
      { code: 0, out: '{"reload":{"reload_actions_performed":["driver_reinit"]}}\n', err: '' });
    assert.deepEqual(await s.cli(['dev', 'reload', PF0]), { code: 0, out: '', err: '' });
    assert.equal((await s.cli(['dev', 'reload', PF0, 'action', 'now'])).err, 'Unknown reload action "now"\n');
  });

  it('unknown words: Object / Command not found', async () => {
    assert.deepEqual(await s.cli(['bogus']), { code: 1, out: '', err: 'Object "bogus" not found\n' });
    assert.deepEqual(await s.cli(['dev', 'bogus']), { code: 1, out: '', err: 'Command "bogus" not found\n' });
  });
});
