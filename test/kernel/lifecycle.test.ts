// The converging lifecycle and the node agent against the real devlink core, with
// netdevsim's SF ports (scripts/uml/patches/6.1) and iproute2's `devlink` as the one
// changing things behind their backs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Agent, agentLogger } from '../../src/agent';
import { Devlink } from '../../src/devlink/devlink';
import { applyDesiredState, parseDesiredState } from '../../src/devlink/apply';
import { SubfunctionError } from '../../src/devlink/errors';
import { DEV, devlinkJson, NSIM_ID, onKernel, requireGuest, sh, until, writeSysfs } from './helpers';

const KNOBS = `/sys/kernel/debug/netdevsim/netdevsim${NSIM_ID}`;

type PortShow = { port: Record<string, { sfnum?: number; function?: { hw_addr?: string; state?: string; opstate?: string } }> };

/** The SF ports of DEV as iproute2 shows them, by sfnum. */
function iproute2Sfs(): Map<number, { handle: string; hwAddr?: string; state?: string; opstate?: string }> {
  const all = devlinkJson<PortShow>('port', 'show').port;
  return new Map(Object.entries(all).filter(([h, p]) => h.startsWith(`${DEV}/`) && p.sfnum !== undefined)
    .map(([h, p]) => [p.sfnum!, { handle: h, hwAddr: p.function?.hw_addr, state: p.function?.state, opstate: p.function?.opstate }]));
}

/** In the guest: netdevsim's SF delays short (attach 100 ms, detach and free 50 ms), the eswitch in switchdev mode. */
function switchdevWithShortDelays(): void {
  requireGuest();
  writeSysfs(`${KNOBS}/sf_attach_delay_ms`, '100');
  writeSysfs(`${KNOBS}/sf_detach_delay_ms`, '50');
  writeSysfs(`${KNOBS}/sf_free_delay_ms`, '50');
  sh('devlink', ['dev', 'eswitch', 'set', DEV, 'mode', 'switchdev']);
}

describe(onKernel('real kernel (UML + netdevsim SF ports): the lifecycle converges and the agent repairs'), function () {
  this.timeout(120_000);
  let dl: Devlink;
  before(async () => {
    switchdevWithShortDelays();
    dl = await Devlink.open();
  });
  afterEach(() => {
    sh('devlink', ['dev', 'eswitch', 'set', DEV, 'mode', 'legacy']);
    sh('devlink', ['dev', 'eswitch', 'set', DEV, 'mode', 'switchdev']);
  });
  after(async () => {
    sh('devlink', ['dev', 'eswitch', 'set', DEV, 'mode', 'legacy']);
    await dl?.close();
  });

  it('two ensures of one SF from two connections at once both converge', async () => {
    const other = await Devlink.open();
    try {
      const spec = { dev: DEV, pfnum: 0, sfnum: 11, hwAddr: '00:00:00:00:00:11' };
      const [a, b] = await Promise.all([dl.ensureSubfunction(spec), other.ensureSubfunction(spec)]);
      assert.equal(a.port.handle, b.port.handle);
      assert.equal(iproute2Sfs().get(11)?.opstate, 'attached');
    } finally {
      await other.close();
    }
  });

  it('a deadline that passes while waiting for the attach: the port is deleted again, outcome rolled-back', async () => {
    // the attach far later than the deadline, and the deadline far later than the add and the
    // activation take even in UML on a loaded host: the step that times out is the wait
    writeSysfs(`${KNOBS}/sf_attach_delay_ms`, '20000');
    try {
      const e = await dl.createSubfunction({ dev: DEV, pfnum: 0, sfnum: 12, timeoutMs: 2000 }).then(() => undefined, (x: unknown) => x);
      assert.ok(e instanceof SubfunctionError, String(e));
      assert.equal(e.step, 'wait-attached');
      assert.equal(e.outcome, 'rolled-back');
      assert.equal(iproute2Sfs().has(12), false);
    } finally {
      writeSysfs(`${KNOBS}/sf_attach_delay_ms`, '100');
    }
  });

  it('the port watch sees SF ports and their opstate as the lifecycle reads it', async () => {
    const w = await dl.watchPorts({ dev: DEV });
    try {
      const sf = await dl.createSubfunction({ dev: DEV, pfnum: 0, sfnum: 13 });
      assert.equal(w.get(sf.port.handle)?.function?.opstate, 'attached');
      sh('devlink', ['port', 'del', sf.port.handle]);
      await dl.devices();
      await until('the watch saw the delete', () => w.get(sf.port.handle) === undefined);
    } finally {
      await w.close();
    }
  });

  it('apply: a desired state of two SFs converges, applying it again changes nothing, prune deletes what it no longer names', async () => {
    const desired = parseDesiredState({
      devices: { [DEV]: { pfnum: 0, subfunctions: [{ sfnum: 31, hw_addr: '00:00:00:00:00:31' }, { sfnum: 32, state: 'inactive' }] } },
    });
    const r = await applyDesiredState(dl, desired, { prune: true });
    assert.deepEqual([r.created, r.failed.length], [2, 0]);
    assert.equal(iproute2Sfs().get(31)?.opstate, 'attached');
    assert.equal(iproute2Sfs().get(32)?.state, 'inactive');
    const again = await applyDesiredState(dl, desired, { prune: true });
    assert.equal(again.unchanged, 2);
    const r2 = await applyDesiredState(dl,
      parseDesiredState({ devices: { [DEV]: { pfnum: 0, subfunctions: [{ sfnum: 31, hw_addr: '00:00:00:00:00:31' }] } } }), { prune: true });
    assert.deepEqual([r2.deleted, r2.unchanged], [1, 1]);
    assert.deepEqual([...iproute2Sfs().keys()], [31]);
  });

  it('the agent repairs what iproute2 changes behind its back: a delete, a deactivation, a MAC change', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dlsf-agent-'));
    const file = path.join(dir, 'sfs.json');
    writeFileSync(file, JSON.stringify({ devices: { [DEV]: { pfnum: 0, subfunctions: [{ sfnum: 21, hw_addr: '00:00:00:00:00:21' }, { sfnum: 22 }] } } }));
    const lines: string[] = [];
    const logger = agentLogger(new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }) as never, false);
    const agent = await Agent.start({ config: file, devlink: dl, logger, backoff: { initialMs: 50, maxMs: 500 } });
    try {
      await until('both converged', () => agent.stats().converged === 2);
      const sf21 = () => iproute2Sfs().get(21);
      sh('devlink', ['port', 'del', sf21()!.handle]);
      const back = await until('21 back and attached', () => sf21()?.opstate === 'attached');
      sh('devlink', ['port', 'function', 'set', iproute2Sfs().get(22)!.handle, 'state', 'inactive']);
      await until('22 active again', () => iproute2Sfs().get(22)?.state === 'active' && iproute2Sfs().get(22)?.opstate === 'attached');
      sh('devlink', ['port', 'function', 'set', sf21()!.handle, 'hw_addr', '00:00:00:00:00:99']);
      await until('21 MAC back', () => sf21()?.hwAddr === '00:00:00:00:00:21');
      console.log(`      an SF deleted with iproute2 was back, attached, ${back} ms later (netdevsim attach delay 100 ms, UML)`);
      assert.ok(lines.some((l) => /"msg":"(created|repaired)"/.test(l)));
    } finally {
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(onKernel('real kernel (UML + netdevsim SF ports): an SF with params and netns, checked with iproute2'), function () {
  this.timeout(120_000);
  /** The container's namespace, made here and deleted after. */
  const NS = 'dlsf-life-ns';
  let dl: Devlink;
  before(async () => {
    switchdevWithShortDelays();
    dl = await Devlink.open();
    sh('ip', ['netns', 'add', NS]);
  });
  after(async () => {
    sh('devlink', ['dev', 'eswitch', 'set', DEV, 'mode', 'legacy']);
    await dl?.close();
    sh('ip', ['netns', 'del', NS]);
  });

  /** iproute2 inside the namespace. */
  const inNs = (...args: string[]): string => sh('ip', ['netns', 'exec', NS, ...args]);
  /** The ports of an instance as iproute2 in the namespace dumps them (6.1's port show takes no device). */
  const portsThere = (dev: string): Array<{ netdev?: string }> => Object.entries(
    (JSON.parse(inNs('devlink', '-j', 'port', 'show')) as { port: Record<string, { netdev?: string }> }).port,
  ).filter(([h]) => h.startsWith(`${dev}/`)).map(([, p]) => p);

  it('createSubfunction with params and netns: the SF instance and its netdev are there (devlink and ip there agree); destroy from here', async () => {
    const sf = await dl.createSubfunction({ dev: DEV, pfnum: 0, sfnum: 21, hwAddr: '00:00:00:00:00:21', params: { enable_eth: true }, netns: NS });
    assert.equal(sf.netns, `/var/run/netns/${NS}`);
    assert.match(sf.devlink ?? '', /^auxiliary\/netdevsim\.sf\.\d+$/);
    assert.ok(sf.netdev, 'a netdev, named as the namespace sees it');
    // iproute2 in the namespace: the instance, its port with that netdev, the netdev with the function's address
    const there = JSON.parse(inNs('devlink', '-j', 'dev', 'show')) as { dev: Record<string, unknown> };
    assert.deepEqual(Object.keys(there.dev), [sf.devlink]);
    assert.deepEqual(portsThere(sf.devlink!).map((p) => p.netdev), [sf.netdev]);
    const link = JSON.parse(sh('ip', ['-n', NS, '-j', 'link', 'show', 'dev', sf.netdev!])) as Array<{ ifname: string; address: string }>;
    assert.equal(link[0].address, '00:00:00:00:00:21');
    const param = JSON.parse(inNs('devlink', '-j', 'dev', 'param', 'show', sf.devlink!, 'name', 'enable_eth')) as
      { param: Record<string, Array<{ values: Array<{ cmode: string; value: boolean }> }>> };
    assert.deepEqual(param.param[sf.devlink!][0].values, [{ cmode: 'driverinit', value: true }]);
    // here: no such instance, no such netdev; the port is still the PF's
    assert.ok(!Object.keys(devlinkJson<{ dev: Record<string, unknown> }>('dev', 'show').dev).includes(sf.devlink!));
    assert.equal(iproute2Sfs().get(21)?.opstate, 'attached');
    // ensure again: nothing to do
    const again = await dl.ensureSubfunction({ dev: DEV, pfnum: 0, sfnum: 21, hwAddr: '00:00:00:00:00:21', params: { enable_eth: true }, netns: NS });
    assert.equal(again.changed, false);
    assert.equal(again.netdev, sf.netdev);
    assert.equal(await dl.destroySubfunction({ dev: DEV, pfnum: 0, sfnum: 21 }), true);
    assert.equal(iproute2Sfs().has(21), false);
    await until('the SF instance gone from the namespace', () => Object.keys(
      (JSON.parse(inNs('devlink', '-j', 'dev', 'show')) as { dev: Record<string, unknown> }).dev).length === 0);
  });

  it('params enable_eth false and netns in one reload: the instance there without a netdev', async () => {
    const sf = await dl.createSubfunction({ dev: DEV, pfnum: 0, sfnum: 22, params: { enable_eth: false }, netns: NS });
    assert.equal(sf.netdev, undefined);
    assert.deepEqual(portsThere(sf.devlink!).map((p) => p.netdev), [undefined]);
    assert.equal(await dl.destroySubfunction({ dev: DEV, pfnum: 0, sfnum: 22 }), true);
  });

  it('a namespace that does not exist is refused before anything is sent', async () => {
    await assert.rejects(dl.createSubfunction({ dev: DEV, pfnum: 0, sfnum: 23, netns: 'dlsf-no-such-ns' }),
      (e: unknown) => e instanceof Error && (e as { field?: string }).field === 'netns');
    assert.equal(iproute2Sfs().has(23), false);
  });
});
