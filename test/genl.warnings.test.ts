// Warnings the kernel gives with a request it carried out: an ACK (or a dump's DONE) with
// error 0 and an ext-ack message. The engine counts them and hands them to onWarning; the
// CLI prints them as iproute2 does ("Warning: <message>.", to stderr); the simulator's
// mlx5 gives "reload while VFs are present is unfavorable" (mlx5_devlink_reload_down).
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import type { KernelWarning } from '../src/genl/connection';
import { Devlink } from '../src/devlink/devlink';
import { Simulator } from '../src/sim';
import { done, errorReply, replyMsg } from './helpers/fake-kernel';
import { dumpOf, fakeConnections, isDump, requestOf } from './helpers/engine';
import { PF0, simSession } from './cli.helpers';
import { nla, u32 } from './helpers/bytes';

describe('kernel warnings (ACK with error 0 and an ext-ack message)', () => {
  const fake = fakeConnections((r) => (isDump(r)
    ? [replyMsg(r, [nla(1, u32(7))], { flags: 2 }), done(r, { msg: 'dump went fine, mostly' })]
    : [errorReply(r, 0, { msg: 'carried out, but unfavorable' })]));
  afterEach(() => fake.closeAll());

  it('a request: resolves, and onWarning is told the op and the message', async () => {
    const seen: KernelWarning[] = [];
    const { c } = fake.open({ onWarning: (w) => seen.push(w) });
    assert.deepEqual(await c.request(requestOf(5)), []);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].op, 'test get 5');
    assert.equal(seen[0].message, 'carried out, but unfavorable');
    assert.equal(seen[0].attrPath, undefined);
    assert.equal(c.stats.warnings, 1);
  });

  it('a dump whose DONE carries a message: its entries, and the warning', async () => {
    const seen: string[] = [];
    const { c } = fake.open({ onWarning: (w) => seen.push(w.message) });
    assert.equal((await c.dump(dumpOf(1))).length, 1);
    assert.deepEqual(seen, ['dump went fine, mostly']);
  });

  it('without onWarning they are counted; a throwing onWarning is counted and fails nothing', async () => {
    const quiet = fake.open().c;
    await quiet.request(requestOf(1));
    assert.equal(quiet.stats.warnings, 1);
    const { c } = fake.open({
      onWarning: () => {
        throw new Error('listener bug');
      },
    });
    await c.request(requestOf(2));
    assert.equal(c.stats.listenerErrors, 1);
  });

  it('onWarning that is not a function is refused before anything is opened', async () => {
    await assert.rejects(Devlink.open({ onWarning: 'print' as unknown as () => void }),
      (e: unknown) => e instanceof ValidationError && /onWarning/.test(e.message));
  });
});

describe('the simulator\'s mlx5 reload with VFs present: a warning, and the reload is done', () => {
  it('library: Devlink.open({ onWarning }) hears it; the reload resolves', async () => {
    const sim = new Simulator({ devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, vfs: 2 }] });
    const seen: KernelWarning[] = [];
    const dl = await Devlink.open({ transport: sim.transport(), onWarning: (w) => seen.push(w) });
    try {
      await dl.reload(PF0);
      assert.deepEqual(seen.map((w) => [w.op, w.message]),
        [[`devlink reload ${PF0}`, 'mlx5_core: reload while VFs are present is unfavorable']]);
      // without VFs, no warning
      const other = new Simulator({ devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0 }] });
      const dl2 = await Devlink.open({ transport: other.transport(), onWarning: (w) => seen.push(w) });
      await dl2.reload(PF0);
      await dl2.close();
      await other.close();
      assert.equal(seen.length, 1);
    } finally {
      await dl.close();
      await sim.close();
    }
  });

  it('CLI: "Warning: ...." on stderr as iproute2 prints it, exit 0', async () => {
    const s = await simSession({ devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, vfs: 1 }] });
    try {
      assert.deepEqual(await s.cli(['dev', 'reload', PF0]),
        { code: 0, out: '', err: 'Warning: mlx5_core: reload while VFs are present is unfavorable.\n' });
    } finally {
      await s.close();
    }
  });
});
