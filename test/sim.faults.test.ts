import assert from 'node:assert/strict';
import { Simulator } from '../src/sim';
import { GenericNetlink } from '../src/genl/generic';
import { finishRequest, startRequest } from '../src/genl/message';
import { dl, expectError, F, NLMSG_DONE, parse, PCI0, portIndex, portNewAttrs, Raw, simAndRaw } from './sim.helpers';

const REQ = F.REQUEST | F.ACK;
const DEVS = [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' as const }];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sim: fault injection', () => {
  let sim: Simulator;
  let raw: Raw;
  beforeEach(() => ({ sim, raw } = simAndRaw({ devices: DEVS }, false)));
  afterEach(() => sim.close());

  it('delayReplies: the reply and ACK arrive late, in order; nlctrl is not affected', async () => {
    sim.faults.delayReplies(30);
    assert.deepEqual(raw.send(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1))), []);
    const t0 = Date.now();
    await sim.settle();
    assert.ok(Date.now() - t0 >= 25);
    const got = raw.got.splice(0).flatMap((g) => parse(g.dgram));
    assert.deepEqual(got.map((m) => m.type === 2 ? 'ack' : m.cmd), [3, 'ack']);
    assert.equal(raw.send(dl(sim, 1, REQ, PCI0)).length, 2, 'consumed: the next request is answered at once');
  });

  it('dropReplies: nothing comes back, the request still takes effect; the engine times out', async () => {
    sim.faults.dropReplies({ cmd: 7 });
    assert.deepEqual(raw.send(dl(sim, 1, REQ, PCI0)).length, 2, 'other commands unaffected');
    assert.deepEqual(raw.send(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1))), []);
    assert.equal(parse(raw.send(dl(sim, 5, F.REQUEST, [...PCI0, portIndex(32768)]))[0])[0].cmd, 7);
    const g = await GenericNetlink.open({ transport: sim.transport() });
    try {
      sim.faults.dropReplies();
      const w = startRequest(sim.familyId, REQ, 1, 1);
      w.putString(1, 'pci');
      w.putString(2, '0000:06:00.0');
      await assert.rejects(g.connection.request({ msg: finishRequest(w), op: 'get', timeoutMs: 50 }), { name: 'TimeoutError' });
    } finally {
      await g.close();
    }
  });

  it('failNext: the next request (of a command) fails with the errno and message, once', () => {
    sim.faults.failNext(5, { cmd: 8, message: 'injected' });
    assert.equal(raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)))[0].cmd, 3);
    expectError(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)])), 5, 'injected');
    assert.equal(raw.call(dl(sim, 8, REQ, [...PCI0, portIndex(32768)]))[0].errno, 0);
    sim.faults.failNext(16, { count: 2 });
    expectError(raw.call(dl(sim, 1, REQ, PCI0)), 16);
    expectError(raw.call(dl(sim, 1, REQ, PCI0)), 16);
    assert.equal(raw.call(dl(sim, 1, REQ, PCI0))[0].cmd, 3);
  });

  it('overrun: a subscriber loses notifications and is told; other subscribers are not', async () => {
    const other = new Raw(sim);
    raw.join(sim.groupId);
    other.join(sim.groupId);
    sim.faults.overrun({ port: raw.ep.localPort, count: 2 });
    raw.send(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    await sim.settle();
    assert.equal(raw.overruns, 1);
    assert.equal(raw.notifications().length, 1, 'three sent, two lost');
    assert.equal(other.overruns, 0);
    assert.equal(other.notifications().length, 3);
  });

  it('overrun reaches the engine\'s subscribers as an overrun marker', async () => {
    const g = await GenericNetlink.open({ transport: sim.transport() });
    try {
      await g.joinGroup('devlink', 'config');
      const q = g.notifications();
      sim.faults.overrun();
      raw.send(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
      const kinds: string[] = [];
      for await (const n of q) {
        kinds.push(n.kind);
        if (kinds.length === 3) break;
      }
      assert.deepEqual(kinds, ['overrun', 'message', 'message']);
    } finally {
      await g.close();
    }
  });

  it('interruptNextDump: the messages and DONE carry NLM_F_DUMP_INTR; the engine reports or retries', async () => {
    sim.faults.interruptNextDump({ cmd: 5 });
    const msgs = raw.send(dl(sim, 5, F.REQUEST | F.DUMP, [])).flatMap(parse);
    for (const m of msgs) assert.ok(m.flags & F.DUMP_INTR);
    assert.equal(msgs[msgs.length - 1].type, NLMSG_DONE);
    const g = await GenericNetlink.open({ transport: sim.transport() });
    try {
      const dump = (): Buffer => finishRequest(startRequest(sim.familyId, F.REQUEST | F.DUMP, 5, 1));
      sim.faults.interruptNextDump();
      await assert.rejects(g.connection.dump({ msg: dump(), op: 'port-get' }), { name: 'DumpInterruptedError' });
      sim.faults.interruptNextDump();
      const ok = await g.connection.dump({ msg: dump(), op: 'port-get', retryInterrupted: 1 });
      assert.equal(ok.length, 1);
    } finally {
      await g.close();
    }
  });

  it('clear() disarms everything', () => {
    sim.faults.failNext(5);
    sim.faults.dropReplies();
    sim.faults.clear();
    assert.equal(raw.call(dl(sim, 1, REQ, PCI0))[0].cmd, 3);
  });
});

describe('sim: the in-process endpoint behaves like a socket', () => {
  it('delivers from the event loop without poll(), each datagram a Buffer of its own', async () => {
    const sim = new Simulator({ devices: DEVS });
    try {
      const got: Buffer[][] = [[], []];
      const eps = [sim.transport(), sim.transport()];
      assert.notEqual(eps[0].localPort, eps[1].localPort);
      eps.forEach((ep, i) => {
        ep.start({ message: (d) => got[i].push(d), overrun: () => undefined, error: () => undefined });
        ep.addMembership(sim.groupId);
      });
      eps[0].send([dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1))]);
      await sim.settle();
      assert.equal(got[0].length, 5);
      assert.equal(got[1].length, 3);
      assert.notEqual(got[0][0].buffer, got[1][0].buffer);
      assert.deepEqual(got[0][0], got[1][0]);
    } finally {
      await sim.close();
    }
  });

  it('never delivers after close(), refuses to send, and close() releases pending steps', async () => {
    const sim = new Simulator({ devices: DEVS, timing: { attachMs: 10_000 } });
    const got: Buffer[] = [];
    const ep = sim.transport();
    ep.start({ message: (d) => got.push(d), overrun: () => undefined, error: () => undefined });
    ep.addMembership(sim.groupId);
    const raw = new Raw(sim);
    raw.call(dl(sim, 7, REQ, portNewAttrs(PCI0, 0, 1)));
    raw.call(dl(sim, 6, REQ, [...PCI0, portIndex(32768), Buffer.from([8, 0, 0x91, 0x80, 5, 0, 2, 0, 1, 0, 0, 0])]));
    ep.close();
    ep.close();
    assert.throws(() => ep.send([dl(sim, 1, REQ, PCI0)]), { code: 'EBADF' });
    await sleep(5);
    assert.equal(got.length, 0);
    const t0 = Date.now();
    await sim.close();
    await sim.settle();
    assert.ok(Date.now() - t0 < 1000, 'the 10 s attach was cancelled');
    assert.throws(() => sim.transport());
  });
});
