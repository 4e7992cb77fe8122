/**
 * Failures as iproute2 reports them: the kernel's ext-ack message as
 * `Error: <message>.`, then always `kernel answers: <strerror>`; argument mistakes as
 * plain lines; input the library refused before sending as `Error: invalid <field>: ...`.
 * Everything goes to stderr; the command's exit status is 1.
 */
import { ValidationError } from '../attrs/errors';
import { NotFoundError, SubfunctionError } from '../devlink/errors';
import { strerror } from '../genl/errno';
import { FamilyNotFoundError, KernelError } from '../genl/errors';
import { UsageError } from './args';
import { Interrupted, interruptionOf } from './signals';

/** A failure the command has already reported in full: only the exit status is left to set. */
export class Reported extends Error {
  override name = 'Reported';
}

/** print_ext_ack_msg: "Error" or "Warning", the message, a final '.' unless the message has one. */
function extAckLine(kind: 'Error' | 'Warning', msg: string): string {
  return `${kind}: ${msg}${msg.endsWith('.') ? '' : '.'}\n`;
}

/** A refusal's message line. */
export function errorLine(msg: string): string {
  return extAckLine('Error', msg);
}

/** The line for a request the kernel carried out with a warning (an ACK with error 0 and a message). */
export function warningLine(msg: string): string {
  return extAckLine('Warning', msg);
}

/** The lines for a kernel refusal, as iproute2 prints them. */
export function kernelErrorLines(e: KernelError): string {
  return (e.extMessage ? errorLine(e.extMessage) : '') + `kernel answers: ${strerror(e.errno)}\n`;
}

/** A Node-style system error (the socket could not be opened). */
interface SystemError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && typeof (e as Partial<SystemError>).errno === 'number';
}

export interface ErrorContext {
  /** -N's argument, for "Cannot open network namespace". */
  readonly netns?: string;
}

/** A command that SIGINT or SIGTERM stopped: where, and what is left (a lifecycle call's outcome). */
function interruptedText(i: Interrupted, e: unknown): string {
  const head = `Interrupted by ${i.signal}`;
  if (!(e instanceof SubfunctionError)) {
    // a read (a look-up, apply's plan) was stopped: nothing was asked to change
    return `${head}${e instanceof Error && e !== i ? ` (${e.message})` : ''}: nothing was changed\n`;
  }
  let fate: string;
  if (e.outcome === 'rolled-back') fate = 'the port it had created was deleted again: nothing is left behind';
  else if (e.outcome === 'left') fate = `left behind: ${e.port ?? 'a port that could not be looked up'} (devlink-sf sf destroy removes it)`;
  else fate = e.port !== undefined ? `${e.port} is there` : 'nothing was created';
  if (e.netns !== undefined && e.outcome !== 'rolled-back') fate += `; its devlink instance and netdev may be in network namespace ${e.netns}`;
  return `${head}: ${e.sf} stopped at step ${e.step}; ${fate}\n`;
}

/**
 * The text for an error, or undefined for one that is not ours to explain (a bug: the
 * caller lets it propagate so its stack is seen).
 */
export function describeError(e: unknown, ctx: ErrorContext = {}): string | undefined {
  if (e instanceof Reported) return '';
  if (e instanceof UsageError) return e.message.endsWith('\n') ? e.message : `${e.message}\n`;
  if (e instanceof FamilyNotFoundError) return errorLine(`generic netlink family "${e.family}" not found`) + `kernel answers: ${e.strerror}\n`;
  const interrupted = interruptionOf(e);
  if (interrupted !== undefined) return interruptedText(interrupted, e);
  if (e instanceof SubfunctionError) {
    const cause = describeError(e.cause, ctx) ?? errorLine(String(e.cause));
    const left = ` (left behind: ${e.port ?? 'a port that could not be looked up'})`;
    const fate = e.outcome === 'rolled-back' ? ' (the port was deleted again)' : e.outcome === 'left' ? left : '';
    return `${cause}${e.sf}: failed at step ${e.step}${fate}\n`;
  }
  if (e instanceof KernelError) return kernelErrorLines(e);
  if (e instanceof NotFoundError) return errorLine(e.message);
  if (e instanceof ValidationError) return errorLine(e.message);
  if (isSystemError(e) && ctx.netns !== undefined && e.syscall === 'open') {
    return `Cannot open network namespace "${ctx.netns}": ${strerror(Math.abs(e.errno))}\n`;
  }
  if (isSystemError(e)) return errorLine(`${e.syscall ? `${e.syscall}: ` : ''}${strerror(Math.abs(e.errno))}`);
  if (e instanceof Error && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'ReferenceError') {
    // the library's own errors (timeouts, closed connections, ...) and YAML parse errors
    return errorLine(e.message);
  }
  return undefined;
}
