/**
 * The monitor's region, trap, trap group and flash notifications, as iproute2 6.1's
 * cmd_mon_show_cb prints them: `[region,new] DEV/REGION: snapshot 1`, `[trap,new] DEV:
 * name ... group ...`, `[flash,status] DEV: msg ... component ... done N total M`.
 * Notifications that lack what iproute2 requires of them are skipped, as it skips them.
 */
import { flashEventFrom } from '../devlink/decode-events';
import type { DevlinkDecoded } from '../devlink/decode';
import { regionFrom } from '../devlink/regions';
import { trapFrom, trapGroupFrom } from '../devlink/traps';
import { printRegion } from './cmd-region';
import { printGroup, printTrap } from './cmd-trap';
import { monHeader } from './print';
import type { Session } from './session';

/** Prints the header and the object; false (nothing printed) for a message iproute2 would refuse. */
export function printMoreEvent(s: Session, what: { obj: string; verb: string }, cmd: number, a: DevlinkDecoded): boolean {
  const p = s.printer;
  switch (what.obj) {
    case 'region': {
      if (a.regionName === undefined) return false;
      monHeader(p, what.obj, what.verb);
      const r = regionFrom(a);
      // a snapshot notification has its id and no size
      printRegion(p, { handle: r.handle, ...(a.regionSize !== undefined ? { size: r.size } : {}), ...(a.regionSnapshots ? { snapshots: r.snapshots } : {}) },
        a.regionSnapshots ? undefined : a.regionSnapshotId);
      return true;
    }
    case 'trap':
      if (a.trapName === undefined || a.trapType === undefined || a.trapAction === undefined || a.trapGroupName === undefined) return false;
      monHeader(p, what.obj, what.verb);
      printTrap(s, trapFrom(a), false);
      return true;
    case 'trap-group':
      if (a.trapGroupName === undefined) return false;
      monHeader(p, what.obj, what.verb);
      printGroup(s, trapGroupFrom(a), false);
      return true;
    default: {
      monHeader(p, what.obj, what.verb);
      const e = flashEventFrom(cmd, a);
      p.handleStart(e.handle, true);
      if (e.phase === 'status') {
        if (e.message !== undefined) {
          p.checkIndentNewline();
          p.str('msg', 'msg ', e.message);
        }
        if (e.component !== undefined) {
          p.checkIndentNewline();
          p.str('component', 'component ', e.component);
        }
        if (e.done !== undefined) { p.checkIndentNewline(); p.uint('done', 'done ', e.done); }
        if (e.total !== undefined) { p.checkIndentNewline(); p.uint('total', 'total ', e.total); }
      }
      p.handleEnd();
      return true;
    }
  }
}
