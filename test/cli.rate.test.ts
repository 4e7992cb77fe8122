// port function rate show / add / set / del on the simulator; rates read as iproute2's
// get_rate64 reads them and shown as its print_rate shows them.
import assert from 'node:assert/strict';
import { parseRate } from '../src/cli/args';
import { PF0, SimSession, simSession } from './cli.helpers';

const SF = `${PF0}/32768`;
const NODE = `${PF0}/group1`;

describe('cli rate values (get_rate64)', () => {
  it('a bare number is bits per second; units are case-insensitive; bytes/s, truncated', () => {
    assert.equal(parseRate('8'), 1n);
    assert.equal(parseRate('12'), 1n);
    assert.equal(parseRate('1gbit'), 125000000n);
    assert.equal(parseRate('1Gbit'), 125000000n);
    assert.equal(parseRate('10mbit'), 1250000n);
    assert.equal(parseRate('1kibit'), 128n);
    assert.equal(parseRate('1Kibit'), 128n);
    assert.equal(parseRate('100bps'), 100n);
    assert.equal(parseRate('1KBps'), 1000n);
    assert.equal(parseRate('1kbps'), 1000n);
    assert.equal(parseRate('1MiBps'), 1048576n);
    assert.equal(parseRate('1.5mbit'), 187500n);
    assert.equal(parseRate('1e3kbit'), 125000n);
    assert.equal(parseRate('1tbit'), 125000000000n);
  });

  it('refuses what is not a rate', () => {
    assert.equal(parseRate(''), undefined);
    assert.equal(parseRate('fast'), undefined);
    assert.equal(parseRate('1gbot'), undefined);
    assert.equal(parseRate('-1mbit'), undefined);
  });
});

describe('cli port function rate', () => {
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession({ eswitch: 'switchdev' });
    const r = await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    assert.equal(r.code, 0, r.err);
  });
  afterEach(async () => {
    await s.close();
  });

  it('show: the SF leaf; add a node; set the leaf; show all, one, a device; JSON in bytes/s', async () => {
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'show']), { code: 0, out: `${SF}: type leaf\n`, err: '' });
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'add', NODE, 'tx_share', '10mbit']), { code: 0, out: '', err: '' });
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'set', SF, 'tx_max', '1gbit', 'parent', 'group1']), { code: 0, out: '', err: '' });
    const all = await s.cli(['port', 'function', 'rate', 'show']);
    // nodes go to the head of the instance's rate list, leaves to its tail (as in 6.1)
    assert.equal(all.out, `${NODE}: type node tx_share 10Mbit\n${SF}: type leaf tx_max 1Gbit parent group1\n`);
    assert.deepEqual(await s.cli(['port', 'fu', 'ra', 'sh', SF]), { code: 0, out: `${SF}: type leaf tx_max 1Gbit parent group1\n`, err: '' });
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'show', PF0]), all);
    assert.deepEqual(await s.cli(['port', 'function', 'rate']), all);
    assert.deepEqual(JSON.parse((await s.cli(['-j', 'port', 'function', 'rate', 'show'])).out), {
      rate: { [SF]: { type: 'leaf', tx_max: 125000000, parent: 'group1' }, [NODE]: { type: 'node', tx_share: 1250000 } },
    });
    assert.equal((await s.cli(['-i', 'port', 'function', 'rate', 'show', NODE])).out, `${NODE}: type node tx_share 9765Kibit\n`);
  });

  it('noparent detaches; del removes the node', async () => {
    await s.cli(['port', 'function', 'rate', 'add', NODE]);
    await s.cli(['port', 'function', 'rate', 'set', SF, 'parent', 'group1']);
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'set', SF, 'noparent']), { code: 0, out: '', err: '' });
    assert.equal((await s.cli(['port', 'function', 'rate', 'show', SF])).out, `${SF}: type leaf\n`);
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'del', NODE]), { code: 0, out: '', err: '' });
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'show', NODE]), { code: 1, out: '', err: 'kernel answers: No such device\n' });
  });

  it('tx_share above tx_max is refused, also against the value already set', async () => {
    s.sent.cmds.length = 0;
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'add', NODE, 'tx_share', '2gbit', 'tx_max', '1gbit']),
      { code: 1, out: '', err: 'Invalid. Expected tx_share <= tx_max or tx_share == 0.\n' });
    assert.deepEqual(s.sent.cmds, []);
    await s.cli(['port', 'function', 'rate', 'set', SF, 'tx_max', '1gbit']);
    assert.deepEqual(await s.cli(['port', 'function', 'rate', 'set', SF, 'tx_share', '2gbit']),
      { code: 1, out: '', err: 'Invalid. Expected tx_share <= tx_max or tx_share == 0.\n' });
  });

  it('argument mistakes', async () => {
    assert.equal((await s.cli(['port', 'function', 'rate', 'add', `${PF0}/12`])).err, 'Node name cannot be a devlink port index or empty.\n');
    assert.equal((await s.cli(['port', 'function', 'rate', 'add', PF0])).err,
      'Wrong identification string format.\nExpected "bus_name/dev_name/node" identification.\n');
    assert.equal((await s.cli(['port', 'function', 'rate', 'set', SF, 'tx_max', 'fast'])).err, 'Invalid rate value: "fast"\n');
    assert.equal((await s.cli(['port', 'function', 'rate', 'set', SF, 'tx_max'])).err, 'String parameter expected\n');
    assert.equal((await s.cli(['port', 'function', 'rate', 'set', SF, 'weight', '1'])).err, 'Unknown option "weight"\n');
    assert.equal((await s.cli(['port', 'function', 'rate', 'del', NODE])).err, 'kernel answers: No such device\n');
  });
});
