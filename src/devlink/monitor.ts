/**
 * monitor(): devlink notifications (multicast group `config`) as typed events. It
 * subscribes before it joins the group, so nothing sent after the call is missed; on a
 * receive overrun it re-reads devices and ports and yields one `resync` event, so a
 * caller that keeps a view of ports never silently drifts.
 */
import { MalformedError } from '../attrs/errors';
import { Notification } from '../genl/connection';
import { Cmd, cmdName, DEVLINK_GENL_MCGRP_CONFIG_NAME } from './constants';
import { decodeMessage, deviceFrom, portFrom, rateFrom } from './decode';
import type { Devlink } from './devlink';
import { DevHandle, parseDevHandle } from './handle';
import { genlCmd } from '../genl/message';
import type { DevlinkEvent } from './types';

export interface MonitorOptions {
  /** Only events of this device ('pci/0000:06:00.0'). */
  readonly dev?: string;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
}

export async function* monitor(dl: Devlink, o: MonitorOptions): AsyncGenerator<DevlinkEvent, void, undefined> {
  const filter = o.dev !== undefined ? parseDevHandle(o.dev) : undefined;
  if (o.signal?.aborted) return;
  const sub = dl.genl.notifications();
  const stop = (): void => sub.end();
  o.signal?.addEventListener('abort', stop, { once: true });
  let group: number | undefined;
  try {
    group = await dl.genl.joinGroup(dl.family.name, DEVLINK_GENL_MCGRP_CONFIG_NAME, o.signal ? { signal: o.signal } : {});
    for await (const n of sub) {
      if (n.kind === 'overrun') {
        sub.shiftWhile((x) => x.kind === 'overrun');
        const [devices, ports] = await Promise.all([dl.devices(), dl.ports(filter ? { dev: `${filter.bus}/${filter.dev}` } : {})]);
        yield { type: 'resync', reason: 'overrun', devices: filter ? devices.filter((d) => matches(d, filter)) : devices, ports };
        continue;
      }
      const ev = toEvent(dl, n);
      if (ev && (!filter || eventMatches(ev, filter))) yield ev;
    }
  } finally {
    o.signal?.removeEventListener('abort', stop);
    if (group !== undefined) dl.genl.leaveGroup(group);
    await sub.return();
  }
}

function toEvent(dl: Devlink, n: Notification & { kind: 'message' }): DevlinkEvent | undefined {
  const m = n.msg;
  if (m.type !== dl.family.id) return undefined;
  let a;
  try {
    a = decodeMessage(m);
  } catch (e) {
    if (e instanceof MalformedError) return undefined;
    throw e;
  }
  const cmd = genlCmd(m);
  switch (cmd) {
    case Cmd.NEW: return { type: 'dev-new', device: deviceFrom(a) };
    case Cmd.DEL: return { type: 'dev-del', device: deviceFrom(a) };
    case Cmd.PORT_NEW: return { type: 'port-new', port: portFrom(a) };
    case Cmd.PORT_DEL: return { type: 'port-del', port: portFrom(a) };
    case Cmd.RATE_NEW: return { type: 'rate-new', rate: rateFrom(a) };
    case Cmd.RATE_DEL: return { type: 'rate-del', rate: rateFrom(a) };
    default: return { type: 'other', cmd: cmdName(cmd), attrs: a };
  }
}

function matches(x: { bus: string; dev: string }, f: DevHandle): boolean {
  return x.bus === f.bus && x.dev === f.dev;
}

function eventMatches(ev: DevlinkEvent, f: DevHandle): boolean {
  switch (ev.type) {
    case 'dev-new': case 'dev-del': return matches(ev.device, f);
    case 'port-new': case 'port-del': return matches(ev.port, f);
    case 'rate-new': case 'rate-del': return matches(ev.rate, f);
    case 'other': return ev.attrs.busName === f.bus && ev.attrs.devName === f.dev;
    default: return true;
  }
}
