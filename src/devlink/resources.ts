/**
 * Device resources (DEVLINK_CMD_RESOURCE_DUMP, RESOURCE_SET) as a tree, and the dpipe
 * tables that use them (DPIPE_TABLE_GET), as iproute2's resource show reads them.
 *
 * The kernel answers a resource dump with the device's RESOURCE_LIST (each RESOURCE: name,
 * size, id, [size_new when a change waits for a reload], size_valid, min, max, gran,
 * unit, [occupancy], then its children's RESOURCE_LIST), possibly in several messages.
 * A size is set by resource id; a path ('kvd/linear') is turned into the id by reading
 * the tree first, as iproute2 does.
 */
import { describeValue } from '../attrs/options';
import { ValidationError } from '../attrs/errors';
import type { CallOptions } from '../genl/connection';
import { NlMsg } from '../genl/message';
import { Cmd } from './constants';
import { decodeMessage } from './decode';
import type { Devlink } from './devlink';
import { NotFoundError } from './errors';
import { checkU64, devHandle, parseDevHandle } from './handle';

/** enum devlink_resource_unit. */
const UNITS: Readonly<Record<number, 'entry'>> = { 0: 'entry' };

export interface DevlinkResource {
  readonly name: string;
  /** From the top: 'kvd/linear'. */
  readonly path: string;
  readonly id: bigint;
  readonly size: bigint;
  /** The size the next reload applies, when it differs from `size`. */
  readonly sizeNew?: bigint;
  readonly sizeValid: boolean;
  readonly sizeMin: bigint;
  readonly sizeMax: bigint;
  readonly sizeGran: bigint;
  /** A number for a unit this library does not know. */
  readonly unit: 'entry' | number;
  readonly occ?: bigint;
  readonly children: readonly DevlinkResource[];
}

export interface DpipeTable {
  readonly name: string;
  readonly size?: bigint;
  readonly countersEnabled?: boolean;
  readonly resourceId?: bigint;
  readonly resourceUnits?: bigint;
}

/** The decoded form of a RESOURCE nest (the schema's sets are recursive, so typed here). */
interface RawResource {
  readonly resourceName?: string;
  readonly resourceId?: bigint;
  readonly resourceSize?: bigint;
  readonly resourceSizeNew?: bigint;
  readonly resourceSizeValid?: number;
  readonly resourceSizeMin?: bigint;
  readonly resourceSizeMax?: bigint;
  readonly resourceSizeGran?: bigint;
  readonly resourceUnit?: number;
  readonly resourceOcc?: bigint;
  readonly resourceList?: { readonly resource?: readonly RawResource[] };
}

function resourceFrom(r: RawResource, parent: string): DevlinkResource {
  const name = r.resourceName ?? '';
  const path = parent ? `${parent}/${name}` : name;
  const size = r.resourceSize ?? 0n;
  const out: { -readonly [K in keyof DevlinkResource]: DevlinkResource[K] } = {
    name, path, id: r.resourceId ?? 0n, size, sizeValid: r.resourceSizeValid !== 0,
    sizeMin: r.resourceSizeMin ?? 0n, sizeMax: r.resourceSizeMax ?? 0n, sizeGran: r.resourceSizeGran ?? 0n,
    unit: UNITS[r.resourceUnit ?? 0] ?? r.resourceUnit ?? 0,
    children: (r.resourceList?.resource ?? []).map((c) => resourceFrom(c, path)),
  };
  if (r.resourceSizeNew !== undefined && r.resourceSizeNew !== size) out.sizeNew = r.resourceSizeNew;
  if (r.resourceOcc !== undefined) out.occ = r.resourceOcc;
  return out;
}

/** The top-level resources of every message of the answer, in order. */
export function resourcesFrom(msgs: readonly NlMsg[]): DevlinkResource[] {
  const out: DevlinkResource[] = [];
  for (const m of msgs) {
    const list = decodeMessage(m).resourceList as { resource?: RawResource[] } | undefined;
    for (const r of list?.resource ?? []) out.push(resourceFrom(r, ''));
  }
  return out;
}

/** The resource at `path` ('kvd/linear'; empty parts are skipped, as strtok does). */
export function findResource(tree: readonly DevlinkResource[], path: string): DevlinkResource | undefined {
  let list = tree;
  let found: DevlinkResource | undefined;
  for (const part of path.split('/').filter((x) => x !== '')) {
    found = list.find((r) => r.name === part);
    if (!found) return undefined;
    list = found.children;
  }
  return found;
}

export function dpipeTablesFrom(msgs: readonly NlMsg[]): DpipeTable[] {
  const out: DpipeTable[] = [];
  for (const m of msgs) {
    for (const t of decodeMessage(m).dpipeTables?.dpipeTable ?? []) {
      if (t.dpipeTableName === undefined) continue;
      const d: { -readonly [K in keyof DpipeTable]: DpipeTable[K] } = { name: t.dpipeTableName };
      if (t.dpipeTableSize !== undefined) d.size = t.dpipeTableSize;
      if (t.dpipeTableCountersEnabled !== undefined) d.countersEnabled = t.dpipeTableCountersEnabled !== 0;
      if (t.dpipeTableResourceId !== undefined) d.resourceId = t.dpipeTableResourceId;
      if (t.dpipeTableResourceUnits !== undefined) d.resourceUnits = t.dpipeTableResourceUnits;
      out.push(d);
    }
  }
  return out;
}

/** The calls Devlink's resource methods are made of. */
export const resources = {
  async list(dl: Devlink, dev: string, call: CallOptions): Promise<DevlinkResource[]> {
    const h = parseDevHandle(dev);
    return resourcesFrom(await dl.request(Cmd.RESOURCE_DUMP, { busName: h.bus, devName: h.dev }, call));
  },

  async tables(dl: Devlink, dev: string, call: CallOptions): Promise<DpipeTable[]> {
    const h = parseDevHandle(dev);
    return dpipeTablesFrom(await dl.request(Cmd.DPIPE_TABLE_GET, { busName: h.bus, devName: h.dev }, call));
  },

  /** RESOURCE_SET: handle, RESOURCE_ID u64, RESOURCE_SIZE u64; a path is resolved by a dump first. */
  async set(dl: Devlink, dev: string, resource: string | bigint, size: number | bigint, call: CallOptions): Promise<void> {
    const h = parseDevHandle(dev);
    const sz = checkU64(size, 'size');
    let id: bigint;
    if (typeof resource === 'bigint') {
      id = checkU64(resource, 'resource');
    } else {
      if (typeof resource !== 'string' || resource.replace(/\//g, '') === '') {
        throw new ValidationError('resource', `expected a resource path ('kvd/linear') or id (bigint), got ${describeValue(resource)}`);
      }
      const found = findResource(await resources.list(dl, dev, call), resource);
      if (!found) throw new NotFoundError(`${devHandle(h.bus, h.dev)} has no resource "${resource}"`);
      id = found.id;
    }
    await dl.request(Cmd.RESOURCE_SET, { busName: h.bus, devName: h.dev, resourceId: id, resourceSize: sz }, call);
  },
};
