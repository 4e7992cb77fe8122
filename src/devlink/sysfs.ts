/**
 * Correlating a sub-function with what the kernel made of it, through sysfs:
 *
 *   <root>/bus/auxiliary/devices/mlx5_core.sf.N        (a link into the PF's device directory)
 *   <root>/bus/auxiliary/devices/mlx5_core.sf.N/sfnum  ("88")
 *   .../mlx5_core.sf.N/**\/net/<netdev>                 the SF's netdev, somewhere below
 *   .../mlx5_core.sf.N/**\/infiniband/<rdma device>     its RDMA device, somewhere below
 *
 * The PF is recognised by its PCI address among the components of the link's target.
 * The root is '/sys' on a real machine and the simulator's directory in tests.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface SfDevices {
  /** 'mlx5_core.sf.4'. */
  readonly auxDevice: string;
  /** 'auxiliary/mlx5_core.sf.4': the SF's own devlink instance. */
  readonly devlink: string;
  readonly netdev?: string;
  readonly rdmaDevice?: string;
}

const SEARCH_DEPTH = 3;

/**
 * Find the auxiliary device of the SF with `sfnum` on the PF `pciAddress` (or on any PF
 * when the address is not known). Returns undefined while it does not exist.
 */
export async function findSfDevices(root: string, sfnum: number, pciAddress?: string): Promise<SfDevices | undefined> {
  const dir = path.join(root, 'bus', 'auxiliary', 'devices');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/\.sf\.\d+$/.test(name)) continue;
    const devDir = path.join(dir, name);
    const n = await readInt(path.join(devDir, 'sfnum'));
    if (n !== sfnum) continue;
    if (pciAddress !== undefined && !(await belongsTo(devDir, pciAddress))) continue;
    const found: { -readonly [K in keyof SfDevices]: SfDevices[K] } = { auxDevice: name, devlink: `auxiliary/${name}` };
    const netdev = await firstBelow(devDir, 'net', SEARCH_DEPTH);
    if (netdev !== undefined) found.netdev = netdev;
    const rdma = await firstBelow(devDir, 'infiniband', SEARCH_DEPTH);
    if (rdma !== undefined) found.rdmaDevice = rdma;
    return found;
  }
  return undefined;
}

async function readInt(file: string): Promise<number | undefined> {
  try {
    const s = (await fs.readFile(file, 'utf8')).trim();
    return /^\d+$/.test(s) ? Number(s) : undefined;
  } catch {
    return undefined;
  }
}

/** The device directory's real path passes through the PF's own directory. */
async function belongsTo(devDir: string, pciAddress: string): Promise<boolean> {
  try {
    const real = await fs.realpath(devDir);
    return real.split(path.sep).includes(pciAddress);
  } catch {
    return false;
  }
}

/** The first entry of a directory called `kind` found below `dir`, breadth first. */
async function firstBelow(dir: string, kind: string, depth: number): Promise<string | undefined> {
  let level = [dir];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const p of level) {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(p, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.name === kind && (e.isDirectory() || e.isSymbolicLink())) {
          const inside = (await fs.readdir(path.join(p, e.name)).catch(() => [] as string[])).sort();
          if (inside.length > 0) return inside[0];
        } else if (e.isDirectory() && e.name !== 'subsystem' && e.name !== 'driver' && e.name !== 'power') {
          next.push(path.join(p, e.name));
        }
      }
    }
    level = next;
  }
  return undefined;
}
