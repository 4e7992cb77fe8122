// devlink-sf as a process, stopped while it works: SIGINT or SIGTERM during a command that
// changes sub-functions (the lifecycle rolls back, the outcome is printed, status 130 or
// 143; a second signal exits at once), and the simulator's temporary directory on every
// way a process ends (a closed pipe, signals, SIGKILL and a later run). Each test runs
// with a TMPDIR of its own and, where it needs one, its own background simulator.
import assert from 'node:assert/strict';
import { promises as fs, readlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, isolatedEnv, run, runOk, start } from './package.helpers';

const PF0 = 'pci/0000:06:00.0';
/** SFs take 8 s to attach: a signal comes while the lifecycle waits for it. */
const SLOW = `devices:\n  - { handle: ${PF0}, pfnum: 0, eswitch: switchdev }\ntiming: { attachMs: 8000, detachMs: 10, freeMs: 10 }\n`;

interface PortJson {
  readonly flavour: string;
  readonly sfnum?: number;
  readonly function?: { readonly state?: string };
}

/** PF0's SF ports on the background simulator, as "HANDLE sfnum N state S". */
async function sfPorts(env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await runOk(process.execPath, [BIN, '-j', 'port', 'show', PF0], { env });
  const ports = (JSON.parse(r.stdout) as { port: Record<string, PortJson> }).port;
  return Object.entries(ports).filter(([, p]) => p.flavour === 'pcisf').map(([h, p]) => `${h} sfnum ${p.sfnum} state ${p.function?.state}`);
}

/** Wait until an SF port with `sfnum` is active (the call is then waiting for it to attach). */
async function untilActive(env: NodeJS.ProcessEnv, sfnum: number): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    if ((await sfPorts(env)).some((p) => p.endsWith(`sfnum ${sfnum} state active`))) return;
    if (Date.now() > end) throw new Error(`sfnum ${sfnum} was not activated within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('cli: a signal during a command that changes sub-functions', function () {
  this.timeout(60_000);
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let simPid: number;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-signals-'));
    const config = path.join(tmp, 'slow.yaml');
    await fs.writeFile(config, SLOW);
    env = isolatedEnv(tmp, { DEVLINK_SF_SIM: path.join(tmp, 'sim.json') });
    const started = await runOk(process.execPath, [BIN, '-j', '--sim-config', config, 'sim', 'start'], { env });
    simPid = (JSON.parse(started.stdout) as { sim: { pid: number } }).sim.pid;
  });
  after(async () => {
    await run(process.execPath, [BIN, 'sim', 'stop'], { env });
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('SIGINT during sf create: the port is deleted again, the outcome is on stderr, status 130', async () => {
    const p = start(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '10', 'hw_addr', '00:00:00:00:00:10'], env, '');
    await untilActive(env, 10);
    p.child.kill('SIGINT');
    assert.deepEqual(await p.ended, { code: 130, signal: null });
    assert.equal(p.out(), '');
    assert.equal(p.err(), `Interrupted by SIGINT: ${PF0} pfnum 0 sfnum 10 stopped at step wait-attached; ` +
      'the port it had created was deleted again: nothing is left behind\n');
    assert.deepEqual(await sfPorts(env), []);
  });

  it('SIGTERM during sf ensure -j: the same, status 143, and the empty wrapper on stdout', async () => {
    const p = start(['-j', 'sf', 'ensure', PF0, 'pfnum', '0', 'sfnum', '11'], env, '');
    await untilActive(env, 11);
    p.child.kill('SIGTERM');
    assert.deepEqual(await p.ended, { code: 143, signal: null });
    assert.equal(p.out(), '{"sf":{}}\n');
    assert.match(p.err(), /^Interrupted by SIGTERM: pci\/0000:06:00\.0 pfnum 0 sfnum 11 stopped at step wait-attached; .*nothing is left behind\n$/);
    assert.deepEqual(await sfPorts(env), []);
  });

  it('a second signal while it rolls back exits at once, naming the SF that may be left', async () => {
    const p = start(['sf', 'create', PF0, 'pfnum', '0', 'sfnum', '12'], env, '');
    await untilActive(env, 12);
    // the simulator stopped, the roll-back's delete waits for its answer until the second signal
    process.kill(simPid, 'SIGSTOP');
    try {
      p.child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 200));
      p.child.kill('SIGTERM');
      assert.deepEqual(await p.ended, { code: 143, signal: null });
    } finally {
      process.kill(simPid, 'SIGCONT');
    }
    assert.equal(p.err(), `Interrupted again (SIGTERM) while stopping: exiting at once; the sub-function ${PF0} pfnum 0 sfnum 12 may be left behind\n`);
    await runOk(process.execPath, [BIN, 'sf', 'destroy', PF0, 'pfnum', '0', 'sfnum', '12'], { env });
  });

  it('apply stops between SFs: the one under way rolls back, the next does not start, the report says which were done', async () => {
    const file = path.join(tmp, 'sfs.yaml');
    // sfnum 20 is made inactive (no attach to wait for): it is done before the signal
    await fs.writeFile(file, `devices:\n  ${PF0}:\n    pfnum: 0\n    subfunctions:\n` +
      '      - { sfnum: 20, state: inactive }\n      - { sfnum: 21 }\n      - { sfnum: 22 }\n');
    const p = start(['apply', file, '--concurrency', '1'], env, '');
    await untilActive(env, 21);
    p.child.kill('SIGINT');
    assert.deepEqual(await p.ended, { code: 130, signal: null });
    const out = p.out().split('\n');
    assert.deepEqual(out.slice(-4), [
      `[1/3] created ${PF0} pfnum 0 sfnum 20`,
      `[2/3] interrupted: create ${PF0} pfnum 0 sfnum 21`,
      'Interrupted by SIGINT: 1 created, 0 changed, 0 deleted, 1 stopped or failed, 1 not started.',
      '',
    ]);
    assert.equal(p.err(), `Stopped: create ${PF0} pfnum 0 sfnum 21:\n` +
      `  Interrupted by SIGINT: ${PF0} pfnum 0 sfnum 21 stopped at step wait-attached; the port it had created was deleted again: nothing is left behind\n` +
      `Not started: ${PF0} pfnum 0 sfnum 22\n`);
    assert.deepEqual(await sfPorts(env), [`${PF0}/32768 sfnum 20 state inactive`]);
    await runOk(process.execPath, [BIN, 'sf', 'destroy', `${PF0}/32768`], { env });
  });
});

describe('cli: the simulator\'s temporary directory', function () {
  this.timeout(60_000);
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  let config: string;
  beforeEach(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-simtmp-'));
    env = isolatedEnv(tmp);
    config = path.join(tmp, 'slow.yaml');
    await fs.writeFile(config, SLOW);
  });
  afterEach(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const simDirs = async (): Promise<string[]> => (await fs.readdir(tmp)).filter((n) => n.startsWith('devlink-sf-sim-')).sort();

  /** Wait until an in-process simulator's directory (with its owner file) is there. */
  async function untilSimDir(): Promise<void> {
    const end = Date.now() + 15_000;
    for (;;) {
      for (const d of await simDirs()) {
        if (await fs.access(path.join(tmp, d, 'owner')).then(() => true, () => false)) return;
      }
      if (Date.now() > end) throw new Error('no simulator directory within 15 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a closed pipe leaves none behind', async () => {
    for (let i = 0; i < 3; i++) {
      const p = start(['--sim', '-jp', 'port', 'show'], env, '');
      p.child.stdout.destroy();
      assert.equal(await p.exited, 141);
    }
    assert.deepEqual(await simDirs(), []);
  });

  for (const signals of [['SIGINT'], ['SIGTERM'], ['SIGINT', 'SIGTERM']] as const) {
    it(`${signals.join(' then ')} during a command on an in-process simulator leaves none behind`, async () => {
      const p = start(['--sim-config', config, 'sf', 'create', PF0, 'pfnum', '0', 'sfnum', '10'], env, '');
      await untilSimDir();
      // the create is under way (or about to be): the signal stops it wherever it is
      await new Promise((r) => setTimeout(r, 300));
      for (const s of signals) p.child.kill(s);
      // which signal ends it depends on when each came (before the create began, during it, during its
      // roll-back, or after: an in-process roll-back may be over before the second is handled)
      const { code, signal } = await p.ended;
      const ok = (signals as readonly string[]).some((s) => code === 128 + os.constants.signals[s as 'SIGINT'] || signal === s);
      assert.ok(ok, `code ${code} signal ${signal}: ${p.err()}`);
      assert.deepEqual(await simDirs(), []);
    });
  }

  it('one that SIGKILL left is removed by the next --sim run; one whose process lives, or of unknown owner, is kept', async () => {
    const p = start(['--sim-config', config, 'sf', 'create', PF0, 'pfnum', '0', 'sfnum', '10'], env, '');
    await untilSimDir();
    p.child.kill('SIGKILL');
    assert.equal((await p.ended).signal, 'SIGKILL');
    const killed = await simDirs();
    assert.equal(killed.length, 1);
    const pidns = readlinkSync('/proc/self/ns/pid');
    const keep = async (name: string, owner?: object): Promise<void> => {
      await fs.mkdir(path.join(tmp, name));
      if (owner) await fs.writeFile(path.join(tmp, name, 'owner'), JSON.stringify(owner));
    };
    await keep('devlink-sf-sim-alive', { pid: process.pid, pidns });
    await keep('devlink-sf-sim-noowner');
    // the same pid in another pid namespace (a container sharing /tmp) tells nothing here
    await keep('devlink-sf-sim-otherns', { pid: p.child.pid, pidns: 'pid:[1]' });
    const r = await runOk(process.execPath, [BIN, '--sim', 'dev', 'show'], { env });
    assert.equal(r.stdout, `${PF0}\npci/0000:06:00.1\n`);
    assert.deepEqual(await simDirs(), ['devlink-sf-sim-alive', 'devlink-sf-sim-noowner', 'devlink-sf-sim-otherns']);
  });
});

describe('cli: --sim, --sim-config and the background simulator', function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-simenv-'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('TMPDIR places the well-known state file; an explicit --sim-config wins over DEVLINK_SF_SIM, a missing one is an error', async () => {
    const env = isolatedEnv(tmp);
    const state = path.join(tmp, `devlink-sf-sim-${process.getuid?.() ?? 0}.json`);
    const started = JSON.parse((await runOk(process.execPath, [BIN, '-j', 'sim', 'start'], { env })).stdout) as { sim: { state: string } };
    try {
      assert.equal(started.sim.state, state);
      // --sim finds it there: its state is shared between runs
      await runOk(process.execPath, [BIN, '--sim', 'dev', 'eswitch', 'set', PF0, 'mode', 'switchdev'], { env });
      const mode = await runOk(process.execPath, [BIN, '--sim', 'dev', 'eswitch', 'show', PF0], { env });
      assert.match(mode.stdout, /mode switchdev/);
      const named = isolatedEnv(tmp, { DEVLINK_SF_SIM: state });
      const config = path.join(tmp, 'one.yaml');
      await fs.writeFile(config, 'devices:\n  - { handle: pci/0000:03:00.0, pfnum: 0 }\n');
      assert.deepEqual(await run(process.execPath, [BIN, '--sim-config', config, 'dev', 'show'], { env: named }),
        { code: 0, signal: null, stdout: 'pci/0000:03:00.0\n', stderr: '' });
      const missing = await run(process.execPath, [BIN, '--sim-config', '/nonexistent.yaml', 'port', 'show'], { env: named });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^Cannot read simulator configuration "\/nonexistent\.yaml": ENOENT/);
    } finally {
      await runOk(process.execPath, [BIN, 'sim', 'stop'], { env });
    }
  });

  it('a state file at the well-known path that another user owns is refused', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = await fs.mkdtemp(path.join(tmp, 'other-'));
    const state = path.join(dir, 'devlink-sf-sim-0.json');
    await fs.writeFile(state, JSON.stringify({ pid: process.pid, port: 1, sysfsRoot: dir, log: path.join(dir, 'log') }));
    await fs.chown(state, 65534, 65534);
    const r = await run(process.execPath, [BIN, '--sim', 'dev', 'show'], { env: isolatedEnv(dir) });
    assert.deepEqual([r.code, r.stdout], [1, '']);
    assert.equal(r.stderr, `${state} is not a simulator's state file of this user (uid 0): remove it, or set DEVLINK_SF_SIM to another path\n`);
  });
});
