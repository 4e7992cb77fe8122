/**
 * errno numbers to names and to glibc's strerror() text (what iproute2 prints after
 * "kernel answers:"). Node has the names (os.constants.errno) but only libuv's wording
 * for the messages, which differs from glibc's ("file already exists" vs "File exists").
 */
import { constants } from 'node:os';

const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!NAMES.has(n)) NAMES.set(n, name);
// Linux aliases os.constants does not list under the name the kernel uses
NAMES.set(95, 'EOPNOTSUPP');

/** glibc's strerror() for the errnos netlink families answer with. */
const STRERROR: Record<number, string> = {
  1: 'Operation not permitted', 2: 'No such file or directory', 3: 'No such process',
  4: 'Interrupted system call', 5: 'Input/output error', 6: 'No such device or address',
  7: 'Argument list too long', 9: 'Bad file descriptor', 11: 'Resource temporarily unavailable',
  12: 'Cannot allocate memory', 13: 'Permission denied', 14: 'Bad address',
  16: 'Device or resource busy', 17: 'File exists', 19: 'No such device',
  20: 'Not a directory', 22: 'Invalid argument', 23: 'Too many open files in system',
  24: 'Too many open files', 27: 'File too large', 28: 'No space left on device',
  30: 'Read-only file system', 32: 'Broken pipe', 34: 'Numerical result out of range',
  36: 'File name too long', 38: 'Function not implemented', 39: 'Directory not empty',
  40: 'Too many levels of symbolic links', 61: 'No data available', 62: 'Timer expired',
  71: 'Protocol error', 74: 'Bad message', 75: 'Value too large for defined data type',
  84: 'Invalid or incomplete multibyte or wide character', 90: 'Message too long',
  93: 'Protocol not supported', 95: 'Operation not supported',
  97: 'Address family not supported by protocol', 98: 'Address already in use',
  99: 'Cannot assign requested address', 100: 'Network is down', 101: 'Network is unreachable',
  105: 'No buffer space available', 110: 'Connection timed out', 111: 'Connection refused',
  114: 'Operation already in progress', 115: 'Operation now in progress',
  121: 'Remote I/O error', 122: 'Disk quota exceeded', 125: 'Operation canceled',
  524: 'Unknown error 524',
};

/** 'EEXIST' for 17; 'E<n>' for a number Node does not name. */
export function errnoName(errno: number): string {
  return NAMES.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

/** glibc's wording for an errno: "File exists" for 17. */
export function strerror(errno: number): string {
  const n = Math.abs(errno);
  return STRERROR[n] ?? `Unknown error ${n}`;
}

export const EPERM_ERRNO = 1;
export const ENOENT_ERRNO = 2;
export const EBUSY_ERRNO = 16;
export const EEXIST_ERRNO = 17;
export const ENODEV_ERRNO = 19;
export const EINVAL_ERRNO = 22;
export const ENOSPC_ERRNO = 28;
export const ERANGE_ERRNO = 34;
export const EOPNOTSUPP_ERRNO = 95;
export const ENOBUFS_ERRNO = 105;
