// Users test their daemons with mocha and sinon's fake clock: the simulator's timings, the
// engine's deadlines and the lifecycle's waits all follow it, so a 1.5 s attach or a 60 s
// timeout passes in no real time. How: install the clock, then open (ticking once so the
// simulator's replies, delivered on setImmediate, arrive), or open first: both work. Keep
// the clock going (tickAsync) while a call talks to the simulator: its replies ride on it.
import assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { Devlink } from '../src/devlink/devlink';
import { SubfunctionError } from '../src/devlink/errors';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';

describe('under a fake clock (sinon.useFakeTimers)', () => {
  let clock: sinon.SinonFakeTimers;
  let sim: Simulator;
  let dl: Devlink;
  afterEach(async () => {
    clock?.restore();
    await dl?.close();
    await sim?.close();
  });

  const open = async (attachMs: number): Promise<void> => {
    clock = sinon.useFakeTimers();
    sim = new Simulator({ timing: { attachMs }, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    const opening = Devlink.open({ transport: sim.transport() });
    await clock.tickAsync(0);
    dl = await opening;
  };

  it('a create with a 1.5 s attach completes as the clock is advanced, not before, in no real time', async () => {
    const real0 = process.hrtime.bigint();
    await open(1500);
    let result: string | undefined;
    const p = dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 1 }).then((sf) => (result = String(sf.port.function?.opstate)));
    await clock.tickAsync(1000);
    assert.equal(result, undefined, 'not attached after 1 s of the fake clock');
    await clock.tickAsync(1000);
    assert.equal(result, 'attached');
    await p;
    assert.ok(Number(process.hrtime.bigint() - real0) / 1e6 < 1500, 'in less real time than the attach takes');
  });

  it('a 60 s timeout fires when the clock passes it, and the port is deleted again', async () => {
    await open(10 * 60_000);
    const box: { err?: unknown; settled?: boolean } = {};
    void dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 2, timeoutMs: 60_000 }).catch((e: unknown) => (box.err = e)).finally(() => (box.settled = true));
    await clock.tickAsync(59_000);
    assert.equal(box.err, undefined);
    // the clean-up after the deadline talks to the simulator too: keep the clock going until it ends
    for (let i = 0; i < 1000 && !box.settled; i++) await clock.tickAsync(10);
    const err: unknown = Reflect.get(box, 'err');
    assert.ok(err instanceof SubfunctionError, String(err));
    assert.equal(err.step, 'wait-attached');
    assert.equal(err.outcome, 'rolled-back');
  });
});
