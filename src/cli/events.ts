/**
 * Devlink.monitor()'s typed events in iproute2's monitor form (`[port,new] ...`, or with
 * -j `{"command":"new","port":{...}}`), for `monitor` and `demo`. Events of the objects
 * iproute2 prints (dev, port, param, rate, health, region, trap, trap group, flash) are
 * printed; others are left out.
 */
import { uptime } from 'node:os';
import { Cmd } from '../devlink/constants';
import { paramFrom, portFrom, rateFrom } from '../devlink/decode';
import type { DevlinkDecoded } from '../devlink/decode';
import type { DevlinkEvent } from '../devlink/types';
import type { Printer } from './output';
import { monFooter, monHeader, printDev, printParam, printPort, printRate } from './print';
import { printFlash, printMoreEvent } from './print-events';
import { printReporter } from './print-health';
import type { Session } from './session';

/** The objects `monitor OBJECT` filters on. */
export const MONITOR_OBJECTS = ['dev', 'port', 'rate', 'param', 'health', 'region', 'trap', 'trap-group', 'flash'] as const;
export type MonitorObject = (typeof MONITOR_OBJECTS)[number];

const VERBS = ['get', 'set', 'new', 'del'];

/** The object and verb of an event, as iproute2's cmd_obj and cmd_name name them; undefined for others. */
export function eventKind(ev: DevlinkEvent): { obj: MonitorObject; verb: string } | undefined {
  if (ev.type === 'health') return { obj: 'health', verb: 'status' };
  if (ev.type === 'flash') return { obj: 'flash', verb: ev.phase };
  if (ev.type === 'resync') return undefined;
  const name = ev.type === 'other' ? ev.cmd : ev.type;
  const dash = name.lastIndexOf('-');
  const obj = dash < 0 ? 'dev' : name.slice(0, dash);
  const verb = name.slice(dash + 1);
  if (!VERBS.includes(verb) || !(MONITOR_OBJECTS as readonly string[]).includes(obj)) return undefined;
  return { obj: obj as MonitorObject, verb };
}

/**
 * Print one event; false when it is not one iproute2 prints (or an `other` event whose
 * attributes do not make one). `devStats` is a device's reload statistics; `s` the session
 * (traps print through it).
 */
export function printEvent(p: Printer, ev: DevlinkEvent, devStats?: unknown, s?: Session): boolean {
  const kind = eventKind(ev);
  if (kind === undefined) return false;
  if (ev.type === 'other' && s !== undefined && ['region', 'trap', 'trap-group'].includes(kind.obj)) {
    const cmd = (Cmd as Record<string, number>)[ev.cmd.toUpperCase().replace(/-/g, '_')];
    if (cmd === undefined || !printMoreEvent(s, kind, cmd, ev.attrs as DevlinkDecoded)) return false;
    monFooter(p);
    return true;
  }
  const body = eventBody(p, ev, kind.obj, devStats);
  if (body === undefined) return false;
  monHeader(p, kind.obj, kind.verb);
  body();
  monFooter(p);
  return true;
}

function eventBody(p: Printer, ev: DevlinkEvent, obj: MonitorObject, devStats: unknown): (() => void) | undefined {
  switch (ev.type) {
    case 'dev-new': case 'dev-del': return () => printDev(p, ev.device, devStats);
    case 'port-new': case 'port-del': return () => printPort(p, ev.port);
    case 'rate-new': case 'rate-del': return () => printRate(p, ev.rate);
    case 'health': return () => printReporter(p, ev.reporter, uptime);
    case 'flash': return () => printFlash(p, ev);
    case 'other': return otherBody(p, ev.attrs as DevlinkDecoded, obj);
    default: return undefined;
  }
}

/** A get/set of an object, or a parameter: the decoded attributes `other` carries. */
function otherBody(p: Printer, a: DevlinkDecoded, obj: MonitorObject): (() => void) | undefined {
  if (a.busName === undefined || a.devName === undefined) return undefined;
  switch (obj) {
    case 'port': return a.portIndex === undefined ? undefined : () => printPort(p, portFrom(a));
    case 'param': return a.param === undefined ? undefined : () => printParam(p, paramFrom(a), false);
    case 'rate': return () => printRate(p, rateFrom(a));
    default: return undefined;
  }
}
