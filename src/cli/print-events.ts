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
import type { Printer } from './output';
import { monHeader } from './print';
import type { FlashEvent } from '../devlink/types';
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
    default:
      monHeader(p, what.obj, what.verb);
      printFlash(p, flashEventFrom(cmd, a));
      return true;
  }
}

/** A flash update's step as the monitor prints it: the handle, then msg, component, done, total where sent. */
export function printFlash(p: Printer, e: FlashEvent): void {
  p.handleStart(e.handle, true);
  if (e.phase === 'status') {
    for (const [key, v] of [['msg', e.message], ['component', e.component]] as const) {
      if (v === undefined) continue;
      p.checkIndentNewline();
      p.str(key, `${key} `, v);
    }
    for (const [key, v] of [['done', e.done], ['total', e.total]] as const) {
      if (v === undefined) continue;
      p.checkIndentNewline();
      p.uint(key, `${key} `, v);
    }
  }
  p.handleEnd();
}
