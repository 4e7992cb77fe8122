/**
 * The background simulator's process (started by sim-daemon.ts's startDaemon):
 * `node sim-serve.js STATE LOG [CONFIG]`. It listens on a real netlink socket, writes
 * STATE, says `ready` on stdout, and runs until SIGTERM or SIGINT, when it closes the
 * simulator (its sysfs tree, in a directory of sim-temp.ts, is removed) and removes STATE. Failures go to stderr (LOG).
 */
import { promises as fs } from 'node:fs';
import { onSignal } from './signals';
import { loadSimulator, readSimConfig } from './sim';
import type { SimState } from './sim-daemon';
import { makeSimTemp } from './sim-temp';

async function serve(stateFile: string, log: string, configFile?: string): Promise<void> {
  const config = await readSimConfig(configFile);
  // its sysfs tree in a directory that a later simulator removes if this process is killed
  const tmp = config.sysfsRoot === undefined ? await makeSimTemp() : undefined;
  const Simulator = loadSimulator();
  const sim = new Simulator(tmp !== undefined ? { ...config, sysfsRoot: tmp.sysfsRoot } : config);
  const { port } = await sim.listen();
  const state: SimState = { pid: process.pid, port, sysfsRoot: sim.sysfsRoot, log, ...(configFile !== undefined ? { config: configFile } : {}) };
  await fs.writeFile(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await fs.rename(`${stateFile}.tmp`, stateFile);
  // the socket is polled by the addon; this keeps the process alive whatever it holds
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    void sim.close().finally(() => tmp?.remove()).finally(() => fs.rm(stateFile, { force: true })).finally(() => process.exit(0));
  };
  onSignal(stop);
  process.stdout.write('ready\n');
}

if (require.main === module) {
  const [stateFile, log, configFile] = process.argv.slice(2);
  serve(stateFile, log, configFile).catch((e: unknown) => {
    process.stderr.write(`devlink-sf sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
