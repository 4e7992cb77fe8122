/**
 * Input checks done before anything is sent: handles as iproute2 writes them, MAC
 * addresses, and integer fields. Each failure is a ValidationError naming the field.
 * The decoders (decode.ts) hold the kernel's names to the same rules (nameFault), so
 * every handle this library returns is one it accepts.
 */
import { ValidationError } from '../attrs/errors';
import { describeValue } from '../attrs/options';
import { NLA_HDRLEN } from '../attrs/writer';

export interface DevHandle {
  readonly bus: string;
  readonly dev: string;
}

export interface PortHandle extends DevHandle {
  readonly index: number;
}

/**
 * The longest bus, device or rate node name, in UTF-8 bytes. The kernel takes each as
 * an NLA_NUL_STRING attribute with no length of its own in devlink's policy, so the
 * bound is the attribute's: nla_len is a u16 and counts the 4-byte header (NLA_HDRLEN)
 * and the terminating NUL, leaving 65535 - 4 - 1 = 65530 bytes.
 */
export const MAX_NAME_BYTES = 0xffff - NLA_HDRLEN - 1;

/**
 * Why `name` cannot be one part of a handle ("BUS/DEV/INDEX"), or undefined when it can:
 * empty, a '/' (it would read as another part), white space or NUL (iproute2's argv
 * cannot carry them; the kernel's strings end at a NUL), or longer than MAX_NAME_BYTES.
 */
/** What every bus, device and netdev name the kernel makes looks like: tested first, as the fast path. */
const PLAIN_NAME = /^[\w.:-]+$/;

export function nameFault(name: string): string | undefined {
  if (name.length > MAX_NAME_BYTES || (name.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(name) > MAX_NAME_BYTES)) {
    return `is longer than ${MAX_NAME_BYTES} bytes, the most a netlink string attribute holds`;
  }
  if (name === '') return 'is empty';
  if (PLAIN_NAME.test(name)) return undefined;
  const bad = /[/\s\0]/.exec(name);
  if (bad) return `contains ${bad[0] === '/' ? 'a "/"' : bad[0] === '\0' ? 'a NUL' : 'white space'}`;
  return undefined;
}

/**
 * `handle` split at '/' into `n` names, each one a valid name (nameFault); otherwise a
 * ValidationError on `field` that shows the handle cut short (describeValue) and says
 * what was expected (`shape`, e.g. "a device handle: BUS/DEV, such as ...").
 */
function splitHandle(handle: unknown, field: string, n: number, shape: string): string[] {
  if (typeof handle !== 'string') throw new ValidationError(field, `expected ${shape}, got ${describeValue(handle)}`);
  const parts = handle.split('/');
  if (parts.length !== n) throw new ValidationError(field, `${describeValue(handle)} is not ${shape}`);
  parts.forEach((p, i) => {
    const fault = nameFault(p);
    if (fault) throw new ValidationError(field, `${describeValue(handle)} is not ${shape}: its part ${i + 1} ${fault}`);
  });
  return parts;
}

const DEV_SHAPE = 'a device handle: BUS/DEV, such as "pci/0000:06:00.0"';
const PORT_SHAPE = 'a port handle: BUS/DEV/INDEX, such as "pci/0000:06:00.0/32768"';
const RATE_SHAPE = 'a rate handle: BUS/DEV/INDEX (leaf) or BUS/DEV/NODE (node)';

/** 'pci/0000:06:00.0' → { bus, dev }. */
export function parseDevHandle(handle: unknown, field = 'dev'): DevHandle {
  const [bus, dev] = splitHandle(handle, field, 2, DEV_SHAPE);
  return { bus, dev };
}

/** 'pci/0000:06:00.0/32768' → { bus, dev, index }. */
export function parsePortHandle(handle: unknown, field = 'port'): PortHandle {
  const plain = typeof handle === 'string' ? plainPortHandle(handle) : undefined;
  if (plain !== undefined) return plain;
  const [bus, dev, index] = splitHandle(handle, field, 3, PORT_SHAPE);
  if (!/^\d+$/.test(index)) throw new ValidationError(field, `${describeValue(handle)} is not ${PORT_SHAPE}: its index is not a number`);
  return { bus, dev, index: portIndexOf(index, field) };
}

/** A rate handle: BUS/DEV/INDEX for a leaf, BUS/DEV/NAME for a node. */
export function parseRateHandle(handle: unknown, field = 'rate'): DevHandle & { readonly index?: number; readonly node?: string } {
  const [bus, dev, last] = splitHandle(handle, field, 3, RATE_SHAPE);
  return /^\d+$/.test(last) ? { bus, dev, index: portIndexOf(last, field) } : { bus, dev, node: last };
}

function portIndexOf(digits: string, field: string): number {
  const index = Number(digits);
  if (index > 0xffffffff) throw new ValidationError(field, `port index ${describeValue(digits)} does not fit in 32 bits`);
  return index;
}

/** Whether `c` is a character of PLAIN_NAME: [A-Za-z0-9_.:-]. */
function isPlainCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 95 || c === 46 || c === 45;
}

/** The end of the plain name (PLAIN_NAME's characters) starting at `i` in `s`: `i` when there is none. */
function plainEnd(s: string, i: number): number {
  const n = s.length;
  while (i < n && isPlainCode(s.charCodeAt(i))) i++;
  return i;
}

/**
 * A port handle as every one the kernel makes is written, BUS/DEV/INDEX with plain names
 * (PLAIN_NAME, at most MAX_NAME_BYTES) and a decimal index that fits in 32 bits, read in one
 * scan (no split, no regular expression: port gets are made by the thousand); undefined for
 * anything else, which parsePortHandle's full checks then accept or refuse. Where both
 * accept a handle they return the same.
 */
export function plainPortHandle(s: string): PortHandle | undefined {
  const busEnd = plainEnd(s, 0);
  if (busEnd === 0 || busEnd > MAX_NAME_BYTES || s.charCodeAt(busEnd) !== 0x2f) return undefined;
  const devEnd = plainEnd(s, busEnd + 1);
  if (devEnd === busEnd + 1 || devEnd - busEnd - 1 > MAX_NAME_BYTES || s.charCodeAt(devEnd) !== 0x2f) return undefined;
  const n = s.length;
  // at most 10 digits: 4294967295 is the largest index
  if (n === devEnd + 1 || n - devEnd - 1 > 10) return undefined;
  let index = 0;
  for (let i = devEnd + 1; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    index = index * 10 + d;
  }
  if (index > 0xffffffff) return undefined;
  // the bus and device names of the handle before, when they are these: a burst of gets names one device
  const bus = busEnd === lastBus.length && s.startsWith(lastBus) ? lastBus : (lastBus = s.slice(0, busEnd));
  const dev = devEnd - busEnd - 1 === lastDev.length && s.startsWith(lastDev, busEnd + 1) ? lastDev : (lastDev = s.slice(busEnd + 1, devEnd));
  return { bus, dev, index };
}

/** plainPortHandle's last bus and device names (shared by the handles, and the requests, of one device). */
let lastBus = '';
let lastDev = '';

/** True when `s` looks like a port handle (BUS/DEV/INDEX), as opposed to a netdev name. */
export function isPortHandle(s: string): boolean {
  return /^[^/\s]+\/[^/\s]+\/\d+$/.test(s);
}

export function devHandle(bus: string, dev: string): string {
  return `${bus}/${dev}`;
}

export function portHandle(bus: string, dev: string, index: number): string {
  return `${bus}/${dev}/${index}`;
}

/** An unsigned integer of `bits` bits. */
export function checkUint(v: unknown, field: string, bits: 8 | 16 | 32): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValidationError(field, `expected an integer, got ${describeValue(v)}`);
  if (v < 0 || v > max) throw new ValidationError(field, `${v} is outside 0..${max} (u${bits})`);
  return v;
}

/** A u64 given as a bigint or a safe integer. */
export function checkU64(v: unknown, field: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  throw new ValidationError(field, `expected a non-negative integer below 2^64, got ${describeValue(v)}`);
}

/** One of `names`. */
export function checkName<T extends string>(v: unknown, field: string, names: readonly T[]): T {
  if (typeof v !== 'string' || !(names as readonly string[]).includes(v)) {
    throw new ValidationError(field, `expected one of ${names.join(', ')}, got ${describeValue(v)}`);
  }
  return v as T;
}

/** true or false. */
export function checkBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ValidationError(field, `expected true or false, got ${describeValue(v)}`);
  return v;
}

/** A name sent as one NLA_NUL_STRING (a parameter or rate node name), by nameFault's rules. */
export function checkNameString(v: unknown, field: string, what: string): string {
  if (typeof v !== 'string') throw new ValidationError(field, `expected ${what}, got ${describeValue(v)}`);
  const fault = nameFault(v);
  if (fault) throw new ValidationError(field, `${describeValue(v)} is not ${what}: it ${fault}`);
  return v;
}

/**
 * A MAC address: six octets written as hex pairs separated by ':' (or '-'), unicast
 * (the group bit of the first octet clear). The all-zero address is accepted: writing
 * it clears the function's address.
 */
export function parseMac(v: unknown, field = 'hwAddr'): Buffer {
  if (typeof v !== 'string') throw new ValidationError(field, `expected a MAC address such as "00:00:00:00:88:88", got ${describeValue(v)}`);
  const parts = v.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new ValidationError(field, `${describeValue(v)} is not a MAC address: expected six octets such as "00:00:00:00:88:88"`);
  }
  const b = Buffer.from(parts.map((p) => parseInt(p, 16)));
  if (b[0] & 1) throw new ValidationError(field, `${describeValue(v)} is a multicast address; a function needs a unicast address`);
  return b;
}

/** Bytes as iproute2 prints a hardware address: lower-case hex pairs joined by ':'. */
export function formatMac(b: Uint8Array): string {
  let s = b.length > 0 ? HEX[b[0]] : '';
  for (let i = 1; i < b.length; i++) s += ':' + HEX[b[i]];
  return s;
}

/** '00'..'ff', by byte value. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

