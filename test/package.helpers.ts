/**
 * Running programs as a user would, for the package and process tests: a command with
 * its exit status and both streams, and the repository's root (dist/test/.. /..).
 */
import { spawn, SpawnOptions } from 'node:child_process';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Written to the program's stdin, which is then closed. */
  readonly input?: string;
  /** Killed (SIGKILL) after this many milliseconds; default 120 s. */
  readonly timeoutMs?: number;
}

/** Run a program to its end; never rejects for a non-zero exit (the caller asserts). */
export function run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // no input: stdin is /dev/null (an empty write to a program that exits at once may fail with EPIPE)
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (child.stdin) {
      // a program that exits without reading its input is judged by its exit, not by our write
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.input);
    }
  });
}

/** Like run(), but a non-zero exit rejects with both streams in the message. */
export async function runOk(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r;
}

/**
 * The environment for a devlink-sf process that must not meet a simulator someone else
 * started: TMPDIR is `tmp` (the well-known state file and the simulator's temporary
 * directories go there) and DEVLINK_SF_SIM is unset unless `extra` sets it.
 */
export function isolatedEnv(tmp: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, ...extra };
  if (extra.DEVLINK_SF_SIM === undefined) delete env.DEVLINK_SF_SIM;
  return env;
}

/** The command line as users run it. */
export const BIN = path.join(REPO, 'bin', 'devlink-sf.js');

/** A running devlink-sf whose stdout is collected; resolves `listening` when `cue` is printed. */
export function start(args: readonly string[], env: NodeJS.ProcessEnv, cue: string) {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onOut: () => void = () => undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    onOut();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const exited = ended.then((e) => e.code);
  const printed = (text: string, ms = 10_000): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms; stdout: ${out}; stderr: ${err}`)), ms);
    onOut = () => {
      if (!out.includes(text)) return;
      clearTimeout(timer);
      resolve();
    };
    onOut();
  });
  return { child, exited, ended, printed, listening: printed(cue), out: () => out, err: () => err };
}
