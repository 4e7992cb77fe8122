/**
 * --sim: the in-process simulator behind a session, loaded only when asked for (the
 * command line otherwise never touches src/sim). By default two mlx5 PFs in legacy mode
 * with short but real-looking timings, so waiting shows; --sim-config FILE (YAML or
 * JSON, the Simulator's options) describes others. The simulator's sysfs lives in a
 * temporary directory that is removed when the session ends.
 */
import { promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Transport } from '../genl/transport';
import type { SimulatorOptions } from '../sim';
import { UsageError } from './args';

export interface SimHandle {
  transport(): Transport;
  readonly sysfsRoot: string;
  close(): Promise<void>;
}

type SimModule = typeof import('../sim');

/** src/sim is loaded only for --sim (a CommonJS require: it stays out of every other run). */
function loadSimulator(): SimModule['Simulator'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../sim') as SimModule).Simulator;
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
  const tmp = ownRoot ? await fs.mkdtemp(path.join(os.tmpdir(), 'devlink-sf-sim-')) : undefined;
  const sysfsRoot = tmp !== undefined ? tmp : String(config.sysfsRoot);
  try {
    const Simulator = loadSimulator();
    let sim: InstanceType<typeof Simulator>;
    try {
      sim = new Simulator({ ...config, sysfsRoot } as unknown as SimulatorOptions);
    } catch (e) {
      // a configuration the simulator cannot model: say so as a usage mistake
      throw new UsageError(`Simulator configuration${configFile !== undefined ? ` "${configFile}"` : ''}: ${(e as Error).message}`);
    }
    // a process that ends without closing the session still leaves no directory behind
    const removeSync = (): void => {
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    };
    process.once('exit', removeSync);
    return {
      transport: () => sim.transport(),
      sysfsRoot,
      close: async () => {
        process.off('exit', removeSync);
        try {
          await sim.close();
        } finally {
          if (tmp !== undefined) await fs.rm(tmp, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    if (tmp !== undefined) await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
