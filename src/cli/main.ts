/**
 * devlink-sf's entry point: global options, then one command or a batch (-b), on one
 * session; failures are reported on stderr as iproute2 reports them and give exit
 * status 1. Streams, the transport and a stop signal can be injected, so tests run the
 * command line in-process.
 */
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { dispatch, helpFor, resolvePath } from './commands';
import { parseGlobal } from './options';
import { CliIo, MainOptions, Session } from './session';
import { signalStatus } from './signals';

export type { MainOptions } from './session';

/**
 * What reports a failure (errors.ts, and errno's names through it), loaded when one is
 * reported: a command that succeeds does not load it (bench/README.md, the CLI's start).
 */
function failures(): typeof import('./errors') {
  return require('./errors.js') as typeof import('./errors');
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Run one command; its failure is reported here. Unexpected errors (bugs) propagate. */
async function runOne(s: Session, words: readonly string[]): Promise<number> {
  s.printer.resetText();
  try {
    await dispatch(s, words);
    s.flush();
    // stopped by SIGINT or SIGTERM: the program ends with the shell's 128 + signal number,
    // unless the command ends that way by design (the agent's clean stop: 0, as systemd expects)
    return s.interruptedBy !== undefined && !s.signalIsNormalEnd ? signalStatus(s.interruptedBy) : 0;
  } catch (e) {
    s.flush();
    const text = failures().describeError(e, s.opts.netns !== undefined ? { netns: s.opts.netns } : {});
    if (text === undefined) throw e;
    s.err(text);
    // a command that a signal stopped (sf create rolled back) reports, then ends as the signal would
    return s.interruptedBy !== undefined ? signalStatus(s.interruptedBy) : 1;
  }
}

async function readBatch(s: Session, file: string): Promise<string> {
  if (file === '-') {
    let text = '';
    for await (const chunk of s.io.stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    return text;
  }
  return fs.readFile(file, 'utf8');
}

/** do_batch: each line a command on the same session; the first failure stops it unless -f. */
async function runBatch(s: Session, file: string): Promise<number> {
  let text: string;
  try {
    text = await readBatch(s, file);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    const why = errno !== undefined ? (require('../genl/errno.js') as typeof import('../genl/errno')).strerror(Math.abs(errno)) : (e as Error).message;
    s.err(`Cannot open file "${file}" for reading: ${why}\n`);
    return 1;
  }
  let lines;
  try {
    // loaded for -b only (a command's start loads what it uses)
    lines = (require('./batch.js') as typeof import('./batch')).batchLines(text);
  } catch (e) {
    s.err(failures().describeError(e) ?? String(e));
    return 1;
  }
  let code = 0;
  for (const l of lines) {
    const c = await runOne(s, l.words);
    if (s.interruptedBy !== undefined) return c;
    if (c === 0) continue;
    s.err(`Command failed ${file}:${l.line}\n`);
    code = 1;
    if (!s.opts.force) break;
  }
  return code;
}

/**
 * The command line. `argv` without node and the script; `o` replaces the process's
 * streams and environment, or runs on a given transport (a test's simulator).
 */
export async function main(argv: readonly string[], o: MainOptions = {}): Promise<number> {
  const io: CliIo = {
    stdout: o.stdout ?? process.stdout,
    stderr: o.stderr ?? process.stderr,
    // process.stdin is made on first use (6-13 ms): only a batch or apply from - reads it
    get stdin() {
      return o.stdin ?? process.stdin;
    },
    env: o.env ?? process.env,
  };
  let parsed;
  try {
    parsed = parseGlobal(argv);
  } catch (e) {
    io.stderr.write(failures().describeError(e) ?? String(e));
    return 1;
  }
  const { opts, words } = parsed;
  if (opts.version) {
    io.stdout.write(`devlink-sf ${version()}\n`);
    return 0;
  }
  if (opts.help) {
    io.stdout.write(helpFor(resolvePath(words)));
    return 0;
  }
  const s = new Session(io, opts, o);
  try {
    return opts.batch !== undefined ? await runBatch(s, opts.batch) : await runOne(s, words);
  } finally {
    if (s.connected || s.printer.jsonWritten) s.printer.finish();
    s.flush();
    await s.close();
  }
}
