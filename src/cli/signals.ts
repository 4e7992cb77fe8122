/**
 * How the command line's process ends, whatever ends it, and who hears SIGINT and SIGTERM.
 *
 * - atExit(fn): fn (synchronous) runs once on every end that Node runs code on: a normal
 *   end, process.exit() (a closed pipe), an uncaught error, and SIGINT or SIGTERM. The
 *   simulator's temporary directory is removed this way.
 * - onSignal(handler): the handler registered last hears SIGINT and SIGTERM (a monitor's
 *   stop, an sf create's abort); with none, a signal runs the cleanups and then ends the
 *   process by that same signal, as Node's default would have ended it at once.
 *
 * The process listens for the two signals only while a handler or a cleanup is registered,
 * so a command that needs neither ends on a signal exactly as it always did.
 */
import * as os from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM';

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM'];
const handlers: ((sig: StopSignal) => void)[] = [];
const cleanups = new Set<() => void>();
let listening = false;

/** The reason a command's calls were aborted: SIGINT or SIGTERM came (Session.interruptible). */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`);
  }
}

/** The Interrupted somewhere in an error's causes (an AbortError's, a SubfunctionError's), if any. */
export function interruptionOf(e: unknown): Interrupted | undefined {
  for (let c = e, depth = 0; c !== undefined && c !== null && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if (c instanceof Interrupted) return c;
  }
  return undefined;
}

/** The shell's status for a program a signal ended: 128 + its number (130, 143). */
export function signalStatus(sig: StopSignal): number {
  return 128 + os.constants.signals[sig];
}

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // a cleanup that fails must not keep the others from running, nor the process from ending
    }
  }
}

function dispatch(sig: StopSignal): void {
  const h = handlers[handlers.length - 1];
  if (h !== undefined) {
    h(sig);
    return;
  }
  runCleanups();
  update(true);
  // our listeners are gone: the signal's default action ends the process, as it would have
  process.kill(process.pid, sig);
  // (only if the signal did not end it at once)
  process.exit(signalStatus(sig));
}

function update(stop = false): void {
  const want = !stop && (handlers.length > 0 || cleanups.size > 0);
  if (want === listening) return;
  listening = want;
  for (const s of SIGNALS) {
    if (want) process.on(s, dispatch);
    else process.off(s, dispatch);
  }
  if (want) process.on('exit', runCleanups);
  else process.off('exit', runCleanups);
}

/** Run `fn` when the process ends; the returned function runs it now (once) and forgets it. */
export function atExit(fn: () => void): () => void {
  cleanups.add(fn);
  update();
  return () => {
    if (!cleanups.delete(fn)) return;
    update();
    fn();
  };
}

/** Hear SIGINT and SIGTERM (instead of whoever registered before); the returned function stops. */
export function onSignal(handler: (sig: StopSignal) => void): () => void {
  handlers.push(handler);
  update();
  return () => {
    const i = handlers.lastIndexOf(handler);
    if (i >= 0) handlers.splice(i, 1);
    update();
  };
}

/** End the process now with 128 + `sig`, the cleanups run (a second Ctrl-C). */
export function exitBy(sig: StopSignal): never {
  runCleanups();
  process.exit(signalStatus(sig));
}
