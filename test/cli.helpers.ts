// Running the command line in-process with its output captured, alone or on a
// simulator shared by several command lines.
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Simulator, SimulatorOptions } from '../src/sim';
import type { Transport } from '../src/genl/transport';
import { PassThrough } from 'node:stream';
import { main, MainOptions } from '../src/cli/main';

export class Capture {
  text = '';
  isTTY = false;
  columns = 80;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

let hermetic: string | undefined;

/**
 * The environment of an in-process command line: a TMPDIR of this test process's own
 * (made on first use, removed when the process ends), so that --sim never finds a
 * background simulator that someone started at the well-known path of the real TMPDIR.
 */
export function hermeticEnv(): Record<string, string> {
  if (hermetic === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-test-tmpdir-'));
    hermetic = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return { TMPDIR: hermetic };
}

/** main(argv) with captured stdout and stderr; `stdin` text for -b - and apply -. */
export async function run(argv: readonly string[], o: MainOptions & { input?: string; tty?: boolean } = {}): Promise<RunResult> {
  const stdout = new Capture();
  stdout.isTTY = o.tty === true;
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(o.input ?? '');
  const code = await main(argv, { stdin, env: hermeticEnv(), ...o, stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

/** Wait for `cond` (polling every few ms), or fail after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- a simulator shared by several command lines, as a batch would share it ----


export const PF0 = 'pci/0000:06:00.0';
export const PF1 = 'pci/0000:06:00.1';

/** Devlink commands the command line sent (genl command numbers), in order. */
export interface Sent {
  readonly cmds: number[];
}

/** A transport that records the genl command of every devlink message sent through it. */
function spy(t: Transport, familyId: number, log: number[]): Transport {
  return {
    name: t.name,
    features: t.features,
    get localPort() {
      return t.localPort;
    },
    peerPort: t.peerPort,
    start: (h) => t.start(h),
    send: (buffers) => {
      for (const b of buffers) {
        for (let p = 0; b.length - p >= 20;) {
          const len = b.readUInt32LE(p);
          if (b.readUInt16LE(p + 4) === familyId) log.push(b[p + 16]);
          p += (len + 3) & ~3;
        }
      }
      t.send(buffers);
    },
    poll: () => t.poll(),
    addMembership: (g) => t.addMembership(g),
    dropMembership: (g) => t.dropMembership(g),
    close: () => t.close(),
    ...(t.sysfsRoot !== undefined ? { sysfsRoot: t.sysfsRoot } : {}),
    ...(t.openInNetns ? { openInNetns: (ns: string) => t.openInNetns!(ns) } : {}),
  };
}

export interface SimSession {
  readonly sim: Simulator;
  readonly root: string;
  /** The devlink commands sent since the session started (or since sent.cmds was emptied). */
  readonly sent: Sent;
  cli(argv: readonly string[], o?: MainOptions & { input?: string; tty?: boolean }): Promise<RunResult>;
  /** Start a monitor (`argv`), run `act` once it listens, stop it when the simulator has settled. */
  monitor(argv: readonly string[], act: () => Promise<void>): Promise<RunResult>;
  close(): Promise<void>;
}

/** Two mlx5 PFs (legacy unless `eswitch` says otherwise) with short timings and a sysfs root of their own. */
export async function simSession(o: Partial<SimulatorOptions> & { eswitch?: 'legacy' | 'switchdev' } = {}): Promise<SimSession> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-test-'));
  const root = path.join(tmp, 'sys');
  await fs.mkdir(root, { recursive: true });
  const sim = new Simulator({
    devices: [
      { handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: o.eswitch ?? 'legacy' },
      { handle: PF1, driver: 'mlx5_core', pfnum: 1, eswitch: 'legacy' },
    ],
    timing: { attachMs: 5, detachMs: 5, freeMs: 10 },
    ...o,
    sysfsRoot: root,
  });
  const sent: Sent = { cmds: [] };
  const cli = (argv: readonly string[], opts: MainOptions & { input?: string; tty?: boolean } = {}): Promise<RunResult> =>
    run(argv, { transport: () => spy(sim.transport(), sim.familyId, sent.cmds), sysfsRoot: root, ...opts });
  return {
    sim, root, sent, cli,
    monitor: async (argv, act) => {
      const stop = new AbortController();
      let listening = false;
      const done = cli(argv, { signal: stop.signal, onListening: () => (listening = true) });
      await until(() => listening, 5000, 'the monitor to listen');
      await act();
      await sim.settle();
      await new Promise((res) => setTimeout(res, 20));
      stop.abort();
      return done;
    },
    close: async () => {
      await sim.close();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}
