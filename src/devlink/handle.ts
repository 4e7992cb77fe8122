/**
 * Input checks done before anything is sent: handles as iproute2 writes them, MAC
 * addresses, and integer fields. Each failure is a ValidationError naming the field.
 */
import { ValidationError } from '../attrs/errors';

export interface DevHandle {
  readonly bus: string;
  readonly dev: string;
}

export interface PortHandle extends DevHandle {
  readonly index: number;
}

const NAME = /^[^/\s\0]+$/;

/** 'pci/0000:06:00.0' → { bus, dev }. */
export function parseDevHandle(handle: unknown, field = 'dev'): DevHandle {
  if (typeof handle !== 'string') throw new ValidationError(field, 'expected a string such as "pci/0000:06:00.0"');
  const parts = handle.split('/');
  if (parts.length !== 2 || !NAME.test(parts[0]) || !NAME.test(parts[1])) {
    throw new ValidationError(field, `"${handle}" is not a device handle: expected BUS/DEV, such as "pci/0000:06:00.0"`);
  }
  return { bus: parts[0], dev: parts[1] };
}

/** 'pci/0000:06:00.0/32768' → { bus, dev, index }. */
export function parsePortHandle(handle: unknown, field = 'port'): PortHandle {
  if (typeof handle !== 'string') throw new ValidationError(field, 'expected a string such as "pci/0000:06:00.0/32768"');
  const parts = handle.split('/');
  if (parts.length !== 3 || !NAME.test(parts[0]) || !NAME.test(parts[1]) || !/^\d+$/.test(parts[2])) {
    throw new ValidationError(field, `"${handle}" is not a port handle: expected BUS/DEV/INDEX, such as "pci/0000:06:00.0/32768"`);
  }
  const index = Number(parts[2]);
  if (index > 0xffffffff) throw new ValidationError(field, `port index ${parts[2]} does not fit in 32 bits`);
  return { bus: parts[0], dev: parts[1], index };
}

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
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValidationError(field, `expected an integer, got ${describe(v)}`);
  if (v < 0 || v > max) throw new ValidationError(field, `${v} is outside 0..${max} (u${bits})`);
  return v;
}

/** A u64 given as a bigint or a safe integer. */
export function checkU64(v: unknown, field: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  throw new ValidationError(field, `expected a non-negative integer below 2^64, got ${describe(v)}`);
}

/** One of `names`. */
export function checkName<T extends string>(v: unknown, field: string, names: readonly T[]): T {
  if (typeof v !== 'string' || !(names as readonly string[]).includes(v)) {
    throw new ValidationError(field, `expected one of ${names.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/**
 * A MAC address: six octets written as hex pairs separated by ':' (or '-'), unicast
 * (the group bit of the first octet clear). The all-zero address is accepted: writing
 * it clears the function's address.
 */
export function parseMac(v: unknown, field = 'hwAddr'): Buffer {
  if (typeof v !== 'string') throw new ValidationError(field, `expected a MAC address such as "00:00:00:00:88:88", got ${describe(v)}`);
  const parts = v.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new ValidationError(field, `"${v}" is not a MAC address: expected six octets such as "00:00:00:00:88:88"`);
  }
  const b = Buffer.from(parts.map((p) => parseInt(p, 16)));
  if (b[0] & 1) throw new ValidationError(field, `"${v}" is a multicast address; a function needs a unicast address`);
  return b;
}

/** Bytes as iproute2 prints a hardware address: lower-case hex pairs joined by ':'. */
export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  return String(v);
}
