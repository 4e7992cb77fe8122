// A late reply and a close at every request of create, ensure and destroy: each call ends
// in success or in one of the three stated outcomes, and the outcome matches what the
// simulator holds afterwards.
import assert from 'node:assert/strict';
import { Devlink } from '../src/devlink/devlink';
import { SubfunctionError } from '../src/devlink/errors';
import { ClosedError } from '../src/genl/errors';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';
const SFNUM = 5;

type Op = 'create' | 'ensure-new' | 'ensure-existing' | 'destroy';
type Fault = 'late' | 'close';

interface Harness {
  sim: Simulator;
  dl: Devlink;
  probe: Devlink;
  /** Devlink requests and dumps the call made. */
  calls: number;
}

async function harness(op: Op): Promise<Harness> {
  const sim = new Simulator({ timing: { attachMs: 20, detachMs: 10, freeMs: 10 }, devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
  const dl = await Devlink.open({ transport: sim.transport() });
  const probe = await Devlink.open({ transport: sim.transport() });
  if (op === 'ensure-existing' || op === 'destroy') {
    await probe.createSubfunction({ dev: PF0, pfnum: 0, sfnum: SFNUM, hwAddr: '00:00:00:00:00:01', activate: op === 'destroy' });
  }
  return { sim, dl, probe, calls: 0 };
}

function run(h: Harness, op: Op): Promise<unknown> {
  const o = { timeoutMs: 250 };
  switch (op) {
    case 'create': return h.dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: SFNUM, hwAddr: '00:00:00:00:00:02', ...o });
    case 'ensure-new':
    case 'ensure-existing': return h.dl.ensureSubfunction({ dev: PF0, pfnum: 0, sfnum: SFNUM, hwAddr: '00:00:00:00:00:02', ...o });
    case 'destroy': return h.dl.destroySubfunction({ dev: PF0, pfnum: 0, sfnum: SFNUM }, o);
  }
}

/** Count the requests and dumps `h.dl` makes; at the `k`-th, inject `fault`. */
function inject(h: Harness, k: number, fault: Fault): void {
  for (const m of ['request', 'dump'] as const) {
    const orig = h.dl[m].bind(h.dl);
    h.dl[m] = (cmd, attrs, o) => {
      if (++h.calls === k) {
        if (fault === 'late') h.sim.faults.delayReplies(1000, { cmd });
        else setImmediate(() => void h.dl.close());
      }
      return orig(cmd, attrs, o);
    };
  }
}

async function simPort(h: Harness): Promise<{ handle: string; state?: string } | undefined> {
  await h.sim.settle();
  const p = (await h.probe.ports({ dev: PF0 })).find((x) => x.flavour === 'pcisf' && x.sfnum === SFNUM);
  return p ? { handle: p.handle, state: String(p.function?.state) } : undefined;
}

describe('a late reply and a close at every request of a lifecycle call', function () {
  this.timeout(120_000);
  for (const op of ['create', 'ensure-new', 'ensure-existing', 'destroy'] as const) {
    it(`${op}: every outcome matches the simulator`, async () => {
      // how many requests a clean run makes
      const clean = await harness(op);
      inject(clean, 0, 'late');
      await run(clean, op);
      const n = clean.calls;
      await clean.dl.close();
      await clean.probe.close();
      await clean.sim.close();
      assert.ok(n >= 2, `${op} made ${n} requests`);
      const seen = new Set<string>();
      for (const fault of ['late', 'close'] as const) {
        for (let k = 1; k <= n; k++) {
          const h = await harness(op);
          try {
            inject(h, k, fault);
            const r = await run(h, op).then((v) => ({ ok: v }), (e: unknown) => ({ err: e }));
            const port = await simPort(h);
            const at = `${op}, ${fault} at request ${k} of ${n}`;
            if ('ok' in r) {
              seen.add('ok');
              if (op === 'destroy') assert.equal(port, undefined, `${at}: destroyed`);
              else assert.equal(port?.state, 'active', `${at}: converged`);
              continue;
            }
            const e = r.err;
            if (fault === 'close' && e instanceof ClosedError) {
              // closed before the call began its work
              seen.add('closed-before');
              continue;
            }
            assert.ok(e instanceof SubfunctionError, `${at}: ${String(e)}`);
            seen.add(e.outcome);
            switch (e.outcome) {
              case 'none':
                if (op === 'create' || op === 'ensure-new') assert.equal(port, undefined, `${at}: none, and nothing there`);
                else if (fault === 'late') assert.equal(e.port, port?.handle, `${at}: none, the SF that was there is named`);
                else assert.ok(e.port === undefined || e.port === port?.handle, `${at}: none, named if it could be looked up`);
                break;
              case 'rolled-back':
                assert.equal(port, undefined, `${at}: rolled back, and nothing there`);
                break;
              case 'left':
                assert.ok(port, `${at}: left, and it is there`);
                // after a close nothing can be looked up any more: the port may go unnamed
                if (fault === 'late' || e.port !== undefined) assert.equal(e.port, port.handle, `${at}: left, and named`);
                break;
            }
          } finally {
            await h.dl.close();
            await h.probe.close();
            await h.sim.close();
          }
        }
      }
      console.log(`      ${op}: ${n} requests, outcomes seen: ${[...seen].sort().join(', ')}`);
    });
  }
});
