// close() while a lifecycle call cleans up: from the call of close() on, every new call is
// refused as it is after the close (nothing of it is sent), while the lifecycle's own
// roll-back still runs; and a lifecycle call that ends while it waits its turn behind
// another call for the same SF is a SubfunctionError (step 'queue', outcome 'none').
import assert from 'node:assert/strict';
import { Cmd } from '../src/devlink/constants';
import { Devlink } from '../src/devlink/devlink';
import { SubfunctionError } from '../src/devlink/errors';
import { AbortError, ClosedError, TimeoutError } from '../src/genl/errors';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';

/** What a promise rejects with, as a string of class, code and message (or 'resolved'). */
async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (e: unknown) => e instanceof Error ? `${e.name} ${(e as { code?: string }).code} ${e.message}` : String(e));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('close() while a lifecycle call cleans up', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dl: Devlink;

  beforeEach(async () => {
    sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }], timing: { attachMs: 2000, detachMs: 10, freeMs: 10 } });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
  });

  /** The simulator's SF ports, read on a connection of its own. */
  const simSfs = async (): Promise<string[]> => {
    const probe = await Devlink.open({ transport: sim.transport() });
    try {
      return (await probe.ports({ dev: PF0 })).filter((p) => p.flavour === 'pcisf').map((p) => `sf${p.sfnum}`);
    } finally {
      await probe.close();
    }
  };

  /** One of each kind of call: plumbing, typed requests and dumps, the lifecycle, notifications. */
  const calls = (d: Devlink): Record<string, () => Promise<unknown>> => ({
    addPort: () => d.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 55 }),
    ports: () => d.ports({ dev: PF0 }),
    port: () => d.port(`${PF0}/65535`),
    devices: () => d.devices(),
    setPortFunction: () => d.setPortFunction(`${PF0}/65535`, { hwAddr: '00:00:00:00:00:55' }),
    setParam: () => d.setParam(PF0, 'max_macs', 8, { cmode: 'driverinit' }),
    request: () => d.request(Cmd.PORT_GET, { busName: 'pci', devName: '0000:06:00.0', portIndex: 65535 }),
    healthReporters: () => d.healthReporters({ dev: PF0 }),
    createSubfunction: () => d.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 56 }),
    ensureSubfunction: () => d.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 57 }),
    destroySubfunction: () => d.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 7 }),
    findSubfunction: () => d.findSubfunction({ dev: PF0, pfnum: 0, sfnum: 7 }),
    'monitor().ready': () => d.monitor({ dev: PF0 }).ready,
    'monitor().next()': () => d.monitor({ dev: PF0 }).next(),
    watchPorts: () => d.watchPorts({ dev: PF0 }),
  });

  it('new calls made after close() is called, before it resolves, are refused as after the close; the roll-back still runs', async () => {
    const create = dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 7 }).then(() => undefined, (e: unknown) => e);
    // pending from before the close: it ends with the close, one way or the other
    const monitor = dl.monitor({ dev: PF0 });
    await monitor.ready;
    const next = monitor.next().then(() => 'settled', () => 'settled');
    await sleep(100);
    const sentBefore = dl.genl.connection.stats.sent;
    const closing = dl.close();
    let closed = false;
    void closing.then(() => (closed = true));
    const issued = Object.entries(calls(dl)).map(([name, f]) => outcome(f()).then((r) => [name, r] as const));
    assert.equal(closed, false, 'the calls were made while close() waits for the clean-up');
    const during = Object.fromEntries(await Promise.all(issued));
    for (const [name, r] of Object.entries(during)) {
      // a monitor on a closed Devlink ends: its first next() is done
      if (name !== 'monitor().next()') assert.match(r, /^ClosedError ERR_NETLINK_CLOSED /, `${name} while closing: ${r}`);
    }
    await closing;
    const e = await create;
    assert.ok(e instanceof SubfunctionError, String(e));
    assert.equal(e.outcome, 'rolled-back');
    assert.ok(e.cause instanceof ClosedError, String(e.cause));
    assert.equal(await next, 'settled');
    // the roll-back's look-up and delete went out; none of the calls above did
    const sent = dl.genl.connection.stats.sent - sentBefore;
    assert.ok(sent <= 3, `${sent} requests sent while closing: only the roll-back's`);
    assert.deepEqual(await simSfs(), [], 'no port sf55 (nor sf56, sf57) was made, sf7 was rolled back');
    for (const [name, f] of Object.entries(calls(dl))) {
      const after = await outcome(f());
      if (name !== 'monitor().next()') assert.match(after, /^ClosedError ERR_NETLINK_CLOSED /, `${name} after close: ${after}`);
      assert.equal(during[name], after, `${name}: while closing as after the close`);
    }
  });

  it('close() called twice: both resolve once the clean-up is done', async () => {
    const create = dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 8 }).then(() => undefined, (e: unknown) => e);
    await sleep(50);
    const [a, b] = [dl.close(), dl.close()];
    await Promise.all([a, b]);
    assert.ok((await create) instanceof SubfunctionError);
    assert.deepEqual(await simSfs(), []);
  });

  it('a close() with no lifecycle call pending refuses new calls at once, as before', async () => {
    const closing = dl.close();
    assert.match(await outcome(dl.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 55 })), /^ClosedError /);
    assert.match(await outcome(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 56 })), /^ClosedError /);
    await closing;
    assert.deepEqual(await simSfs(), []);
  });
});

describe('a lifecycle call that ends while it waits behind another call for the same SF', function () {
  this.timeout(30_000);
  let sim: Simulator;
  let dl: Devlink;

  beforeEach(async () => {
    sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }], timing: { attachMs: 1000, detachMs: 10, freeMs: 10 } });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
  });

  const failure = async (p: Promise<unknown>): Promise<SubfunctionError> => {
    const e = await p.then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof SubfunctionError, `expected a SubfunctionError, got ${String(e)}`);
    return e;
  };

  it('aborted: ECANCELED at step queue, outcome none, the AbortError kept as cause, at the abort', async () => {
    const first = dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 1 });
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 200);
    const e = await failure(dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 1, signal: ac.signal }));
    assert.ok(Date.now() - t0 < 800, 'rejected at the abort, not once the first call ended');
    assert.equal(e.step, 'queue');
    assert.equal(e.outcome, 'none');
    assert.equal(e.port, undefined);
    assert.equal(e.code, 'ECANCELED');
    assert.equal(e.errno, 125);
    assert.equal(e.kernelRefused, false);
    assert.ok(e.cause instanceof AbortError, String(e.cause));
    assert.match(e.message, /step queue failed: .*aborted; nothing was created/);
    assert.equal((await first).port.function?.opstate, 'attached', 'the call ahead is not disturbed');
  });

  it('timed out: ETIMEDOUT at step queue, outcome none, the TimeoutError kept as cause', async () => {
    const first = dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 2 });
    const t0 = Date.now();
    const e = await failure(dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: 2, timeoutMs: 300 }));
    assert.ok(Date.now() - t0 < 900, 'rejected at its deadline');
    assert.equal(e.step, 'queue');
    assert.equal(e.outcome, 'none');
    assert.equal(e.code, 'ETIMEDOUT');
    assert.ok(e.cause instanceof TimeoutError, String(e.cause));
    // the call that left its place in the queue lets no later call past the one still running
    const d = await failure(dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: 2 }, { timeoutMs: 100 }));
    assert.equal(d.step, 'queue');
    assert.equal(d.outcome, 'none');
    assert.equal(d.code, 'ETIMEDOUT');
    await first;
  });

  it('closed: ENOTCONN at step queue, outcome none, the ClosedError kept as cause', async () => {
    const first = dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 3 }).then(() => undefined, (x: unknown) => x);
    const queued = failure(dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 3 }));
    await sleep(50);
    await dl.close();
    const e = await queued;
    assert.equal(e.step, 'queue');
    assert.equal(e.outcome, 'none');
    assert.equal(e.code, 'ENOTCONN');
    assert.ok(e.cause instanceof ClosedError, String(e.cause));
    assert.ok((await first) instanceof SubfunctionError);
  });
});
