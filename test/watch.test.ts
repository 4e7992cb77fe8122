// List, then watch, without a gap: monitor() subscribes at the call; the port watch's view
// equals a fresh dump whenever things settle, through random interleavings of changes
// with its dumps and forced overruns; nothing older than a resync is delivered after it.
import assert from 'node:assert/strict';
import { Devlink } from '../src/devlink/devlink';
import { Cmd } from '../src/devlink/constants';
import type { PortChange } from '../src/devlink/port-watch';
import type { DevlinkEvent, DevlinkPort } from '../src/devlink/types';
import { ValidationError } from '../src/attrs/errors';
import { loadAddon } from '../src/genl/addon';
import { Simulator } from '../src/sim';
import { prng as rng } from './helpers/prng';

const PF0 = 'pci/0000:06:00.0';
const PF1 = 'pci/0000:06:00.1';

/** Ports by handle, as comparable plain data. */
function byHandle(ports: readonly DevlinkPort[]): Record<string, unknown> {
  return Object.fromEntries([...ports].sort((a, b) => a.handle.localeCompare(b.handle)).map((p) => [p.handle, p]));
}

/** The next `n` items of an async iterator, or fail after `ms`. */
async function take<T>(it: AsyncIterator<T>, n: number, ms = 2000): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const r = await Promise.race([it.next(), new Promise<'late'>((res) => setTimeout(() => res('late'), Math.max(1, deadline - Date.now())))]);
    if (r === 'late') throw new Error(`only ${out.length} of ${n} items within ${ms} ms: ${JSON.stringify(out)}`);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** Everything an iterator yields until it is idle for `idleMs`. */
async function drain<T>(it: AsyncIterator<T>, idleMs = 200): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const r = await Promise.race([it.next(), new Promise<'idle'>((res) => setTimeout(() => res('idle'), idleMs))]);
    if (r === 'idle' || r.done) return out;
    out.push(r.value);
  }
}

/** For comparing views where opstate changes come unannounced. */
function withoutOpstate(v: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'opstate' ? undefined : x))) as Record<string, unknown>;
}

describe('list, then watch, without a gap', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let dl: Devlink;
  let actor: Devlink;

  const open = async (kernel: '6.1' | 'current' = '6.1'): Promise<void> => {
    sim = new Simulator({
      kernel, timing: { attachMs: 3, detachMs: 2, freeMs: 2 },
      devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }, { handle: PF1, pfnum: 1, eswitch: 'switchdev' }],
    });
    dl = await Devlink.open({ transport: sim.transport() });
    actor = await Devlink.open({ transport: sim.transport() });
  };
  afterEach(async () => {
    await actor?.close();
    await dl?.close();
    await sim?.close();
  });

  describe('monitor()', () => {
    it('subscribes at the call: a change made before the first next() is seen, even before ready is awaited', async () => {
      await open();
      const it = dl.monitor({ dev: PF0 });
      await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 1 });
      await it.ready;
      const evs = await take(it, 3);
      assert.deepEqual(evs.map((e) => e.type), ['port-new', 'rate-new', 'port-new']);
      await it.return();
    });

    it('ready rejects, and the iteration fails, when the options are wrong; unknown keys are refused', async () => {
      await open();
      assert.throws(() => dl.monitor({ dve: PF0 } as never), (e: unknown) => e instanceof ValidationError && e.field === 'options.dve');
      assert.throws(() => dl.monitor({ signal: {} as AbortSignal }), (e: unknown) => e instanceof ValidationError && e.field === 'signal');
    });

    it('an abort ends it; close() of the Devlink ends it', async () => {
      await open();
      const ac = new AbortController();
      const it = dl.monitor({ signal: ac.signal });
      await it.ready;
      setTimeout(() => ac.abort(), 10);
      assert.deepEqual(await take(it, 1), []);
      const it2 = dl.monitor();
      await it2.ready;
      setTimeout(() => void dl.close(), 10);
      assert.deepEqual(await take(it2, 1), []);
    });

    it('after an overrun: a resync with the re-read state, and nothing older than it afterwards', async () => {
      await open();
      const p = await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 2 });
      const it = dl.monitor({ dev: PF0 });
      await it.ready;
      sim.faults.overrun({ count: 1 });
      await actor.setPortFunction(p.handle, { hwAddr: '00:00:00:00:00:01' }); // lost
      await actor.setPortFunction(p.handle, { hwAddr: '00:00:00:00:00:02' });
      const evs: DevlinkEvent[] = await drain(it);
      const resync = evs.find((e) => e.type === 'resync');
      assert.ok(resync && resync.type === 'resync');
      assert.equal(resync.ports.find((x) => x.handle === p.handle)?.function?.hwAddr, '00:00:00:00:00:02');
      // whatever follows the resync is not older than it
      const after = evs.slice(evs.indexOf(resync) + 1);
      for (const e of after) if (e.type === 'port-new') assert.equal(e.port.function?.hwAddr, '00:00:00:00:00:02');
      await it.return();
    });
  });

  describe('the port watch (watchPorts)', () => {
    it('lists, gets, and yields added / updated / removed', async () => {
      await open();
      const w = await dl.watchPorts({ dev: PF0 });
      assert.deepEqual(w.list().map((p) => p.flavour), ['physical']);
      const p = await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 3 });
      await actor.setPortFunction(p.handle, { hwAddr: '00:00:00:00:00:03' });
      await actor.deletePort(p.handle);
      const it = w[Symbol.asyncIterator]();
      const changes: PortChange[] = await take(it, 5);
      // mlx5: the port comes as PORT_NEW (type not set), then with its netdev; the function
      // set is announced; the delete clears the type (PORT_NEW), then PORT_DEL
      assert.deepEqual(changes.map((c) => c.type), ['added', 'updated', 'updated', 'updated', 'removed']);
      assert.equal(changes[2].port.function?.hwAddr, '00:00:00:00:00:03');
      assert.equal(changes[2].previous?.function?.hwAddr, '00:00:00:00:00:00');
      assert.equal(w.get(p.handle), undefined);
      await w.close();
      assert.deepEqual(await it.next(), { value: undefined, done: true });
    });

    it('changes made during its opening dump are applied without gap or duplicate', async () => {
      await open();
      const ops = Array.from({ length: 40 }, (_, i) => actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 100 + i }));
      const w = await dl.watchPorts({ dev: PF0 });
      await Promise.all(ops);
      await sim.settle();
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(byHandle(w.list()), byHandle(await actor.ports({ dev: PF0 })));
      await w.close();
    });

    it('an opstate change no notification announces (6.1) is picked up where the library waits on it', async () => {
      await open();
      const w = await dl.watchPorts({ dev: PF0 });
      const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 5 });
      assert.equal(w.get(sf.port.handle)?.function?.opstate, 'attached');
      await w.close();
    });

    for (const kernel of ['6.1', 'current'] as const) {
      it(`random changes, overruns and undecodable notifications: after every settle the view equals a fresh dump (${kernel})`, async () => {
        await open(kernel);
        const rand = rng(kernel === '6.1' ? 7 : 8);
        const w = await dl.watchPorts();
        const live = new Map<string, DevlinkPort>(w.list().map((p) => [p.handle, p]));
        const consumer = (async () => {
          for await (const ch of w) {
            if (ch.type === 'removed') live.delete(ch.port.handle);
            else live.set(ch.port.handle, ch.port);
          }
        })();
        let handles: string[] = [];
        for (let round = 0; round < 25; round++) {
          const batch: Promise<unknown>[] = [];
          for (let i = 0; i < 8; i++) {
            const r = rand();
            const dev = rand() < 0.5 ? PF0 : PF1;
            const h = handles[Math.floor(rand() * handles.length)];
            if (r < 0.35 || h === undefined) {
              batch.push(actor.addPort(dev, { flavour: 'pcisf', pfnum: dev === PF0 ? 0 : 1, sfnum: Math.floor(rand() * 30) })
                .then((p) => handles.push(p.handle), () => {}));
            } else if (r < 0.55) {
              batch.push(actor.deletePort(h).catch(() => {}));
            } else if (r < 0.8) {
              const mac = `00:00:00:00:${Math.floor(rand() * 256).toString(16).padStart(2, '0')}:01`;
              batch.push(actor.setPortFunction(h, { hwAddr: mac }).catch(() => {}));
            } else if (kernel === 'current') {
              batch.push(actor.setPortFunction(h, { state: rand() < 0.5 ? 'active' : 'inactive' }).catch(() => {}));
            }
            if (rand() < 0.15) sim.faults.overrun({ count: 1 + Math.floor(rand() * 3) });
          }
          await Promise.all(batch);
          await sim.settle();
          await new Promise((r) => setTimeout(r, 2));
          await sim.settle();
          // the watch has seen everything once a round trip on its connection is back
          await dl.devices();
          await new Promise((r) => setImmediate(r));
          // opstate changes come unannounced on every kernel (the library reads them where it waits)
          const norm = kernel === 'current' ? withoutOpstate : (x: Record<string, unknown>) => x;
          const truth = byHandle(await actor.ports());
          assert.deepEqual(norm(byHandle(w.list())), norm(truth), `round ${round}: the view`);
          assert.deepEqual(norm(byHandle([...live.values()])), norm(truth), `round ${round}: the consumer's changes`);
          handles = Object.keys(truth).filter((x) => !x.endsWith('/65535'));
        }
        assert.ok(w.stats.resyncs > 0, 'overruns were met');
        await w.close();
        await consumer;
      });
    }

    it('a notification that does not decode is counted and read again, never dropped in silence', async () => {
      await open();
      const w = await dl.watchPorts({ dev: PF0 });
      const p = await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 9 });
      // a PORT_NEW whose attributes are cut: inject it as the socket would deliver it
      const conn = dl.genl.connection as unknown as { onDatagram(b: Buffer, from: { port: number; group: number }): void };
      const bad = Buffer.alloc(20 + 8);
      bad.writeUInt32LE(28, 0);
      bad.writeUInt16LE(dl.family.id, 4);
      bad.writeUInt8(Cmd.PORT_NEW, 16);
      bad.writeUInt8(1, 17);
      bad.writeUInt16LE(40, 20); // an attribute longer than the message
      bad.writeUInt16LE(1, 22);
      conn.onDatagram(bad, { port: 0, group: sim.groupId });
      assert.equal(w.stats.malformed, 1);
      assert.equal(dl.eventStats.malformed, 1);
      await actor.setPortFunction(p.handle, { hwAddr: '00:00:00:00:00:09' });
      await sim.settle();
      await dl.devices();
      assert.equal(w.get(p.handle)?.function?.hwAddr, '00:00:00:00:00:09');
      await w.close();
    });
  });

  describe('on a real socket with a small receive buffer (the overrun the kernel reports before older notifications)', () => {
    before(function () {
      if (typeof process.getuid === 'function' && process.getuid() !== 0) this.skip();
      if (loadAddon() === null) this.skip();
    });

    for (let run = 0; run < 3; run++) {
      it(`monitor and watch end at the newest state (run ${run + 1})`, async () => {
        sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
        const { port } = await sim.listen();
        actor = await Devlink.open({ transport: sim.transport() });
        dl = await Devlink.open({ socket: { peerPort: port, rcvbuf: 8192 } });
        const p = await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 1 });
        const mon = dl.monitor({ dev: PF0 });
        await mon.ready;
        const w = await dl.watchPorts({ dev: PF0 });
        // a burst far larger than 8 KiB, sent while this side reads nothing
        for (let i = 0; i < 200; i++) void actor.setPortFunction(p.handle, { hwAddr: `00:00:00:00:${(i % 255).toString(16).padStart(2, '0')}:01` });
        await actor.setPortFunction(p.handle, { hwAddr: '00:00:00:00:00:02' });
        await new Promise((r) => setTimeout(r, 100));
        await dl.devices();
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(dl.eventStats.overruns > 0, 'the receive buffer overran');
        // the monitor's consumer, applying events in order
        let mac: string | undefined;
        let more = true;
        while (more) {
          const r = await Promise.race([mon.next(), new Promise<'idle'>((res) => setTimeout(() => res('idle'), 200))]);
          if (r === 'idle' || r.done) {
            more = false;
            continue;
          }
          const e = r.value;
          if (e.type === 'resync') mac = e.ports.find((x) => x.handle === p.handle)?.function?.hwAddr;
          if (e.type === 'port-new' && e.port.handle === p.handle) mac = e.port.function?.hwAddr;
        }
        assert.equal(mac, '00:00:00:00:00:02', 'the monitor ends at the newest state');
        assert.equal(w.get(p.handle)?.function?.hwAddr, '00:00:00:00:00:02', 'the watch ends at the newest state');
        await mon.return();
        await w.close();
      });
    }
  });
});

describe('the port watch survives a resync dump the kernel refuses (ENOBUFS)', () => {
  it('reads again after a pause; the view ends equal to a fresh dump and the watch goes on', async () => {
    const sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    const dl = await Devlink.open({ transport: sim.transport() });
    const actor = await Devlink.open({ transport: sim.transport() });
    try {
      const w = await dl.watchPorts({ dev: PF0 });
      // the next two port dumps answer ENOBUFS, as a kernel whose socket buffer is full does
      sim.faults.failNext(105, { cmd: Cmd.PORT_GET, count: 2 });
      sim.faults.overrun({ count: 1 });
      await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 1 });
      await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 2 });
      for (let i = 0; i < 100 && w.list().length !== 3; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(byHandle(w.list()), byHandle(await actor.ports({ dev: PF0 })));
      assert.ok(w.stats.resyncs >= 1);
      await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 3 });
      await sim.settle();
      await dl.devices();
      assert.equal(w.list().length, 4, 'still watching');
      await w.close();
    } finally {
      await actor.close();
      await dl.close();
      await sim.close();
    }
  });
});
