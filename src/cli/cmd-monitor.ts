/**
 * devlink monitor [all | OBJECT...]: every devlink notification of the `config` group
 * printed as it arrives, in iproute2's form: `[port,new] <the port as port show prints
 * it>`; with -j one JSON stream {"mon":[{"command":"new","port":{...}},...]} closed when
 * the monitor stops (SIGINT, SIGTERM, or the caller's signal).
 *
 * Built on Devlink.monitor(): typed events for devices, ports and rates, `other` (the
 * decoded attributes) for parameters. A lost notification (receive overrun) is said on
 * stderr; the monitor then goes on from the state the library read again. A `[dev,new]`
 * shows the device's reload statistics, which the typed device leaves out, read again
 * from the device (a `[dev,del]` has none to read).
 * Rate objects, which iproute2 6.1's monitor ignores, are printed as `[rate,new] ...`.
 */
import { Cmd } from '../devlink/constants';
import { decodeMessage } from '../devlink/decode';
import type { Devlink } from '../devlink/devlink';
import type { DevlinkDevice } from '../devlink/types';
import { KernelError } from '../genl/errors';
import { Args, UsageError } from './args';
import { eventKind, MONITOR_OBJECTS, printEvent } from './events';
import type { Session } from './session';

const OBJECTS = ['all', ...MONITOR_OBJECTS, 'trap-policer', 'lc'];

/** The reload statistics of a device that has just appeared (undefined if it is gone again). */
async function devStats(dl: Devlink, d: DevlinkDevice): Promise<unknown> {
  try {
    const [m] = await dl.request(Cmd.GET, { busName: d.bus, devName: d.dev });
    return m !== undefined ? decodeMessage(m).devStats : undefined;
  } catch (e) {
    if (e instanceof KernelError) return undefined;
    throw e;
  }
}

export async function monitorCmd(s: Session, a: Args): Promise<void> {
  const wanted = a.rest();
  for (const o of wanted) if (!OBJECTS.includes(o)) throw new UsageError(`Unknown object "${o}"`);
  const all = wanted.length === 0 || wanted.includes('all');
  const dl = await s.devlink();
  const stop = s.stopSignal();
  const events = dl.monitor({ signal: stop.signal });
  const p = s.printer;
  // an in-process simulator holds no handle of its own: keep the process alive until stopped
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    await events.ready;
    p.jsonOpen();
    p.jsonArrayOpen('mon');
    s.flush();
    s.listening();
    for await (const ev of events) {
      if (ev.type === 'resync') {
        s.err('monitor: the socket receive buffer overran; some events were lost\n');
        continue;
      }
      const kind = eventKind(ev);
      if (kind === undefined || (!all && !wanted.includes(kind.obj))) continue;
      printEvent(p, ev, ev.type === 'dev-new' ? await devStats(dl, ev.device) : undefined, s);
      s.flush();
    }
  } finally {
    clearInterval(keepAlive);
    stop.dispose();
    await events.return();
    p.jsonArrayClose();
    p.jsonClose();
  }
}
