/**
 * The background simulator: `devlink-sf sim start` runs one in its own process over a
 * real netlink socket (Simulator.listen(), root only), so that its state outlives each
 * command and `monitor` in one shell sees another shell's `port add`. It is found
 * through its state file: $DEVLINK_SF_SIM names one, otherwise the well-known
 * `$TMPDIR/devlink-sf-sim-UID.json`. The file tells the socket's port, the simulator's
 * sysfs tree (which a socket transport cannot tell) and the process id; the simulator
 * removes it when it stops (`sim stop`, SIGTERM, SIGINT).
 */
import { openSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from './args';
import type { SimHandle } from './sim';
import { alive } from './sim-temp';

import { SIM_ENV } from './options';

export { SIM_ENV };

/** What the state file holds. */
export interface SimState {
  readonly pid: number;
  /** The simulator's netlink port: clients open with `socket: { peerPort: port }`. */
  readonly port: number;
  readonly sysfsRoot: string;
  /** Where the simulator writes what goes wrong. */
  readonly log: string;
  readonly config?: string;
}

/** The state file: $DEVLINK_SF_SIM, or the well-known path for this user. */
export function simStatePath(env: Readonly<Record<string, string | undefined>>): string {
  const named = env[SIM_ENV];
  if (named !== undefined && named !== '') return path.resolve(named);
  // the command line's environment (a test's own), then the process's
  const tmp = env.TMPDIR !== undefined && env.TMPDIR !== '' ? path.resolve(env.TMPDIR) : os.tmpdir();
  return path.join(tmp, `devlink-sf-sim-${process.getuid?.() ?? 0}.json`);
}

function isState(v: unknown): v is SimState {
  const s = v as Partial<SimState> | null;
  return typeof s === 'object' && s !== null && typeof s.pid === 'number' && typeof s.port === 'number' &&
    typeof s.sysfsRoot === 'string' && typeof s.log === 'string';
}

/** The running simulator's state, or undefined (no file, or a stale one: it is removed). */
export async function readSimState(file: string): Promise<SimState | undefined> {
  let text: string;
  try {
    // a file in a shared directory that another user made must not steer our commands
    const st = await fs.lstat(file);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid)) {
      throw new UsageError(`${file} is not a simulator's state file of this user (uid ${uid ?? '?'}): remove it, or set ${SIM_ENV} to another path`);
    }
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    state = undefined;
  }
  if (!isState(state)) throw new UsageError(`${file} is not a simulator's state file: remove it, or set ${SIM_ENV} to another path`);
  if (alive(state.pid)) return state;
  await fs.rm(file, { force: true });
  return undefined;
}

/** A session's handle on the running simulator: nothing to close but the session's sockets. */
export function daemonHandle(state: SimState): SimHandle {
  return { connection: () => ({ socket: { peerPort: state.port } }), sysfsRoot: state.sysfsRoot, close: async () => undefined };
}

/** The server's entry point (dist/src/cli/sim-serve.js), run by start(). */
const SERVER = path.join(__dirname, 'sim-serve.js');

/**
 * Start the simulator in the background and wait until it answers (its state file
 * written); a simulator already running is an error. Resolves with its state.
 */
export async function startDaemon(file: string, configFile?: string): Promise<SimState> {
  const running = await readSimState(file);
  if (running !== undefined) throw new UsageError(`A simulator is already running (pid ${running.pid}, state ${file}); devlink-sf sim stop ends it`);
  const log = file.replace(/\.json$/, '') + '.log';
  const args = [SERVER, file, log, ...(configFile !== undefined ? [path.resolve(configFile)] : [])];
  // child_process is loaded here only: every other command starts without it
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', openSync(log, 'w')] });
  const stdout = child.stdout;
  if (stdout === null) throw new Error('spawn gave the simulator no stdout');
  const first = await new Promise<string>((resolve) => {
    let out = '';
    stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out);
    });
    child.once('exit', () => resolve(out));
  });
  stdout.destroy();
  child.unref();
  if (!first.startsWith('ready')) {
    const why = (await fs.readFile(log, 'utf8').catch(() => '')).trim();
    throw new UsageError(why !== '' ? why : `the simulator did not start (see ${log})`);
  }
  const state = await readSimState(file);
  if (state === undefined) throw new UsageError(`the simulator started but its state file ${file} is missing`);
  return state;
}

/** Stop the running simulator (SIGTERM) and wait until it is gone; false if none ran. */
export async function stopDaemon(file: string, waitMs = 10_000): Promise<SimState | undefined> {
  const state = await readSimState(file);
  if (state === undefined) return undefined;
  process.kill(state.pid, 'SIGTERM');
  const end = Date.now() + waitMs;
  while (alive(state.pid)) {
    if (Date.now() > end) throw new UsageError(`the simulator (pid ${state.pid}) did not stop within ${waitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await fs.rm(file, { force: true });
  await fs.rm(state.log, { force: true });
  return state;
}
