// --help for every command and subcommand (with examples), help words, --version, the
// demo on the simulator, and what happens without a devlink family.
import assert from 'node:assert/strict';
import { run } from './cli.helpers';

const COMMANDS = [
  [], ['dev'], ['dev', 'show'], ['dev', 'eswitch'], ['dev', 'eswitch', 'show'], ['dev', 'eswitch', 'set'], ['dev', 'info'],
  ['dev', 'param'], ['dev', 'param', 'show'], ['dev', 'param', 'set'], ['dev', 'reload'],
  ['port'], ['port', 'show'], ['port', 'add'], ['port', 'del'], ['port', 'set'], ['port', 'split'], ['port', 'unsplit'],
  ['port', 'function'], ['port', 'function', 'set'], ['port', 'function', 'rate'], ['port', 'function', 'rate', 'show'],
  ['port', 'function', 'rate', 'add'], ['port', 'function', 'rate', 'set'], ['port', 'function', 'rate', 'del'],
  ['monitor'], ['sf'], ['sf', 'create'], ['sf', 'ensure'], ['sf', 'destroy'], ['sf', 'list'], ['apply'],
  ['genl'], ['genl', 'family'], ['genl', 'families'], ['demo'],
];

describe('cli help', () => {
  for (const cmd of COMMANDS) {
    it(`${['devlink-sf', ...cmd].join(' ')} --help: usage and examples`, async () => {
      const r = await run([...cmd, '--help']);
      assert.equal(r.code, 0);
      assert.equal(r.err, '');
      const usage = `devlink-sf ${cmd.join(' ')}`.trimEnd();
      assert.ok(r.out.startsWith('Usage: ') && r.out.split('\n')[0].includes(cmd.length === 0 ? 'devlink-sf [ OPTIONS ]' : usage), r.out.split('\n')[0]);
      assert.match(r.out, /\nExamples?:\n {2}devlink-sf /);
    });
  }

  it('-h, "help" words and abbreviations lead to the same text', async () => {
    const full = (await run(['port', 'function', 'rate', 'set', '--help'])).out;
    assert.equal((await run(['-h', 'p', 'fu', 'ra', 'se'])).out, full);
    assert.equal((await run(['port', 'function', 'rate', 'help'])).out, (await run(['port', 'function', 'rate', '--help'])).out);
    assert.equal((await run(['port', 'add', 'help'])).out, (await run(['port', 'add', '--help'])).out);
    assert.equal((await run(['help'])).out, (await run(['--help'])).out);
    assert.equal((await run([])).out, (await run(['--help'])).out);
  });

  it('--version and -V', async () => {
    const r = await run(['--version']);
    assert.match(r.out, /^devlink-sf \d+\.\d+\.\d+\n$/);
    assert.deepEqual(await run(['-V']), r);
  });

  it('an unknown option', async () => {
    assert.deepEqual(await run(['-z', 'dev', 'show']), { code: 1, out: '', err: 'Unknown option "-z"\nTry "devlink-sf --help".\n' });
    // a long option where the object is expected is an option, not an object
    assert.deepEqual(await run(['--bogus']), { code: 1, out: '', err: 'Unknown option "--bogus"\nTry "devlink-sf --help".\n' });
    assert.deepEqual(await run(['--sim', '--bogus', 'port', 'show']), { code: 1, out: '', err: 'Unknown option "--bogus"\nTry "devlink-sf --help".\n' });
    assert.deepEqual(await run(['--sim', 'dev', 'show', 'pci/0000:06:00.0', '--frobnicate']), { code: 1, out: '', err: 'Unknown option "--frobnicate"\n' });
  });
});

describe('cli demo', () => {
  it('demo --sim: the narrated lifecycle, exit 0, nothing left behind', async function () {
    this.timeout(30000);
    const r = await run(['demo', '--sim']);
    assert.equal(r.err, '');
    assert.equal(r.code, 0);
    for (const want of [
      '$ devlink-sf --sim dev eswitch set pci/0000:06:00.0 mode switchdev',
      '[port,new] pci/0000:06:00.0/32768: type',
      '[dev,new] auxiliary/mlx5_core.sf.',
      'sfnum 88: pci/0000:06:00.0/32768 attached after',
      'Plan: 1 to create, 1 to change, 1 to delete, 1 unchanged.',
      'Nothing to do: applying the same state again changes nothing.',
      '[port,del] pci/0000:06:00.0/32768',
      'Nothing is left behind.',
    ]) assert.ok(r.out.includes(want), `missing "${want}" in:\n${r.out}`);
    assert.match(r.out, /^pci\/0000:06:00\.0\/32768 +0 +88 +00:00:00:00:88:88 +active +attached +mlx5_core\.sf\.\d+ +enp6s0f0s88 +mlx5_\d+/m);
  });

  it('demo -j is refused: it is a narrative', async () => {
    assert.deepEqual(await run(['--sim', '-j', 'demo']), { code: 1, out: '', err: 'demo tells a story in text: it has no JSON output\n' });
  });
});

describe('cli without a devlink family (this host\'s kernel)', () => {
  it('says so, as iproute2 does, and suggests --sim', async function () {
    const r = await run(['dev', 'show']);
    if (r.code === 0) this.skip(); // a kernel with devlink
    assert.equal(r.out, '');
    assert.equal(r.err, 'Failed to connect to devlink Netlink\n' +
      'Error: this kernel has no "devlink" generic netlink family, so no devlink device (try --sim).\n');
    const demo = await run(['demo']);
    assert.equal(demo.code, 1);
    assert.match(demo.err, /^Failed to connect to devlink Netlink\n/);
  });
});
