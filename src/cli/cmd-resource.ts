/**
 * devlink resource show DEV / resource set DEV path PATH size SIZE, with iproute2 6.1's
 * arguments, messages and output (resource_show: each resource with its size, occupancy,
 * unit, bounds, the dpipe tables that use it, and its children indented under
 * "resources:").
 */
import type { DevlinkResource, DpipeTable } from '../devlink/resources';
import { NotFoundError } from '../devlink/errors';
import { Args, nextDevHandle, nextStr, nextU64, parseKeywords, requireKeywords, UsageError } from './args';
import type { Printer } from './output';
import type { Session } from './session';

function u64(p: Printer, name: string, v: bigint): void {
  p.checkIndentNewline();
  if (v === (1n << 64n) - 1n) p.str(name, `${name} `, 'unlimited');
  else p.uint(name, `${name} `, v);
}

function anyPending(list: readonly DevlinkResource[]): boolean {
  return list.some((r) => r.sizeNew !== undefined || anyPending(r.children));
}

/** resource_show. */
export function printResource(p: Printer, r: DevlinkResource, tables: readonly DpipeTable[], pending: boolean): void {
  p.checkIndentNewline();
  p.str('name', 'name ', r.name);
  u64(p, 'size', r.size);
  if (r.sizeNew !== undefined) u64(p, 'size_new', r.sizeNew);
  if (r.occ !== undefined) p.uint('occ', ' occ ', BigInt.asUintN(32, r.occ));
  p.str('unit', ' unit ', typeof r.unit === 'string' ? r.unit : '<unknown unit>');
  if (r.sizeMin !== r.sizeMax) {
    p.uint('size_min', ' size_min ', BigInt.asUintN(32, r.sizeMin));
    u64(p, 'size_max', r.sizeMax);
    p.uint('size_gran', ' size_gran ', BigInt.asUintN(32, r.sizeGran));
  }
  const mine = tables.filter((t) => t.resourceId === r.id);
  if (mine.length) {
    p.arrayStart('dpipe_tables');
    for (const t of mine) {
      p.entryStart();
      p.checkIndentNewline();
      p.str('table_name', 'table_name ', t.name);
      p.entryEnd();
    }
    p.arrayEnd();
  } else {
    p.str('dpipe_tables', ' dpipe_tables ', 'none');
  }
  if (!r.children.length) return;
  if (pending) {
    p.checkIndentNewline();
    p.str('size_valid', 'size_valid ', r.sizeValid ? 'true' : 'false');
  }
  p.arrayStart('resources');
  for (const c of r.children) {
    p.entryStart();
    printResource(p, c, tables, pending);
    p.entryEnd();
  }
  p.arrayEnd();
}

export async function resourceShow(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  a.done();
  const dl = await s.devlink();
  const tables = await dl.dpipeTables(dev);
  const list = await dl.resources(dev);
  const pending = anyPending(list);
  const p = s.printer;
  p.sectionStart('resources');
  try {
    for (const r of list) {
      p.handleStart(dev, true, true);
      printResource(p, r, tables, pending);
      p.handleEnd();
    }
  } finally {
    p.sectionEnd();
  }
}

export async function resourceSet(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  let path = '';
  let size = 0n;
  const seen = parseKeywords(a, [['path', (x) => (path = nextStr(x))], ['size', (x) => (size = nextU64(x))]]);
  requireKeywords(seen, [['path', 'Resource path expected.'], ['size', 'Resource size expected.']]);
  const dl = await s.devlink();
  try {
    await dl.setResourceSize(dev, path, size);
  } catch (e) {
    if (e instanceof NotFoundError) throw new UsageError('error parsing resource path Invalid argument');
    throw e;
  }
}
