// devlink-sf as a process, as a user runs it from a shell: a closed pipe, Ctrl-C in a
// batch, the background simulator shared by several processes (monitor in one shell,
// port add in another), a --sim-config that is wrong.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run as cli } from './cli.helpers';
import { BIN, isolatedEnv, run, runOk, start } from './package.helpers';

describe('cli as a process', function () {
  this.timeout(30_000);
  let tmp: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-cli-'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('a closed pipe ends it quietly, with the status SIGPIPE gives (141)', async () => {
    const p = start(['--sim', '-j', '-p', 'port', 'show'], isolatedEnv(tmp), '');
    p.child.stdout.destroy();
    assert.equal(await p.exited, 141);
    assert.equal(p.err(), '');
  });

  it('Ctrl-C during a batch\'s monitor ends the program: the next lines do not run', async () => {
    const batch = path.join(tmp, 'batch');
    await fs.writeFile(batch, 'monitor\ndev eswitch set pci/0000:06:00.0 mode switchdev\ndev eswitch show pci/0000:06:00.0\n');
    const p = start(['--sim', '-j', '-b', batch], isolatedEnv(tmp), '{"mon":[');
    await p.listening;
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 130);
    // the monitor's stream closed, and nothing after it: no eswitch shown
    assert.equal(p.out(), '{"mon":[]}\n');
    assert.equal(p.err(), '');
  });

  it('sim start: monitor in one process sees another process\'s port add; sim stop ends it', async () => {
    const state = path.join(tmp, 'sim.json');
    const env = isolatedEnv(tmp, { DEVLINK_SF_SIM: state });
    const started = await runOk(process.execPath, [BIN, '-j', 'sim', 'start'], { env });
    const info = JSON.parse(started.stdout) as { sim: { pid: number; port: number; sysfs: string } };
    try {
      const mon = start(['-j', 'monitor', 'port'], env, '{"mon":[');
      await mon.listening;
      await runOk(process.execPath, [BIN, 'dev', 'eswitch', 'set', 'pci/0000:06:00.0', 'mode', 'switchdev'], { env });
      const add = await runOk(process.execPath, [BIN, 'port', 'add', 'pci/0000:06:00.0', 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88'], { env });
      assert.match(add.stdout, /^pci\/0000:06:00\.0\/32768: .*sfnum 88/);
      await mon.printed('"type":"eth"');
      mon.child.kill('SIGINT');
      assert.equal(await mon.exited, 130);
      const events = (JSON.parse(mon.out()) as { mon: { command: string; port: Record<string, { sfnum: number }> }[] }).mon;
      assert.deepEqual(events.map((e) => [e.command, e.port['pci/0000:06:00.0/32768']?.sfnum]), [['new', 88], ['new', 88]]);
      // state kept between commands: a third process sees the port, and sf create finds its devices in the simulator's sysfs
      const sf = await runOk(process.execPath, [BIN, 'sf', 'create', 'pci/0000:06:00.0', 'pfnum', '0', 'sfnum', '89'], { env });
      assert.match(sf.stdout, /^created pci\/0000:06:00\.0\/32769 /);
      const list = await runOk(process.execPath, [BIN, '-j', 'sf', 'list'], { env });
      assert.match(list.stdout, /"auxdev":"mlx5_core\.sf\.\d+"/);
      await fs.access(info.sim.sysfs);
    } finally {
      const stopped = await run(process.execPath, [BIN, 'sim', 'stop'], { env });
      assert.equal(stopped.stdout, `simulator pid ${info.sim.pid} stopped\n`, stopped.stderr);
    }
    await assert.rejects(fs.access(state), /ENOENT/);
    await assert.rejects(fs.access(info.sim.sysfs), /ENOENT/);
    assert.throws(() => process.kill(info.sim.pid, 0), /ESRCH/);
    const after = await run(process.execPath, [BIN, 'port', 'show'], { env });
    assert.deepEqual([after.code, after.stderr], [1, `DEVLINK_SF_SIM=${state}: no simulator is running (devlink-sf sim start starts one)\n`]);
  });

  it('sim start refuses a second simulator on the same state file', async () => {
    const state = path.join(tmp, 'twice.json');
    const env = isolatedEnv(tmp, { DEVLINK_SF_SIM: state });
    await runOk(process.execPath, [BIN, 'sim', 'start'], { env });
    try {
      const again = await run(process.execPath, [BIN, 'sim', 'start'], { env });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^A simulator is already running \(pid \d+, state /);
    } finally {
      await runOk(process.execPath, [BIN, 'sim', 'stop'], { env });
    }
  });
});

describe('cli --sim-config', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-simcfg-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function withConfig(text: string): Promise<{ code: number; out: string; err: string }> {
    const file = path.join(dir, 'sim.yaml');
    await fs.writeFile(file, text);
    const r = await cli(['--sim-config', file, 'dev', 'show']);
    return { ...r, err: r.err.replace(file, 'FILE') };
  }

  it('names the field that is wrong, by its path', async () => {
    const cases: [string, string][] = [
      ['{"bogus":1}', 'invalid bogus: unknown option; known: kernel, sysfsRoot, devices, mlx5PortAddOrder, firmwareDir, timing, dumpBufferSize'],
      ['kernel: "5.4"\ndevices: []', 'invalid kernel: expected "6.1" or "current", got "5.4"'],
      ['devices: []', 'invalid devices: expected a non-empty list of devices, got an array'],
      ['{}', 'invalid devices: is required'],
      ['devices:\n  - handle: pci/0000:06:00.0\n    pfnum: 0\n  - handle: pci/0000:06:00.1\n    pfnum: "1"',
        'invalid devices[1].pfnum: expected an integer from 0 to 65535, got "1"'],
      ['devices:\n  - handle: pci/0000:06:00.0\n    pfnum: 0\n    eswich: switchdev',
        'invalid devices[0].eswich: unknown option (did you mean "eswitch"?); known: handle, driver, pfnum, eswitch, maxSfs, ecpf, hostSfBaseId, vfs'],
      ['devices:\n  - { handle: pci/0000:06:00.0, pfnum: 0 }\ntiming: { attachMs: -1 }',
        'invalid timing.attachMs: expected an integer from 0 to 9007199254740991, got -1'],
      ['devices:\n  - { handle: pci/0000:06:00.0, pfnum: 0 }\n  - { handle: pci/0000:06:00.0, pfnum: 1 }',
        'invalid devices[1].handle: "pci/0000:06:00.0" is named twice'],
      ['- 1', 'invalid configuration: expected an object with "devices", got an array'],
    ];
    for (const [text, want] of cases) {
      const r = await withConfig(text);
      assert.deepEqual(r, { code: 1, out: '', err: `Simulator configuration "FILE": ${want}\n` }, text);
    }
  });

  it('a valid one runs, with its devices', async () => {
    const r = await withConfig('kernel: current\ndevices:\n  - { handle: pci/0000:03:00.0, pfnum: 0, eswitch: switchdev }\n');
    assert.deepEqual(r, { code: 0, out: 'pci/0000:03:00.0\n', err: '' });
  });
});
