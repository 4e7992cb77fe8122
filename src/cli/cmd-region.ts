/**
 * devlink region: show, new, del, dump, read, with iproute2 6.1's arguments, messages and
 * output ("DEV/REGION: size N snapshot [1 2] max M"; dumps as 16 bytes a line after the
 * address).
 */
import type { DevlinkRegion, RegionChunk } from '../devlink/regions';
import { Args, nextU64, nextUint, parseKeywords, requireKeywords, UsageError } from './args';
import type { Printer } from './output';
import type { Session } from './session';

/** dl_argv_handle_region. */
function nextRegion(a: Args): string {
  const s = a.next();
  if (s === undefined || s.split('/').length !== 3) throw new UsageError('Expected "bus_name/dev_name/region" identification.');
  if (s.split('/').some((x) => x === '')) throw new UsageError(`Region identification "${s}" is invalid`);
  return s;
}

/** pr_out_region: what the message holds (a snapshot notification has its id and no size). */
export function printRegion(p: Printer, r: Partial<DevlinkRegion> & { readonly handle: string }, one?: number): void {
  if (p.json) p.jsonOpen(r.handle);
  else p.out(`${r.handle}:`);
  if (r.size !== undefined) {
    p.checkIndentNewline();
    p.uint('size', 'size ', r.size);
  }
  const ids = one !== undefined ? [one] : r.snapshots;
  if (ids !== undefined) {
    p.spaceUnlessAtIndent();
    if (p.json) {
      p.jsonArrayOpen('snapshot');
      for (const id of ids) p.uint(undefined, '', id);
      p.jsonArrayClose();
    } else {
      p.out(one !== undefined ? `snapshot ${one}` : `snapshot [${ids.join(' ')}]`);
    }
  }
  if (r.maxSnapshots !== undefined) {
    p.checkIndentNewline();
    p.uint('max', 'max ', r.maxSnapshots);
  }
  if (p.json) p.jsonClose();
  else p.out('\n');
}

/** pr_out_region_chunk: "%016x " at each 16th byte, then "%02x " per byte (one count across chunks). */
function printChunks(p: Printer, chunks: readonly RegionChunk[]): void {
  let n = 0;
  for (const c of chunks) {
    if (p.json) {
      p.uint('address', '', c.address);
      p.jsonArrayOpen('data');
    }
    let addr = c.address;
    for (const b of c.data) {
      if (!p.json && n % 16 === 0) p.out(`${n ? '\n' : ''}${addr.toString(16).padStart(16, '0')} `);
      n++;
      if (p.json) p.uint(undefined, '', b);
      else p.out(`${b.toString(16).padStart(2, '0')} `);
      addr++;
    }
    if (p.json) p.jsonArrayClose();
  }
}

export async function regionShow(s: Session, a: Args): Promise<void> {
  const handle = a.empty ? undefined : nextRegion(a);
  a.done();
  const dl = await s.devlink();
  const list = handle ? [await dl.region(handle)] : await dl.regions();
  s.printer.sectionStart('regions');
  try {
    for (const r of list) printRegion(s.printer, r);
  } finally {
    s.printer.sectionEnd();
  }
}

function snapshotArg(a: Args, required: boolean): { handle: string; snapshot?: number } {
  const handle = nextRegion(a);
  let snapshot: number | undefined;
  const seen = parseKeywords(a, [['snapshot', (x) => (snapshot = nextUint(x))]]);
  if (required) requireKeywords(seen, [['snapshot', 'Region snapshot id expected.']]);
  return { handle, ...(snapshot !== undefined ? { snapshot } : {}) };
}

export async function regionNew(s: Session, a: Args): Promise<void> {
  const t = snapshotArg(a, false);
  const dl = await s.devlink();
  const id = await dl.newRegionSnapshot(t.handle, t.snapshot);
  s.printer.sectionStart('regions');
  try {
    // the kernel answers with the region's name and the id only when it chose the id
    if (t.snapshot === undefined) printRegion(s.printer, { handle: t.handle }, id);
  } finally {
    s.printer.sectionEnd();
  }
}

export async function regionDel(s: Session, a: Args): Promise<void> {
  const t = snapshotArg(a, true);
  const dl = await s.devlink();
  await dl.deleteRegionSnapshot(t.handle, t.snapshot!);
}

async function readOut(s: Session, section: string, chunks: Promise<RegionChunk[]>): Promise<void> {
  const list = await chunks;
  s.printer.sectionStart(section);
  try {
    printChunks(s.printer, list);
  } finally {
    s.printer.sectionEnd();
  }
  if (!s.printer.json) s.printer.out('\n');
}

export async function regionDump(s: Session, a: Args): Promise<void> {
  const t = snapshotArg(a, true);
  const dl = await s.devlink();
  await readOut(s, 'dump', dl.readRegion(t.handle, { snapshot: t.snapshot! }));
}

export async function regionRead(s: Session, a: Args): Promise<void> {
  const handle = nextRegion(a);
  let snapshot: number | undefined;
  let address: bigint | undefined;
  let length: bigint | undefined;
  const seen = parseKeywords(a, [
    ['snapshot', (x) => (snapshot = nextUint(x))], ['address', (x) => (address = nextU64(x))], ['length', (x) => (length = nextU64(x))],
  ]);
  requireKeywords(seen, [
    ['snapshot', 'Region snapshot id expected.'], ['address', 'Region address value expected.'], ['length', 'Region length value expected.'],
  ]);
  const dl = await s.devlink();
  await readOut(s, 'read', dl.readRegion(handle, { snapshot: snapshot!, address: address!, length: length! }));
}
