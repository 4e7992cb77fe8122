// port show / add / function set / del / set / split and the errors around them, on the
// simulator (6.1 behaviour): text and JSON in iproute2's formats, the kernel's messages.
import assert from 'node:assert/strict';
import { PF0, PF1, SimSession, simSession } from './cli.helpers';
import { Cmd } from '../src/devlink/constants';

const SF = `${PF0}/32768`;
const sfLine = (netdev: string, fn: string): string =>
  `${SF}: type eth netdev ${netdev} flavour pcisf controller 0 pfnum 0 sfnum 88 splittable false\n  function:\n    ${fn}\n`;

describe('cli port', () => {
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession({ eswitch: 'switchdev' });
  });
  afterEach(async () => {
    await s.close();
  });

  it('port show: every port, the ports of a device, one port, a port by netdev', async () => {
    const all = await s.cli(['port', 'show']);
    assert.equal(all.code, 0, all.err);
    const lines = all.out.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^pci\/0000:06:00\.0\/\d+: type eth netdev enp6s0f0np0 flavour physical port 0 splittable false$/);
    assert.match(lines[1], /^pci\/0000:06:00\.1\/\d+: type eth netdev enp6s0f1np1 flavour physical port 1 splittable false$/);
    assert.deepEqual(await s.cli(['port', 'show', PF1]), { code: 0, out: `${lines[1]}\n`, err: '' });
    const handle = lines[0].split(': ')[0];
    assert.deepEqual(await s.cli(['port', 'show', handle]), { code: 0, out: `${lines[0]}\n`, err: '' });
    assert.deepEqual(await s.cli(['port', 'show', 'enp6s0f0np0']), { code: 0, out: `${lines[0]}\n`, err: '' });
    assert.deepEqual(await s.cli(['p']), all);
  });

  it('port show: errors', async () => {
    assert.deepEqual(await s.cli(['port', 'show', 'eth99']), { code: 1, out: '', err: 'Netdevice "eth99" not found\n' });
    assert.deepEqual(await s.cli(['port', 'show', `${PF0}/7`]), { code: 1, out: '', err: 'kernel answers: No such device\n' });
    assert.deepEqual(await s.cli(['-j', 'port', 'show', `${PF0}/7`]), { code: 1, out: '{"port":{}}\n', err: 'kernel answers: No such device\n' });
    assert.equal((await s.cli(['port', 'show', `${PF0}/x`])).err, 'Port index "x" is not a number or not within range\n');
    assert.equal((await s.cli(['port', 'show', 'a/b/c/d'])).err,
      'Wrong port identification string format.\nExpected "bus_name/dev_name" or "bus_name/dev_name/port_index" or "netdev_ifname".\n');
    assert.equal((await s.cli(['port', 'show', PF0, 'extra'])).err, 'Unknown option "extra"\n');
  });

  it('port add pcisf prints the new port; function set; show; del', async () => {
    const add = await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    assert.deepEqual(add, { code: 0, out: sfLine('eth0', 'hw_addr 00:00:00:00:00:00 state inactive opstate detached'), err: '' });
    assert.deepEqual(await s.cli(['port', 'function', 'set', SF, 'hw_addr', '00:00:00:00:88:88', 'state', 'active']), { code: 0, out: '', err: '' });
    await s.sim.settle();
    assert.deepEqual(await s.cli(['port', 'show', SF]), { code: 0, out: sfLine('eth0', 'hw_addr 00:00:00:00:88:88 state active opstate attached'), err: '' });
    assert.deepEqual(await s.cli(['port', 'show', 'eth0']),
      { code: 0, out: sfLine('eth0', 'hw_addr 00:00:00:00:88:88 state active opstate attached'), err: '' });
    assert.deepEqual(await s.cli(['-j', 'port', 'show', SF]), {
      code: 0,
      out: `{"port":{"${SF}":{"type":"eth","netdev":"eth0","flavour":"pcisf","controller":0,"pfnum":0,"sfnum":88,"splittable":false,` +
        '"function":{"hw_addr":"00:00:00:00:88:88","state":"active","opstate":"attached"}}}}\n',
      err: '',
    });
    assert.deepEqual(await s.cli(['port', 'function', 'set', SF, 'state', 'inactive']), { code: 0, out: '', err: '' });
    await s.sim.settle();
    assert.deepEqual(await s.cli(['port', 'del', SF]), { code: 0, out: '', err: '' });
    assert.deepEqual(await s.cli(['port', 'show', SF]), { code: 1, out: '', err: 'kernel answers: No such device\n' });
  });

  it('port add -j: {"port":{...}} (valid JSON where iproute2 6.1 prints the inner object)', async () => {
    const r = await s.cli(['-j', 'port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      port: {
        [SF]: {
          type: 'eth', netdev: 'eth0', flavour: 'pcisf', controller: 0, pfnum: 0, sfnum: 88, splittable: false,
          function: { hw_addr: '00:00:00:00:00:00', state: 'inactive', opstate: 'detached' },
        },
      },
    });
  });

  it('an sfnum in use: the kernel\'s message, then its errno in glibc\'s words', async () => {
    await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    assert.deepEqual(await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']), {
      code: 1, out: '', err: 'Error: mlx5_core: SF already exist. Choose different sfnum.\nkernel answers: File exists\n',
    });
    assert.deepEqual(await s.cli(['-j', 'port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']), {
      code: 1, out: '\n', err: 'Error: mlx5_core: SF already exist. Choose different sfnum.\nkernel answers: File exists\n',
    });
  });

  it('the driver\'s other refusals', async () => {
    assert.equal((await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '1', 'sfnum', '9'])).err,
      'Error: mlx5_core: Invalid pfnum supplied.\nkernel answers: Operation not supported\n');
    assert.equal((await s.cli(['port', 'add', PF1, 'flavour', 'pcisf', 'pfnum', '1', 'sfnum', '9'])).err,
      'Error: mlx5_core: Port add is only supported in eswitch switchdev mode or SF ports are disabled.\nkernel answers: Operation not supported\n');
    assert.equal((await s.cli(['port', 'add', PF0, 'flavour', 'pcivf', 'pfnum', '0'])).err,
      'Error: mlx5_core: Driver supports only SF port addition.\nkernel answers: Operation not supported\n');
    assert.equal((await s.cli(['port', 'del', `${PF0}/9`])).err, 'kernel answers: No such device\n');
  });

  it('a bad MAC address is refused before anything is sent', async () => {
    await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    s.sent.cmds.length = 0;
    assert.deepEqual(await s.cli(['port', 'function', 'set', SF, 'hw_addr', '00:00:00:00:88']), {
      code: 1, out: '', err: 'Error: invalid hwAddr: "00:00:00:00:88" is not a MAC address: expected six octets such as "00:00:00:00:88:88".\n',
    });
    assert.deepEqual(await s.cli(['port', 'function', 'set', SF, 'hw_addr', '01:00:00:00:88:88']), {
      code: 1, out: '', err: 'Error: invalid hwAddr: "01:00:00:00:88:88" is a multicast address; a function needs a unicast address.\n',
    });
    // with -j, as iproute2: a set prints no JSON, only the newline that ends the JSON stream, done or failed
    assert.deepEqual(await s.cli(['-j', 'port', 'function', 'set', SF, 'hw_addr', 'zz']), {
      code: 1, out: '\n', err: 'Error: invalid hwAddr: "zz" is not a MAC address: expected six octets such as "00:00:00:00:88:88".\n',
    });
    assert.deepEqual(await s.cli(['-j', 'port', 'function', 'set', SF, 'hw_addr', '00:00:00:00:88:89']), { code: 0, out: '\n', err: '' });
    assert.deepEqual(s.sent.cmds.filter((c) => c === Cmd.PORT_SET), [Cmd.PORT_SET]);
  });

  it('argument mistakes: iproute2\'s messages, nothing sent', async () => {
    s.sent.cmds.length = 0;
    const err = async (...argv: string[]): Promise<string> => {
      const r = await s.cli(argv);
      assert.equal(r.code, 1);
      return r.err;
    };
    assert.equal(await err('port', 'add', PF0, 'pfnum', '0'), 'Port flavour is expected.\n');
    assert.equal(await err('port', 'add', PF0, 'flavour', 'pcisf'), 'Port PCI PF number is expected.\n');
    assert.equal(await err('port', 'add', PF0, 'flavour', 'sf', 'pfnum', '0'), 'Error: argument "sf" is wrong: unknown flavour\n');
    assert.equal(await err('port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '70000'), '"70000" is not a number or not within range\n');
    assert.equal(await err('port', 'add', PF0, 'flavour', 'pcisf', 'pfnum'), 'Unsigned number argument expected\n');
    assert.equal(await err('port', 'split', SF), 'Port split count option expected.\n');
    assert.equal(await err('port', 'set', SF), 'Port type not set.\n');
    assert.equal(await err('port', 'set', SF, 'type', 'fc'), 'Unknown port type "fc"\n');
    assert.equal(await err('port', 'function', 'set', SF, 'state', 'on'), 'Error: argument "on" is wrong: unknown state\n');
    assert.equal(await err('port', 'function', 'set', SF, 'roce', 'maybe'), '"maybe" is not a valid boolean value\n');
    assert.equal(await err('port', 'function', 'set', SF, 'x'), 'Unknown option "x"\n');
    // the keywords, not the library's field names (hwAddr, maxIoEqs)
    assert.equal(await err('port', 'function', 'set', SF),
      'Nothing to set: give hw_addr, state, roce, migratable, ipsec_crypto, ipsec_packet, max_io_eqs.\n');
    const help = await s.cli(['port', 'del']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: devlink-sf port del DEV\/PORT_INDEX/);
    assert.deepEqual(s.sent.cmds, []);
  });

  it('port set type, split and unsplit reach the driver', async () => {
    const handle = (await s.cli(['port', 'show', PF0])).out.split(': ')[0];
    assert.deepEqual(await s.cli(['port', 'split', handle, 'count', '2']), { code: 1, out: '', err: 'kernel answers: Operation not supported\n' });
    assert.equal((await s.cli(['port', 'unsplit', handle])).code, 1);
    assert.equal((await s.cli(['port', 'set', handle, 'type', 'ib'])).code, 1);
  });

  it('a newer kernel: capabilities and max_io_eqs in port show', async () => {
    await s.close();
    s = await simSession({ eswitch: 'switchdev', kernel: 'current' });
    await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    assert.deepEqual(await s.cli(['port', 'function', 'set', SF, 'roce', 'disable', 'max_io_eqs', '4']), { code: 0, out: '', err: '' });
    const r = await s.cli(['port', 'show', SF]);
    assert.match(r.out,
      /\n {4}hw_addr 00:00:00:00:00:00 state inactive opstate detached roce disable( migratable \w+)?( ipsec_crypto \w+)?( ipsec_packet \w+)? max_io_eqs 4\n/);
    const j = JSON.parse((await s.cli(['-j', 'port', 'show', SF])).out) as { port: Record<string, { function: Record<string, unknown> }> };
    assert.equal(j.port[SF].function.roce, 'disable');
    assert.equal(j.port[SF].function.max_io_eqs, 4);
  });
});
