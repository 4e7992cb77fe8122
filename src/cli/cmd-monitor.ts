/**
 * devlink monitor [all | OBJECT...]: every devlink notification of the `config` group
 * printed as it arrives, in iproute2's form: `[port,new] <the port as port show prints
 * it>`; with -j one JSON stream {"mon":[{"command":"new","port":{...}},...]} closed when
 * the monitor stops (SIGINT, SIGTERM, or the caller's signal).
 *
 * The notifications are read from the connection directly rather than through
 * Devlink.monitor(), because iproute2 prints what the typed events leave out (a device's
 * reload statistics) and objects the library does not turn into events (parameters).
 * Rate objects, which iproute2 6.1's monitor ignores, are printed as `[rate,new] ...`.
 */
import { Cmd, DEVLINK_GENL_MCGRP_CONFIG_NAME } from '../devlink/constants';
import { decodeMessage, deviceFrom, paramFrom, portFrom, rateFrom } from '../devlink/decode';
import { MalformedError } from '../attrs/errors';
import type { NlMsg } from '../genl/message';
import { genlCmd } from '../genl/message';
import { uptime } from 'os';
import { reporterFrom } from '../devlink/health';
import { Args, UsageError } from './args';
import { printReporter } from './print-health';
import { printMoreEvent } from './print-events';
import { monFooter, monHeader, printDev, printParam, printPort, printRate } from './print';
import type { Session } from './session';

const OBJECTS = ['all', 'dev', 'port', 'rate', 'param', 'health', 'trap', 'trap-group', 'trap-policer', 'lc'];

const VERBS = ['get', 'set', 'new', 'del'] as const;

/** The object and verb of a devlink command, as cmd_obj/cmd_name name them. */
function describe(cmd: number): { obj: string; verb: string } | undefined {
  const groups: [string, number][] = [['dev', Cmd.GET], ['port', Cmd.PORT_GET], ['param', Cmd.PARAM_GET], ['rate', Cmd.RATE_GET]];
  for (const [obj, base] of groups) {
    if (cmd >= base && cmd < base + 4) return { obj, verb: VERBS[cmd - base] };
  }
  const more: [string, number][] = [['region', Cmd.REGION_GET], ['trap', Cmd.TRAP_GET], ['trap-group', Cmd.TRAP_GROUP_GET]];
  for (const [obj, base] of more) {
    if (cmd >= base && cmd < base + 4) return { obj, verb: VERBS[cmd - base] };
  }
  if (cmd === Cmd.FLASH_UPDATE) return { obj: 'flash', verb: 'begin' };
  if (cmd === Cmd.FLASH_UPDATE_END) return { obj: 'flash', verb: 'end' };
  if (cmd === Cmd.FLASH_UPDATE_STATUS) return { obj: 'flash', verb: 'status' };
  return cmd === Cmd.HEALTH_REPORTER_RECOVER ? { obj: 'health', verb: 'status' } : undefined;
}

export async function monitorCmd(s: Session, a: Args): Promise<void> {
  const wanted = a.rest();
  for (const o of wanted) if (!OBJECTS.includes(o)) throw new UsageError(`Unknown object "${o}"`);
  const dl = await s.devlink();
  const stop = s.stopSignal();
  const sub = dl.genl.notifications();
  const end = (): void => sub.end();
  stop.signal.addEventListener('abort', end, { once: true });
  let group: number | undefined;
  const p = s.printer;
  // an in-process simulator holds no handle of its own: keep the process alive until stopped
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    group = await dl.genl.joinGroup(dl.family.name, DEVLINK_GENL_MCGRP_CONFIG_NAME, { signal: stop.signal });
    p.jsonOpen();
    p.jsonArrayOpen('mon');
    s.flush();
    s.listening();
    for await (const n of sub) {
      if (n.kind === 'overrun') {
        s.err('monitor: the socket receive buffer overran; some events were lost\n');
        continue;
      }
      if (n.msg.type !== dl.family.id) continue;
      printEvent(s, n.msg, wanted);
      s.flush();
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    clearInterval(keepAlive);
    stop.signal.removeEventListener('abort', end);
    stop.dispose();
    if (group !== undefined) dl.genl.leaveGroup(group);
    await sub.return();
    p.jsonArrayClose();
    p.jsonClose();
  }
}

function printEvent(s: Session, msg: NlMsg, wanted: readonly string[]): void {
  const what = describe(genlCmd(msg));
  if (!what) return;
  if (wanted.length > 0 && !wanted.includes(what.obj) && !wanted.includes('all')) return;
  let attrs;
  try {
    attrs = decodeMessage(msg);
  } catch (e) {
    if (e instanceof MalformedError) return;
    throw e;
  }
  if (attrs.busName === undefined || attrs.devName === undefined) return;
  const p = s.printer;
  switch (what.obj) {
    case 'dev':
      monHeader(p, what.obj, what.verb);
      printDev(p, deviceFrom(attrs), attrs.devStats);
      break;
    case 'port':
      if (attrs.portIndex === undefined) return;
      monHeader(p, what.obj, what.verb);
      printPort(p, portFrom(attrs));
      break;
    case 'region': case 'trap': case 'trap-group': case 'flash':
      if (!printMoreEvent(s, what, genlCmd(msg), attrs)) return;
      break;
    case 'health':
      if (attrs.healthReporter === undefined) return;
      monHeader(p, what.obj, what.verb);
      printReporter(p, reporterFrom(attrs), uptime);
      break;
    case 'param':
      if (attrs.param === undefined) return;
      monHeader(p, what.obj, what.verb);
      printParam(p, paramFrom(attrs), false);
      break;
    default:
      monHeader(p, what.obj, what.verb);
      printRate(p, rateFrom(attrs));
      break;
  }
  monFooter(p);
}
