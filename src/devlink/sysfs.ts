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
 *
 * sysfs lives in memory: its few small reads are made synchronously, which also keeps a
 * test's fake clock (sinon) in control of the lifecycle's waits (no real I/O to wait for
 * between two ticks).
 */
import * as fs from 'node:fs';
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
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/\.sf\.\d+$/.test(name)) continue;
    const devDir = path.join(dir, name);
    const n = readInt(path.join(devDir, 'sfnum'));
    if (n !== sfnum) continue;
    if (pciAddress !== undefined && !belongsTo(devDir, pciAddress)) continue;
    const found: { -readonly [K in keyof SfDevices]: SfDevices[K] } = { auxDevice: name, devlink: `auxiliary/${name}` };
    const netdev = firstBelow(devDir, 'net', SEARCH_DEPTH);
    if (netdev !== undefined) found.netdev = netdev;
    const rdma = firstBelow(devDir, 'infiniband', SEARCH_DEPTH);
    if (rdma !== undefined) found.rdmaDevice = rdma;
    return found;
  }
  return undefined;
}

function readInt(file: string): number | undefined {
  try {
    const s = fs.readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(s) ? Number(s) : undefined;
  } catch {
    return undefined;
  }
}

/** The device directory's real path passes through the PF's own directory. */
function belongsTo(devDir: string, pciAddress: string): boolean {
  try {
    const real = fs.realpathSync(devDir);
    return real.split(path.sep).includes(pciAddress);
  } catch {
    return false;
  }
}

/** The first entry of a directory called `kind` found below `dir`, breadth first. */
function firstBelow(dir: string, kind: string, depth: number): string | undefined {
  let level = [dir];
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: string[] = [];
    for (const p of level) {
      let entries: import('node:fs').Dirent[];
      try {
        entries = fs.readdirSync(p, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        if (e.name === kind && (e.isDirectory() || e.isSymbolicLink())) {
          const inside = readdirOrEmpty(path.join(p, e.name)).sort();
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

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
