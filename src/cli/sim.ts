/**
 * --sim: the in-process simulator behind a session, loaded only when asked for (the
 * command line otherwise never touches src/sim). By default two mlx5 PFs in legacy mode
 * with short but real-looking timings, so waiting shows; --sim-config FILE (YAML or
 * JSON, the Simulator's options) describes others. The simulator's sysfs lives in a
 * temporary directory that is removed when the session ends.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Transport } from '../genl/transport';
import { UsageError } from './args';

export interface SimHandle {
  transport(): Transport;
  readonly sysfsRoot: string;
  close(): Promise<void>;
}

/** What the command line needs of src/sim's Simulator. */
interface SimulatorLike {
  transport(): Transport;
  close(): Promise<void>;
}
type SimulatorClass = new (options: Record<string, unknown>) => SimulatorLike;

/** src/sim is loaded only for --sim (a CommonJS require: it stays out of every other run). */
function loadSimulator(): SimulatorClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../sim') as { Simulator: SimulatorClass }).Simulator;
}

export const DEFAULT_SIM_CONFIG = {
  kernel: '6.1',
  devices: [
    { handle: 'pci/0000:06:00.0', driver: 'mlx5_core', pfnum: 0, eswitch: 'legacy' },
    { handle: 'pci/0000:06:00.1', driver: 'mlx5_core', pfnum: 1, eswitch: 'legacy' },
  ],
  timing: { attachMs: 30, detachMs: 20, freeMs: 50 },
} as const;

async function readConfig(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read simulator configuration "${file}": ${(e as Error).message}`);
  }
  const doc: unknown = parseYaml(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(`Simulator configuration "${file}": expected an object with "devices"`);
  }
  return doc as Record<string, unknown>;
}

export async function startSimulator(configFile?: string): Promise<SimHandle> {
  const config: Record<string, unknown> = configFile !== undefined ? await readConfig(configFile) : { ...DEFAULT_SIM_CONFIG };
  if (config.timing === undefined) config.timing = DEFAULT_SIM_CONFIG.timing;
  const ownRoot = config.sysfsRoot === undefined;
  const sysfsRoot = ownRoot ? await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-sim-')) : String(config.sysfsRoot);
  try {
    const sim = new (loadSimulator())({ ...config, sysfsRoot });
    return {
      transport: () => sim.transport(),
      sysfsRoot,
      close: async () => {
        try {
          await sim.close();
        } finally {
          if (ownRoot) await fs.rm(sysfsRoot, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    if (ownRoot) await fs.rm(sysfsRoot, { recursive: true, force: true });
    throw e;
  }
}
