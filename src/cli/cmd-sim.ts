/**
 * sim start | stop | status: the background simulator (sim-daemon.ts). `start` prints
 * where it is and how later commands find it; they do with --sim (the well-known state
 * file) or, without --sim, when $DEVLINK_SF_SIM names its state file.
 */
import { Args } from './args';
import { readSimState, SIM_ENV, SimState, simStatePath, startDaemon, stopDaemon } from './sim-daemon';
import type { Session } from './session';

function describe(s: Session, state: SimState, file: string): void {
  const p = s.printer;
  if (s.json) {
    p.section('sim', () => {
      p.uint('pid', '', state.pid);
      p.uint('port', '', state.port);
      p.str('sysfs', '', state.sysfsRoot);
      p.str('state', '', file);
      p.str('log', '', state.log);
    });
    return;
  }
  s.out(`simulator pid ${state.pid} netlink port ${state.port} sysfs ${state.sysfsRoot}\n  state ${file} log ${state.log}\n`);
}

export async function simStart(s: Session, a: Args): Promise<void> {
  a.done();
  const file = simStatePath(s.io.env);
  const state = await startDaemon(file, s.opts.simConfig);
  describe(s, state, file);
  if (!s.json) {
    s.out(s.io.env[SIM_ENV] !== undefined
      ? `Commands run on it while ${SIM_ENV} is set; devlink-sf sim stop ends it\n`
      : `Commands run on it with --sim, or without it after: export ${SIM_ENV}=${file}\ndevlink-sf sim stop ends it\n`);
  }
}

export async function simStop(s: Session, a: Args): Promise<void> {
  a.done();
  const file = simStatePath(s.io.env);
  const state = await stopDaemon(file);
  if (!s.json) s.out(state === undefined ? 'no simulator is running\n' : `simulator pid ${state.pid} stopped\n`);
}

export async function simStatus(s: Session, a: Args): Promise<void> {
  a.done();
  const file = simStatePath(s.io.env);
  const state = await readSimState(file);
  if (state !== undefined) describe(s, state, file);
  else if (!s.json) s.out('no simulator is running\n');
}
