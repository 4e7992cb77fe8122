// -b: a session of commands on one connection (and, with --sim, one simulator), read as
// iproute2's do_batch reads them; the global options; --sim and --sim-config.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { batchLines, splitWords } from '../src/cli/batch';
import { parseGlobal } from '../src/cli/options';
import { PF0, PF1, run, SimSession, simSession } from './cli.helpers';

describe('cli batch lines (do_batch)', () => {
  it('comments, blank lines, continuations, quotes; a command keeps its last line\'s number', () => {
    const text = 'dev show # all\n\n# nothing\nport show \\\n  pci/0000:06:00.0\nsf create "a b" \'c\'\n';
    assert.deepEqual(batchLines(text), [
      { line: 1, words: ['dev', 'show'] },
      { line: 5, words: ['port', 'show', 'pci/0000:06:00.0'] },
      { line: 6, words: ['sf', 'create', 'a b', 'c'] },
    ]);
    assert.deepEqual(splitWords(' \ta\t b  '), ['a', 'b']);
    assert.throws(() => splitWords('a "b'), /Unterminated quoted string/);
  });
});

describe('cli global options (getopt_long)', () => {
  it('anywhere on the line, bundled, with values attached or apart, long ones abbreviated', () => {
    const { opts, words } = parseGlobal(['port', 'show', '-jp', '--fam=mlxdevm', '-Nns1', '--sim', 'x']);
    assert.deepEqual(words, ['port', 'show', 'x']);
    assert.equal(opts.json, true);
    assert.equal(opts.pretty, true);
    assert.equal(opts.family, 'mlxdevm');
    assert.equal(opts.netns, 'ns1');
    assert.equal(opts.sim, true);
    const b = parseGlobal(['-b', 'f.txt', '--js', '--', '-j']);
    assert.equal(b.opts.batch, 'f.txt');
    assert.equal(b.opts.json, true);
    assert.deepEqual(b.words, ['-j']);
  });

  it('command options stay with the command; mistakes are reported', () => {
    assert.deepEqual(parseGlobal(['apply', 'f', '--dry-run', '--prune', '-']).words, ['apply', 'f', '--dry-run', '--prune', '-']);
    assert.throws(() => parseGlobal(['-z']), /Unknown option "-z"/);
    assert.throws(() => parseGlobal(['-b']), /Option "-b" requires an argument/);
    assert.throws(() => parseGlobal(['--s']), /Option "--s" is ambiguous/);
    assert.throws(() => parseGlobal(['--json=1']), /takes no argument/);
  });
});

describe('cli -b', () => {
  let s: SimSession;
  let dir: string;
  beforeEach(async () => {
    s = await simSession();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-batch-'));
  });
  afterEach(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const write = async (text: string): Promise<string> => {
    const f = path.join(dir, 'cmds');
    await fs.writeFile(f, text);
    return f;
  };

  it('runs each line on the same session', async () => {
    const f = await write(`dev eswitch set ${PF0} mode switchdev\nport add ${PF0} flavour pcisf pfnum 0 sfnum 88\ndev eswitch show ${PF0}\n`);
    const r = await s.cli(['-b', f]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out,
      `${PF0}/32768: type eth netdev eth0 flavour pcisf controller 0 pfnum 0 sfnum 88 splittable false\n` +
      '  function:\n    hw_addr 00:00:00:00:00:00 state inactive opstate detached\n' +
      `${PF0}: mode switchdev inline-mode none encap-mode basic\n`);
  });

  it('stops at the first failure with "Command failed FILE:LINE"; -f goes on', async () => {
    const f = await write(`dev show ${PF0}\nport add ${PF0} flavour pcisf pfnum 0 sfnum 88\ndev show ${PF1}\n`);
    const r = await s.cli(['-b', f]);
    assert.equal(r.code, 1);
    assert.equal(r.out, `${PF0}\n`);
    assert.equal(r.err, 'Error: mlx5_core: Port add is only supported in eswitch switchdev mode or SF ports are disabled.\n' +
      `kernel answers: Operation not supported\nCommand failed ${f}:2\n`);
    const forced = await s.cli(['-f', '-b', f]);
    assert.equal(forced.code, 1);
    assert.equal(forced.out, `${PF0}\n${PF1}\n`);
  });

  it('reads stdin with -b -', async () => {
    const r = await s.cli(['-b', '-'], { input: 'dev show\nbogus\n' });
    assert.equal(r.code, 1);
    assert.equal(r.out, `${PF0}\n${PF1}\n`);
    assert.equal(r.err, 'Object "bogus" not found\nCommand failed -:2\n');
  });

  it('-j: one JSON stream for the session, as iproute2 writes it', async () => {
    const r = await s.cli(['-j', '-b', '-'], { input: `dev show ${PF0}\ndev eswitch show ${PF0}\n` });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `{"dev":{"${PF0}":{}}},{"dev":{"${PF0}":{"mode":"legacy","inline-mode":"none","encap-mode":"basic"}}}\n`);
  });

  it('a file that cannot be read', async () => {
    assert.deepEqual(await run(['-b', path.join(dir, 'none')]),
      { code: 1, out: '', err: `Cannot open file "${path.join(dir, 'none')}" for reading: No such file or directory\n` });
  });
});

describe('cli --sim', () => {
  it('runs on its own simulator: two mlx5 PFs in legacy mode', async () => {
    assert.deepEqual(await run(['--sim', 'dev', 'show']), { code: 0, out: `${PF0}\n${PF1}\n`, err: '' });
    assert.deepEqual(await run(['--sim', 'dev', 'eswitch', 'show', PF1]), { code: 0, out: `${PF1}: mode legacy inline-mode none encap-mode basic\n`, err: '' });
  });

  it('with -b, one simulator for the whole batch, sysfs included', async () => {
    const r = await run(['--sim', '-b', '-'], {
      input: `dev eswitch set ${PF0} mode switchdev\nsf create ${PF0} pfnum 0 sfnum 88 hw_addr 00:00:00:00:88:88\nsf list\nsf destroy ${PF0}/32768\n`,
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^pci\/0000:06:00\.0\/32768 +0 +88 +00:00:00:00:88:88 +active +attached +mlx5_core\.sf\.\d+ +enp6s0f0s88 +mlx5_\d+ +auxiliary\//m);
    assert.match(r.out, /destroyed pci\/0000:06:00\.0\/32768\n$/);
  });

  it('--sim-config: other devices and a newer kernel', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-simcfg-'));
    try {
      const cfg = path.join(dir, 'sim.yaml');
      await fs.writeFile(cfg, 'kernel: current\ndevices:\n  - { handle: pci/0000:81:00.0, driver: mlx5_core, pfnum: 0, eswitch: switchdev }\n');
      assert.deepEqual(await run(['--sim-config', cfg, 'dev', 'show']), { code: 0, out: 'pci/0000:81:00.0\n', err: '' });
      await fs.writeFile(cfg, 'devices:\n  - { handle: nope, pfnum: 0 }\n');
      const bad = await run(['--sim-config', cfg, 'dev', 'show']);
      assert.equal(bad.code, 1);
      assert.match(bad.err, /^Simulator configuration ".*sim\.yaml": /);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('-N cannot be combined with --sim', async () => {
    assert.deepEqual(await run(['--sim', '-N', 'x', 'dev', 'show']),
      { code: 1, out: '', err: '-N cannot be combined with --sim: the simulator has no network namespaces\n' });
  });
});
