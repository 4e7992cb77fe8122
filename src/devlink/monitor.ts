/**
 * monitor(): devlink notifications (multicast group `config`) as typed events.
 *
 * It subscribes at the call, not at the first next(): `ready` resolves once the socket
 * is in the group, and every notification from then on is kept for the iteration. On a
 * receive overrun (or a notification that does not decode) it reads devices and ports
 * again and yields one `resync` with them; notifications older than that read are
 * dropped, so nothing older than a resync is ever yielded after it (resync.ts).
 */
import { checkKeys } from '../attrs/options';
import { ValidationError } from '../attrs/errors';
import { checkSignal } from '../genl/call-options';
import { AsyncQueue } from '../genl/queue';
import { Cmd, cmdName } from './constants';
import { deviceFrom, portFrom, rateFrom } from './decode';
import { flashEventFrom } from './decode-events';
import { reporterFrom } from './health';
import type { Devlink } from './devlink';
import type { DevlinkEvents, DevlinkNotice, NoticeSubscription } from './events';
import { DevHandle, parseDevHandle } from './handle';
import { dumpForDevice, onDevice } from './dumps';
import { Resync } from './resync';
import type { DevlinkDevice, DevlinkEvent, DevlinkPort } from './types';

export interface MonitorOptions {
  /** Only events of this device ('pci/0000:06:00.0'). */
  readonly dev?: string;
  /** Ends the iteration. */
  readonly signal?: AbortSignal;
  /** Events kept while the consumer is behind; past it, a resync replaces them (default 65536). */
  readonly limit?: number;
}

export const MONITOR_KEYS = ['dev', 'signal', 'limit'] as const;

/** What monitor() returns: async-iterable as before, subscribed already. */
export interface DevlinkMonitor extends AsyncIterableIterator<DevlinkEvent> {
  /** Resolves once the group is joined: nothing sent after that is missed. Rejects if joining failed. */
  readonly ready: Promise<void>;
  /** Notifications that could not be decoded (each also caused a resync). */
  readonly malformed: number;
  /** Stop: leaves the group (when nobody else reads), ends the iteration. */
  return(): Promise<IteratorResult<DevlinkEvent>>;
}


class Monitor implements DevlinkMonitor {
  readonly ready: Promise<void>;
  malformed = 0;
  private readonly q: AsyncQueue<DevlinkEvent>;
  private readonly sub: NoticeSubscription;
  private readonly filter: DevHandle | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly resync: Resync<{ devices: DevlinkDevice[]; ports: DevlinkPort[] }>;
  private readonly onAbort = (): void => this.stop();

  constructor(private readonly dl: Devlink, events: DevlinkEvents, o: MonitorOptions) {
    checkKeys(o, 'options', MONITOR_KEYS);
    this.filter = o.dev !== undefined ? parseDevHandle(o.dev) : undefined;
    this.signal = checkSignal(o.signal);
    const limit = o.limit ?? 65536;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new ValidationError('limit', 'expected a positive integer');
    this.q = new AsyncQueue<DevlinkEvent>(limit, () => this.stop());
    this.resync = new Resync(
      async (onReply) => {
        // no kernel filters a dump of devices: it is read whole and filtered here
        const devices = await dumpForDevice(this.dl, Cmd.GET, this.filter, deviceFrom, onDevice, { onReply }, { named: false });
        return { devices, ports: await dumpForDevice(this.dl, Cmd.PORT_GET, this.filter, portFrom, onDevice, { onReply }) };
      },
      (state, after) => {
        this.q.force({ type: 'resync', reason: 'overrun', devices: state.devices, ports: state.ports });
        for (const n of after) this.onNotice(n);
      },
      (e) => this.q.fail(e),
    );
    this.sub = events.subscribe((n) => this.onNotice(n));
    this.ready = this.sub.ready;
    this.ready.catch((e: unknown) => this.q.fail(e));
    if (this.signal?.aborted) this.stop();
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private onNotice(n: DevlinkNotice): void {
    if (n.kind === 'closed') return this.stop();
    if (this.resync.offer(n)) return;
    switch (n.kind) {
      case 'malformed':
        this.malformed++;
        return this.resync.start();
      case 'overrun':
        return this.resync.start();
      case 'message': {
        let ev: DevlinkEvent;
        try {
          ev = toEvent(n.cmd, n.attrs);
        } catch {
          // decoded, but not a valid object (a kernel bug or a newer kernel): lost like a malformed one
          this.malformed++;
          return this.resync.start();
        }
        if (this.filter && !eventMatches(ev, this.filter)) return;
        // the consumer is too far behind: a resync stands for what cannot be kept
        if (!this.q.push(ev)) this.resync.start();
        return;
      }
      default:
    }
  }

  private stop(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.sub.close();
    this.q.end();
  }

  next(): Promise<IteratorResult<DevlinkEvent>> {
    return this.q.next();
  }

  return(): Promise<IteratorResult<DevlinkEvent>> {
    this.stop();
    return this.q.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export function monitor(dl: Devlink, events: DevlinkEvents, o: MonitorOptions = {}): DevlinkMonitor {
  return new Monitor(dl, events, o);
}

function toEvent(cmd: number, a: Parameters<typeof portFrom>[0]): DevlinkEvent {
  switch (cmd) {
    case Cmd.NEW: return { type: 'dev-new', device: deviceFrom(a) };
    case Cmd.DEL: return { type: 'dev-del', device: deviceFrom(a) };
    case Cmd.PORT_NEW: return { type: 'port-new', port: portFrom(a) };
    case Cmd.PORT_DEL: return { type: 'port-del', port: portFrom(a) };
    case Cmd.RATE_NEW: return { type: 'rate-new', rate: rateFrom(a) };
    case Cmd.RATE_DEL: return { type: 'rate-del', rate: rateFrom(a) };
    case Cmd.HEALTH_REPORTER_RECOVER: return { type: 'health', reporter: reporterFrom(a) };
    case Cmd.FLASH_UPDATE: case Cmd.FLASH_UPDATE_END: case Cmd.FLASH_UPDATE_STATUS: return flashEventFrom(cmd, a);
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
    case 'health': return ev.reporter.dev === `${f.bus}/${f.dev}`;
    case 'flash': return ev.handle === `${f.bus}/${f.dev}`;
    case 'other': return ev.attrs.busName === f.bus && ev.attrs.devName === f.dev;
    default: return true;
  }
}
