/**
 * --sim: a simulator behind a session, loaded only when asked for (the command line
 * otherwise never touches src/sim). By default two mlx5 PFs in legacy mode with short
 * but real-looking timings, so waiting shows; --sim-config FILE (YAML or JSON, the
 * Simulator's options, checked by parseSimConfig) describes others.
 *
 * Either in-process, new for each run (its sysfs in a temporary directory removed when
 * the session or the process ends, see sim-temp.ts), or the background simulator of `devlink-sf sim start` (sim-daemon.ts),
 * reached over a real netlink socket, whose state outlives each command.
 */
import { promises as fs } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../attrs/errors';
import type { GenericNetlinkOptions } from '../genl/generic';
import type { SimulatorOptions } from '../sim';
import { UsageError } from './args';
import { parseSimConfig } from './sim-config';
import { makeSimTemp } from './sim-temp';

/** What a session needs of a simulator: how to connect, where its sysfs is, how to let go. */
export interface SimHandle {
  connection(): GenericNetlinkOptions;
  readonly sysfsRoot: string;
  close(): Promise<void>;
}

type SimModule = typeof import('../sim');

/** src/sim is loaded only for --sim (a CommonJS require: it stays out of every other run). */
export function loadSimulator(): SimModule['Simulator'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../sim') as SimModule).Simulator;
}

export const DEFAULT_SIM_CONFIG: SimulatorOptions = {
  kernel: '6.1',
  devices: [
    { handle: 'pci/0000:06:00.0', driver: 'mlx5_core', pfnum: 0, eswitch: 'legacy' },
    { handle: 'pci/0000:06:00.1', driver: 'mlx5_core', pfnum: 1, eswitch: 'legacy' },
  ],
  timing: { attachMs: 30, detachMs: 20, freeMs: 50 },
};

/** The simulator's options: FILE checked field by field, or the default two PFs. */
export async function readSimConfig(file?: string): Promise<SimulatorOptions> {
  if (file === undefined) return DEFAULT_SIM_CONFIG;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read simulator configuration "${file}": ${(e as Error).message}`);
  }
  try {
    const config = parseSimConfig(parseYaml(text));
    return config.timing === undefined ? { ...config, timing: DEFAULT_SIM_CONFIG.timing } : config;
  } catch (e) {
    if (e instanceof ValidationError || (e as Error).name === 'YAMLParseError') {
      throw new UsageError(`Simulator configuration "${file}": ${(e as Error).message}`);
    }
    throw e;
  }
}

/** A new simulator in this process, its sysfs in a temporary directory (sim-temp.ts) unless the configuration names one. */
export async function startSimulator(configFile?: string): Promise<SimHandle> {
  const config = await readSimConfig(configFile);
  const tmp = config.sysfsRoot === undefined ? await makeSimTemp() : undefined;
  const sysfsRoot = tmp?.sysfsRoot ?? (config.sysfsRoot as string);
  try {
    const Simulator = loadSimulator();
    let sim: InstanceType<typeof Simulator>;
    try {
      sim = new Simulator({ ...config, sysfsRoot });
    } catch (e) {
      // a configuration the simulator cannot model: say so as a usage mistake
      throw new UsageError(`Simulator configuration${configFile !== undefined ? ` "${configFile}"` : ''}: ${(e as Error).message}`);
    }
    return {
      connection: () => ({ transport: sim.transport() }),
      sysfsRoot,
      close: async () => {
        try {
          await sim.close();
        } finally {
          // until here a process that ends (a closed pipe while closing) still removes it
          tmp?.remove();
        }
      },
    };
  } catch (e) {
    tmp?.remove();
    throw e;
  }
}
