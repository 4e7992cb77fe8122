/**
 * Regions and their snapshots (DEVLINK_CMD_REGION_GET, NEW, DEL, READ), named as iproute2
 * names them: 'pci/0000:06:00.0/cr-space'. Requests carry the handle, REGION_NAME, then
 * REGION_SNAPSHOT_ID u32, REGION_CHUNK_ADDR u64, REGION_CHUNK_LEN u64 (dl_opts_put's
 * order). A read is a dump answering REGION_CHUNKS of (CHUNK_DATA, CHUNK_ADDR) pairs.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import type { CallOptions } from '../genl/connection';
import { ProtocolError } from '../genl/errors';
import { Cmd } from './constants';
import { decodeMessage, DevlinkDecoded } from './decode';
import type { Devlink } from './devlink';
import { decodeOne, dumpOf } from './dumps';
import { checkU64, checkUint, devHandle, parseDevHandle } from './handle';
import type { DevlinkRequestAttrs } from './requests';

export interface DevlinkRegion {
  /** 'pci/0000:06:00.0/cr-space'. */
  readonly handle: string;
  readonly dev: string;
  readonly port?: number;
  readonly name: string;
  readonly size: bigint;
  readonly snapshots: readonly number[];
  readonly maxSnapshots?: number;
}

export interface RegionChunk {
  readonly address: bigint;
  readonly data: Buffer;
}

export interface RegionReadOptions {
  readonly snapshot?: number;
  readonly address?: number | bigint;
  readonly length?: number | bigint;
}

type Attrs = { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] };

/** BUS/DEV/REGION: the device handle, then the region's name (which has no '/'). */
export function regionAttrs(handle: unknown): Attrs {
  if (typeof handle !== 'string') throw new ValidationError('region', `expected BUS/DEV/REGION, got ${describeValue(handle)}`);
  const at = handle.lastIndexOf('/');
  const name = handle.slice(at + 1);
  if (at < 0 || name === '' || name.includes('\0')) throw new ValidationError('region', `${describeValue(handle)} is not BUS/DEV/REGION`);
  const h = parseDevHandle(handle.slice(0, at), 'region');
  return { busName: h.bus, devName: h.dev, regionName: name };
}

export function regionReadAttrs(handle: unknown, o: RegionReadOptions): Attrs {
  const a = regionAttrs(handle);
  const r = checkKeys(o, 'options', ['snapshot', 'address', 'length']);
  if (r.snapshot !== undefined) a.regionSnapshotId = checkUint(r.snapshot, 'snapshot', 32);
  if ((r.address === undefined) !== (r.length === undefined)) {
    throw new ValidationError(r.address === undefined ? 'address' : 'length', 'address and length go together');
  }
  if (r.address !== undefined) a.regionChunkAddr = checkU64(r.address, 'address');
  if (r.length !== undefined) a.regionChunkLen = checkU64(r.length, 'length');
  return a;
}

export function regionFrom(a: DevlinkDecoded): DevlinkRegion {
  if (a.busName === undefined || a.devName === undefined || a.regionName === undefined) {
    throw new ProtocolError("the kernel's region message lacks its handle or DEVLINK_ATTR_REGION_NAME");
  }
  const dev = devHandle(a.busName, a.devName);
  const snapshots = (a.regionSnapshots?.regionSnapshot ?? []).flatMap((s) => (s.regionSnapshotId !== undefined ? [s.regionSnapshotId] : []));
  if (a.regionSnapshotId !== undefined && !snapshots.includes(a.regionSnapshotId)) snapshots.push(a.regionSnapshotId);
  return {
    handle: `${dev}/${a.regionName}`, dev, name: a.regionName, size: a.regionSize ?? 0n, snapshots,
    ...(a.portIndex !== undefined ? { port: a.portIndex } : {}),
    ...(a.regionMaxSnapshots !== undefined ? { maxSnapshots: a.regionMaxSnapshots } : {}),
  };
}

/** The calls Devlink's region methods are made of. */
export const regions = {
  list(dl: Devlink, o: { readonly dev?: string } & CallOptions): Promise<DevlinkRegion[]> {
    return dumpOf(dl, Cmd.REGION_GET, o, regionFrom, (r, h) => r.dev === devHandle(h.bus, h.dev));
  },
  async get(dl: Devlink, handle: string, call: CallOptions): Promise<DevlinkRegion> {
    return decodeOne(await dl.request(Cmd.REGION_GET, regionAttrs(handle), call), regionFrom, 'region get');
  },
  /** REGION_NEW: the kernel picks the id when none is given, and answers with it. */
  async newSnapshot(dl: Devlink, handle: string, snapshot: number | undefined, call: CallOptions): Promise<number> {
    const a = regionAttrs(handle);
    if (snapshot !== undefined) a.regionSnapshotId = checkUint(snapshot, 'snapshot', 32);
    const msgs = await dl.request(Cmd.REGION_NEW, a, call);
    const id = msgs.length ? decodeMessage(msgs[0]).regionSnapshotId : undefined;
    if (id !== undefined) return id;
    if (snapshot !== undefined) return snapshot;
    throw new ProtocolError('the kernel answered region new without the snapshot id it chose');
  },
  async deleteSnapshot(dl: Devlink, handle: string, snapshot: number, call: CallOptions): Promise<void> {
    const a = regionAttrs(handle);
    a.regionSnapshotId = checkUint(snapshot, 'snapshot', 32);
    await dl.request(Cmd.REGION_DEL, a, call);
  },
  async read(dl: Devlink, handle: string, o: RegionReadOptions & CallOptions): Promise<RegionChunk[]> {
    const { snapshot, address, length, ...call } = checkKeys(o, '', ['snapshot', 'address', 'length', 'timeoutMs', 'signal']);
    const a = regionReadAttrs(handle, {
      ...(snapshot !== undefined ? { snapshot } : {}), ...(address !== undefined ? { address } : {}), ...(length !== undefined ? { length } : {}),
    });
    const out: RegionChunk[] = [];
    for (const m of await dl.dump(Cmd.REGION_READ, a, call)) {
      for (const c of decodeMessage(m).regionChunks?.regionChunk ?? []) {
        if (c.regionChunkData !== undefined && c.regionChunkAddr !== undefined) out.push({ address: c.regionChunkAddr, data: Buffer.from(c.regionChunkData) });
      }
    }
    return out;
  },
};
