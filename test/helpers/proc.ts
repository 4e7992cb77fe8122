/**
 * What the process holds, from /proc/self: address space (VmSize), resident memory
 * (VmRSS), open descriptors, and V8's heap. For tests that a resource is given back at
 * close(), not at garbage collection.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

export interface ProcFigures {
  /** VmSize, in bytes. */
  readonly vmSize: number;
  /** VmRSS, in bytes. */
  readonly rss: number;
  /** Entries in /proc/self/fd. */
  readonly fds: number;
  /** process.memoryUsage().heapUsed after a full garbage collection, in bytes. */
  readonly heap: number;
}

export function procAvailable(): boolean {
  return existsSync('/proc/self/status') && existsSync('/proc/self/fd');
}

/** A field of /proc/self/status given in kB ("VmSize:  1234 kB"), in bytes. */
function statusBytes(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]) * 1024;
}

let gc: (() => void) | undefined;

/** A full, synchronous garbage collection (it does not turn the event loop). */
export function fullGc(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** The figures now; the heap after a full collection. */
export function procFigures(): ProcFigures {
  fullGc();
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    vmSize: statusBytes(status, 'VmSize'),
    rss: statusBytes(status, 'VmRSS'),
    fds: readdirSync('/proc/self/fd').length,
    heap: process.memoryUsage().heapUsed,
  };
}

export const MiB = 1024 * 1024;

/** "VmSize 968.4 -> 978.8 MiB, ..." for a test's log. */
export function describeFigures(a: ProcFigures, b: ProcFigures): string {
  const mib = (n: number): string => (n / MiB).toFixed(1);
  return `VmSize ${mib(a.vmSize)} -> ${mib(b.vmSize)} MiB, RSS ${mib(a.rss)} -> ${mib(b.rss)} MiB, ` +
    `heap ${mib(a.heap)} -> ${mib(b.heap)} MiB, fds ${a.fds} -> ${b.fds}`;
}
