// apply on the simulator: the plan table, the run (a line per item off a terminal, a
// progress bar on one), idempotence, --dry-run, --prune, a failing item, JSON.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Cmd } from '../src/devlink/constants';
import { PF0, SimSession, simSession } from './cli.helpers';

const STATE = `devices:
  ${PF0}:
    pfnum: 0
    subfunctions:
      - sfnum: 88
        hw_addr: "00:00:00:00:88:88"
      - sfnum: 89
        hw_addr: "00:00:00:00:89:89"
        state: inactive
`;

describe('cli apply', () => {
  let s: SimSession;
  let dir: string;
  let file: string;
  beforeEach(async () => {
    s = await simSession({ eswitch: 'switchdev' });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-apply-'));
    file = path.join(dir, 'sfs.yaml');
    await fs.writeFile(file, STATE);
  });
  afterEach(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('prints the plan, applies it (a line per item), and a second run changes nothing', async () => {
    const r = await s.cli(['apply', file]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.match(lines[0], /^ACTION +DEVICE +PFNUM +SFNUM +PORT +DETAILS$/);
    assert.match(lines[1], /^create +pci\/0000:06:00\.0 +0 +88 +- +hw_addr 00:00:00:00:88:88, state active$/);
    assert.match(lines[2], /^create +pci\/0000:06:00\.0 +0 +89 +- +hw_addr 00:00:00:00:89:89, state inactive$/);
    assert.equal(lines[3], 'Plan: 2 to create, 0 to change, 0 to delete, 0 unchanged.');
    // the two SFs run at once: either may finish first
    assert.deepEqual(lines.slice(4, 6).map((l) => l.slice(0, 6)), ['[1/2] ', '[2/2] ']);
    assert.deepEqual(lines.slice(4, 6).map((l) => l.slice(6)).sort(), [`created ${PF0} pfnum 0 sfnum 88`, `created ${PF0} pfnum 0 sfnum 89`]);
    assert.equal(lines[6], 'Applied: 2 created, 0 changed, 0 deleted, 0 unchanged, 0 failed.');
    const list = (await s.cli(['sf', 'list'])).out;
    assert.match(list, /32768 +0 +88 +00:00:00:00:88:88 +active +attached/);
    assert.match(list, /32769 +0 +89 +00:00:00:00:89:89 +inactive +detached/);

    s.sent.cmds.length = 0;
    const again = await s.cli(['apply', file]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^unchanged +pci\/0000:06:00\.0 +0 +88 +pci\/0000:06:00\.0\/32768 *$/m);
    assert.match(again.out, /^unchanged +pci\/0000:06:00\.0 +0 +89 +pci\/0000:06:00\.0\/32769 *$/m);
    assert.match(again.out, /Plan: 0 to create, 0 to change, 0 to delete, 2 unchanged\.\nNothing to do\.\n$/);
    assert.ok(s.sent.cmds.every((c) => c === Cmd.PORT_GET), `only reads: ${s.sent.cmds}`);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    s.sent.cmds.length = 0;
    const r = await s.cli(['apply', file, '--dry-run']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Plan: 2 to create, 0 to change, 0 to delete, 0 unchanged\.\nDry run: nothing was changed\.\n$/);
    assert.ok(s.sent.cmds.every((c) => c === Cmd.PORT_GET), `only reads: ${s.sent.cmds}`);
    assert.deepEqual(await s.cli(['sf', 'list']), { code: 0, out: '', err: '' });
  });

  it('changes what differs; --prune deletes what the file does not name', async () => {
    await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '88', 'hw_addr', '00:00:00:00:88:01']);
    await s.cli(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '90']);
    const plain = await s.cli(['apply', file, '--dry-run']);
    assert.match(plain.out, /^change +pci\/0000:06:00\.0 +0 +88 +pci\/0000:06:00\.0\/32768 +hw_addr 00:00:00:00:88:01 -> 00:00:00:00:88:88$/m);
    assert.ok(!/^delete/m.test(plain.out), plain.out);
    const r = await s.cli(['apply', '--prune', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^delete +pci\/0000:06:00\.0 +0 +90 +pci\/0000:06:00\.0\/32769 *$/m);
    assert.match(r.out, /Applied: 1 created, 1 changed, 1 deleted, 0 unchanged, 0 failed\.\n$/);
    const list = (await s.cli(['-j', 'sf', 'list'])).out;
    assert.deepEqual(Object.values((JSON.parse(list) as { sf: Record<string, { sfnum: number }> }).sf).map((x) => x.sfnum).sort(), [88, 89]);
    assert.match((await s.cli(['apply', file, '--prune'])).out, /Nothing to do\.\n$/);
  });

  it('a failing item: the others still run, a summary names it, exit 1', async () => {
    await fs.writeFile(file, `${STATE}      - sfnum: 91\n        caps: { roce: false }\n`);
    const r = await s.cli(['apply', file, '--concurrency', '1']);
    assert.equal(r.code, 1);
    assert.match(r.out, /Applied: 2 created, 0 changed, 0 deleted, 0 unchanged, 1 failed\.\n$/);
    assert.match(r.out, /\[\d\/3\] failed to create pci\/0000:06:00\.0 pfnum 0 sfnum 91\n/);
    assert.match(r.err, new RegExp(/^Failed to create pci\/0000:06:00\.0 pfnum 0 sfnum 91:\n {2}Error: .*\n {2}kernel answers: .*\n/.source +
      / {2}pci\/0000:06:00\.0 pfnum 0 sfnum 91: failed at step configure \(the port was deleted again\)\n$/.source));
  });

  it('-j: the plan and the result as JSON', async () => {
    const r = await s.cli(['-j', 'apply', file]);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as {
      apply: { file: string; plan: Array<{ action: string; sfnum: number; details: string[] }>; result: Record<string, unknown> };
    };
    assert.equal(doc.apply.file, file);
    assert.deepEqual(doc.apply.plan.map((p) => [p.action, p.sfnum]), [['create', 88], ['create', 89]]);
    assert.deepEqual(doc.apply.plan[0].details, ['hw_addr 00:00:00:00:88:88', 'state active']);
    assert.deepEqual(doc.apply.result, { created: 2, changed: 0, deleted: 0, unchanged: 0, failed: [] });
  });

  it('-j: a failure before the plan still writes the "apply" wrapper', async () => {
    await fs.writeFile(file, 'devices:\n  pci/0000:99:00.0:\n    pfnum: 0\n    subfunctions:\n      - sfnum: 1\n');
    const r = await s.cli(['-j', 'apply', file]);
    assert.deepEqual([r.code, r.out], [1, '{"apply":{}}\n']);
    assert.notEqual(r.err, '');
  });

  it('a progress bar on a terminal', async () => {
    const r = await s.cli(['apply', file], { tty: true });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\r\[#{12}\.{12}\] 1\/2 created /);
    assert.match(r.out, /\r\[#{24}\] 2\/2 created [^\n]*\nApplied: 2 created/);
    assert.ok(!/^\[1\/2\]/m.test(r.out));
  });

  it('JSON on stdin (apply -)', async () => {
    const json = JSON.stringify({ devices: { [PF0]: { pfnum: 0, subfunctions: [{ sfnum: 88 }] } } });
    const r = await s.cli(['apply', '-', '--dry-run'], { input: json });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^create +pci\/0000:06:00\.0 +0 +88 +- +state active$/m);
  });

  it('mistakes in the file or the arguments', async () => {
    await fs.writeFile(file, 'devices:\n  pci/0000:06:00.0:\n    subfunctions:\n      - sfnum: 88\n        hw_addr: zz\n');
    assert.deepEqual(await s.cli(['apply', file]), {
      code: 1,
      out: '',
      err: 'Error: invalid devices["pci/0000:06:00.0"].subfunctions[0].hwAddr: "zz" is not a MAC address: ' +
        'expected six octets such as "00:00:00:00:88:88".\n',
    });
    await fs.writeFile(file, 'devices: [\n');
    const bad = await s.cli(['apply', file]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^Error: .*sfs\.yaml: /);
    assert.deepEqual(await s.cli(['apply', path.join(dir, 'missing.yaml')]), {
      code: 1, out: '', err: `Cannot open file "${path.join(dir, 'missing.yaml')}" for reading: No such file or directory\n`,
    });
    assert.equal((await s.cli(['apply', file, '--fast'])).err, 'Unknown option "--fast"\n');
    assert.equal((await s.cli(['apply', file, '--concurrency', '0'])).err, '"concurrency" must be at least 1\n');
    assert.match((await s.cli(['apply'])).out, /^Usage: devlink-sf apply FILE/);
  });
});
