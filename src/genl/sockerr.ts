/**
 * Socket errors shaped like Node's own system errors, for the transports' JavaScript
 * side: `errno` negative (-2 for ENOENT), `code` ('ENOENT'), `syscall`, and a message
 * such as "sendmsg EBADF". The native addon throws errors of the same shape.
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { NetlinkError } from '../attrs/errors';

export interface SystemError extends Error {
  /** Negative, as in Node: -ENOBUFS. */
  errno: number;
  code: string;
  syscall: string;
  path?: string;
}

/** A Node-like error for `errno` (either sign accepted) from `syscall`. */
export function systemError(errno: number, syscall: string, path?: string): SystemError {
  const neg = -Math.abs(errno);
  let code: string;
  try {
    code = getSystemErrorName(neg);
  } catch {
    code = `Unknown system error ${neg}`;
  }
  const err = new Error(path === undefined ? `${syscall} ${code}` : `${syscall} ${code} ${path}`) as SystemError;
  err.errno = neg;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/** Whether `err` is a system error, optionally with the given code. */
export function isSystemError(err: unknown, code?: string): err is SystemError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<SystemError>;
  return typeof e.errno === 'number' && typeof e.code === 'string' && (code === undefined || e.code === code);
}

/**
 * Converts an error of the `netlink` npm package (positive errno, name
 * 'ErrnoException', message "Error when ...: <strerror>") to the Node-like shape.
 */
export function fromPackageError(err: Error & { errno?: unknown; syscall?: unknown }): SystemError {
  if (typeof err.errno !== 'number') return systemError(osConstants.errno.EIO, 'recvmsg');
  const syscall = typeof err.syscall === 'string' ? err.syscall : 'poll';
  const converted = systemError(err.errno, syscall);
  converted.cause = err;
  return converted;
}

/**
 * A transport was asked for something it cannot do (the `netlink` npm package has no
 * way to open a socket in another network namespace). Raised before any socket exists.
 */
export class TransportFeatureError extends NetlinkError {
  override readonly name = 'TransportFeatureError';
  readonly code = 'ERR_DEVLINK_SF_TRANSPORT_FEATURE';
  constructor(
    readonly transport: string,
    readonly feature: 'netns',
    message: string,
  ) {
    super(message);
  }
}
