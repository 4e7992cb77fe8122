// monitor on the simulator: events printed as they arrive, in iproute2's form, filtered
// by object; the JSON stream closed when the monitor stops.
import assert from 'node:assert/strict';
import { PF0, SimSession, simSession } from './cli.helpers';

describe('cli monitor', () => {
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession({ eswitch: 'switchdev' });
  });
  afterEach(async () => {
    await s.close();
  });


  it('prints [port,new], [rate,new] and the function as port show does', async () => {
    const r = await s.monitor(['monitor'], async () => {
      const a = await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
      assert.equal(a.code, 0, a.err);
    });
    assert.equal(r.code, 0, r.err);
    const fn = '  function:\n    hw_addr 00:00:00:00:00:00 state inactive opstate detached\n';
    assert.equal(r.out,
      `[port,new] ${PF0}/32768: type notset flavour pcisf controller 0 pfnum 0 sfnum 88 splittable false\n${fn}` +
      `[rate,new] ${PF0}/32768: type leaf\n` +
      `[port,new] ${PF0}/32768: type eth netdev eth0 flavour pcisf controller 0 pfnum 0 sfnum 88 splittable false\n${fn}`);
  });

  it('filters by object: monitor port leaves rate events out; monitor dev shows auxiliary instances', async () => {
    const ports = await s.monitor(['monitor', 'port'], async () => {
      await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    });
    assert.ok(!ports.out.includes('[rate,'), ports.out);
    assert.equal(ports.out.split('[port,new]').length - 1, 2);
    const devs = await s.monitor(['monitor', 'dev'], async () => {
      const r = await s.cli(['port', 'function', 'set', `${PF0}/32768`, 'state', 'active']);
      assert.equal(r.code, 0, r.err);
    });
    // the new instance with its reload statistics, as iproute2's monitor prints a [dev,new]
    assert.match(devs.out, /^\[dev,new\] auxiliary\/mlx5_core\.sf\.\d+:\n {2}stats:\n {6}reload:\n {10}driver_reinit:\n {12}unspecified 0\n/);
    assert.ok(!devs.out.includes('[port,'), devs.out);
  });

  it('-j: {"mon":[...]} closed when stopped', async () => {
    const r = await s.monitor(['-j', 'monitor', 'port'], async () => {
      await s.cli(['port', 'add', PF0, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88']);
    });
    const doc = JSON.parse(r.out) as { mon: Array<{ command: string; port: Record<string, { type: string; sfnum: number }> }> };
    assert.equal(doc.mon.length, 2);
    assert.equal(doc.mon[0].command, 'new');
    assert.equal(doc.mon[0].port[`${PF0}/32768`].type, 'notset');
    assert.equal(doc.mon[1].port[`${PF0}/32768`].type, 'eth');
  });

  it('-j with nothing seen: an empty stream', async () => {
    const r = await s.monitor(['-j', 'monitor'], async () => undefined);
    assert.equal(r.out, '{"mon":[]}\n');
  });

  it('an unknown object is refused before listening', async () => {
    assert.deepEqual(await s.cli(['monitor', 'ports']), { code: 1, out: '', err: 'Unknown object "ports"\n' });
  });
});
