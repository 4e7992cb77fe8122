/**
 * watchPorts(): an informer over devlink ports. It subscribes, joins the group, dumps,
 * and applies the notifications that arrived during the dump in order (resync.ts), then
 * keeps its view with every notification: `list()` and `get()` read the view, and
 * iterating yields each change as `added`, `updated` or `removed`. After a receive
 * overrun (or a notification that does not decode) it dumps again and yields the
 * difference as changes. Port gets this Devlink makes (the lifecycle's waits on opstate,
 * which no notification announces on 6.1) update the view too.
 *
 * A consumer that falls behind by more than `limit` changes is not flooded: the queued
 * changes are replaced by the difference between what it has seen and the view.
 */
import { isDeepStrictEqual } from 'node:util';
import { checkKeys } from '../attrs/options';
import { ValidationError } from '../attrs/errors';
import { Cmd } from './constants';
import { portFrom } from './decode';
import type { Devlink } from './devlink';
import type { DevlinkEvents, DevlinkNotice, NoticeSubscription } from './events';
import { DevHandle, parseDevHandle } from './handle';
import { checkSignal } from '../genl/call-options';
import { dumpForDevice, onDevice } from './dumps';
import { Resync } from './resync';
import type { DevlinkPort } from './types';

/** What watchPorts() takes. */
export interface WatchPortsOptions {
  /** Only the ports of this device ('pci/0000:06:00.0'). */
  readonly dev?: string;
  /** Aborts the opening (its dump); after that, closes the watch. */
  readonly signal?: AbortSignal;
  /** Changes kept for a consumer that is behind (default 65536). */
  readonly limit?: number;
}

export const WATCH_PORTS_KEYS = ['dev', 'signal', 'limit'] as const;

/** One change of the watch's view. */
export interface PortChange {
  /** A port appeared, changed, or went. */
  readonly type: 'added' | 'updated' | 'removed';
  /** The port as it is now (for removed: as it was last seen). */
  readonly port: DevlinkPort;
  /** For updated: the port as it was. */
  readonly previous?: DevlinkPort;
}

/** What the watch met. */
export interface PortWatchStats {
  /** Dumps after the first (overruns, undecodable notifications). */
  resyncs: number;
  /** Notifications that could not be decoded into a port. */
  malformed: number;
}

/** A port informer (see above): made by Devlink.watchPorts(). */
export class PortWatch implements AsyncIterable<PortChange> {
  private view = new Map<string, DevlinkPort>();
  /** What the consumer has been handed (for coalescing when it is behind). */
  private seen = new Map<string, DevlinkPort>();
  private queue: PortChange[] = [];
  private coalesced = false;
  private waiter: ((r: IteratorResult<PortChange> | Promise<never>) => void) | undefined;
  private failure: unknown;
  private closed = false;
  private opened = false;
  /** While the first view is made: changes are applied, not queued. */
  private quiet = false;
  private sub!: NoticeSubscription;
  private readonly resync: Resync<DevlinkPort[]>;
  /** Resyncs and undecodable notifications met. */
  readonly stats: PortWatchStats = { resyncs: 0, malformed: 0 };
  private readonly onAbort = (): void => void this.close();

  private constructor(
    private readonly dl: Devlink,
    private readonly filter: DevHandle | undefined,
    private readonly limit: number,
    private readonly signal: AbortSignal | undefined,
    opened: (err?: unknown) => void,
  ) {
    this.resync = new Resync(
      (onReply) => dumpForDevice(this.dl, Cmd.PORT_GET, this.filter, portFrom, onDevice, { onReply }),
      (ports, after) => {
        const next = new Map(ports.map((p) => [p.handle, p]));
        if (this.opened) {
          this.stats.resyncs++;
          this.replace(next);
          for (const n of after) this.onNotice(n);
          return;
        }
        // the first view: what came during the dump is applied, not yielded as changes
        this.view = next;
        this.opened = true;
        this.quiet = true;
        for (const n of after) this.onNotice(n);
        this.quiet = false;
        this.seen = new Map(this.view);
        opened();
      },
      (e) => {
        if (!this.opened) return opened(e);
        this.fail(e);
      },
    );
  }

  /** Subscribe, join, dump, apply what came during the dump: resolves with the watch. */
  static async open(dl: Devlink, events: DevlinkEvents, o: WatchPortsOptions = {}): Promise<PortWatch> {
    checkKeys(o, 'options', WATCH_PORTS_KEYS);
    const filter = o.dev !== undefined ? parseDevHandle(o.dev) : undefined;
    const signal = checkSignal(o.signal);
    const limit = o.limit ?? 65536;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new ValidationError('limit', 'expected a positive integer');
    let w!: PortWatch;
    const opened = new Promise<void>((resolve, reject) => {
      w = new PortWatch(dl, filter, limit, signal, (e) => (e === undefined ? resolve() : reject(e)));
    });
    w.sub = events.subscribe((n) => w.onNotice(n));
    try {
      signal?.throwIfAborted();
      await w.sub.ready;
      w.resync.start();
      await (signal ? raceAbort(opened, signal) : opened);
    } catch (e) {
      await w.close();
      throw e;
    }
    signal?.addEventListener('abort', w.onAbort, { once: true });
    return w;
  }

  /** The ports in view. */
  list(): DevlinkPort[] {
    return [...this.view.values()];
  }

  /** One port of the view by handle, or undefined. */
  get(handle: string): DevlinkPort | undefined {
    return this.view.get(handle);
  }

  /** How many ports the view holds. */
  get size(): number {
    return this.view.size;
  }

  private onNotice(n: DevlinkNotice): void {
    if (this.closed) return;
    if (n.kind === 'closed') return void this.close();
    if (this.resync.offer(n)) return;
    if (!this.opened) return; // before the first dump's mark: older than the dump
    if (n.kind === 'overrun') return this.resync.start();
    if (n.kind === 'malformed') {
      this.stats.malformed++;
      return this.resync.start();
    }
    const removed = n.kind === 'message' && n.cmd === Cmd.PORT_DEL;
    if (n.cmd !== Cmd.PORT_NEW && !removed && !(n.kind === 'observed' && n.cmd === Cmd.NEW)) return;
    if (n.attrs.portIndex === undefined) return;
    let port: DevlinkPort;
    try {
      port = portFrom(n.attrs);
    } catch {
      this.stats.malformed++;
      return this.resync.start();
    }
    if (this.filter && (port.bus !== this.filter.bus || port.dev !== this.filter.dev)) return;
    // an observation only refreshes a port in view: a reply that raced a delete must not revive it
    if (n.kind === 'observed' && !this.view.has(port.handle)) return;
    this.apply(port.handle, removed ? undefined : port);
  }

  /** One port's new state (undefined: gone), as a change. */
  private apply(handle: string, port: DevlinkPort | undefined): void {
    const prev = this.view.get(handle);
    if (port === undefined) {
      if (prev === undefined) return;
      this.view.delete(handle);
      return this.emit({ type: 'removed', port: prev });
    }
    if (prev !== undefined && isDeepStrictEqual(prev, port)) return;
    this.view.set(handle, port);
    this.emit(prev === undefined ? { type: 'added', port } : { type: 'updated', port, previous: prev });
  }

  /** A re-read view: the difference, as changes. */
  private replace(next: Map<string, DevlinkPort>): void {
    for (const h of [...this.view.keys()]) if (!next.has(h)) this.apply(h, undefined);
    for (const [h, p] of next) this.apply(h, p);
  }

  private emit(ch: PortChange): void {
    if (this.quiet) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      this.see(ch);
      return w({ value: ch, done: false });
    }
    if (this.coalesced) return;
    if (this.queue.length >= this.limit) {
      this.queue = [];
      this.coalesced = true;
      return;
    }
    this.queue.push(ch);
  }

  private see(ch: PortChange): void {
    if (ch.type === 'removed') this.seen.delete(ch.port.handle);
    else this.seen.set(ch.port.handle, ch.port);
  }

  /** The consumer was too far behind: what differs between what it saw and the view. */
  private catchUp(): void {
    this.coalesced = false;
    for (const [h, p] of this.seen) if (!this.view.has(h)) this.queue.push({ type: 'removed', port: p });
    for (const [h, p] of this.view) {
      const old = this.seen.get(h);
      if (old === undefined) this.queue.push({ type: 'added', port: p });
      else if (!isDeepStrictEqual(old, p)) this.queue.push({ type: 'updated', port: p, previous: old });
    }
  }

  private fail(e: unknown): void {
    this.failure = e;
    void this.close();
  }

  /** The next change (what `for await` calls). */
  next(): Promise<IteratorResult<PortChange>> {
    if (this.coalesced) this.catchUp();
    const ch = this.queue.shift();
    if (ch !== undefined) {
      this.see(ch);
      return Promise.resolve({ value: ch, done: false });
    }
    if (this.closed) {
      if (this.failure !== undefined) {
        const e = this.failure;
        this.failure = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new Error('PortWatch: next() called while a previous next() is pending'));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Iterate the changes; leaving the loop closes the watch. */
  [Symbol.asyncIterator](): AsyncIterator<PortChange> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** Stop watching: the subscription ends, a waiting iteration ends. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.sub?.close();
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (this.failure !== undefined) {
        // a waiting consumer gets the failure through its next() instead
        const e = this.failure;
        this.failure = undefined;
        w(Promise.reject(e));
      } else {
        w({ value: undefined, done: true });
      }
    }
  }
}

function raceAbort(p: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
