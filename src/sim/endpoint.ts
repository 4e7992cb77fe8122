/**
 * The in-process transport: a client endpoint that behaves like a netlink socket bound
 * to the simulated kernel. `send` runs the kernel's receive path synchronously (as the
 * send system call does) and queues the answers; `poll` delivers what is queued;
 * notifications and late replies are delivered from the event loop. Datagrams are
 * delivered in order, each a Buffer of its own, never after close().
 *
 * The endpoint acts as a socket with NETLINK_EXT_ACK and NETLINK_CAP_ACK set.
 */
import type { RecvInfo, Transport, TransportFeatures, TransportHandlers } from '../genl/transport';
import type { GenlKernel, Requester } from './genl';
import type { Scheduler } from './scheduler';

type Item = { readonly dgram: Buffer; readonly from: RecvInfo } | { readonly overrun: true };

const FROM_KERNEL: RecvInfo = Object.freeze({ port: 0, group: 0 });

/** A copy with memory of its own (not a slice of Buffer's shared pool). */
function own(d: Buffer): Buffer {
  const b = Buffer.allocUnsafeSlow(d.length);
  d.copy(b);
  return b;
}

/** What an endpoint needs from its simulator. */
export interface EndpointHost {
  readonly kernel: GenlKernel;
  readonly sched: Scheduler;
  detach(ep: SimEndpoint): void;
  /** Another endpoint like `ep`, in the namespace at `netns` (a path). */
  openInNetns(ep: SimEndpoint, netns: string): SimEndpoint;
}

function closedError(): Error {
  const e = new Error('sendmsg EBADF') as Error & { errno: number; code: string; syscall: string };
  e.errno = -9;
  e.code = 'EBADF';
  e.syscall = 'sendmsg';
  return e;
}

export class SimEndpoint implements Transport, Requester {
  readonly name = 'sim';
  readonly features: TransportFeatures = Object.freeze({ extAck: true, capAck: true, strictCheck: true, netns: false });
  readonly peerPort = 0;
  readonly origin = 'local' as const;
  private handlers: TransportHandlers | null = null;
  private readonly queue: Item[] = [];
  private readonly groups = new Set<number>();
  private closed = false;
  private draining = false;
  private release: (() => void) | undefined;
  /** Notifications still to lose to an injected overrun. */
  loseNext = 0;

  constructor(
    private readonly host: EndpointHost,
    readonly localPort: number,
    readonly privileged: boolean,
    /** The simulator's sysfs tree, for the lifecycle's correlation (Transport.sysfsRoot). */
    readonly sysfsRoot?: string,
    /** Its network namespace ("net:[INODE]", netns.ts) when not the simulator's own. */
    readonly netns?: string,
  ) {}

  /** An endpoint in the namespace at `netns`, which sees the instances reloaded there (netns.ts). */
  openInNetns(netns: string): Transport {
    if (this.closed) throw closedError();
    return this.host.openInNetns(this, netns);
  }

  get port(): number {
    return this.localPort;
  }

  start(handlers: TransportHandlers): void {
    if (this.closed) return;
    if (this.handlers) throw new Error('SimEndpoint.start() was already called');
    this.handlers = handlers;
    if (this.queue.length > 0) this.schedule();
  }

  send(buffers: readonly Buffer[]): void {
    if (this.closed) throw closedError();
    // one datagram, copied: the kernel owns what it received
    this.host.kernel.receive(Buffer.concat(buffers as Buffer[]), this);
  }

  poll(): void {
    const h = this.handlers;
    if (!h || this.closed || this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const item = this.queue.shift() as Item;
        if ('overrun' in item) h.overrun();
        else h.message(item.dgram, item.from);
      }
    } finally {
      this.draining = false;
    }
    this.releaseHold();
  }

  addMembership(group: number): void {
    if (this.closed) throw closedError();
    this.groups.add(group);
  }

  dropMembership(group: number): void {
    this.groups.delete(group);
  }

  /** Subscribed to `group`. */
  member(group: number): boolean {
    return this.groups.has(group);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.groups.clear();
    this.releaseHold();
    this.host.detach(this);
  }

  /** A unicast datagram from the kernel (a reply, an ACK, a dump part). */
  unicast(dgram: Buffer): void {
    this.push({ dgram: own(dgram), from: FROM_KERNEL });
  }

  /** A notification on `group`; lost (and reported as an overrun) while an overrun is injected. */
  multicast(dgram: Buffer, group: number): void {
    if (this.closed || !this.groups.has(group)) return;
    if (this.loseNext > 0) {
      this.loseNext--;
      const last = this.queue[this.queue.length - 1];
      if (!last || !('overrun' in last)) this.push({ overrun: true });
      return;
    }
    this.push({ dgram: own(dgram), from: { port: 0, group } });
  }

  private push(item: Item): void {
    if (this.closed) return;
    this.queue.push(item);
    this.schedule();
  }

  /** Deliver from the event loop what nobody polled for. */
  private schedule(): void {
    if (!this.handlers || this.release) return;
    this.release = this.host.sched.hold();
    setImmediate(() => this.poll());
  }

  private releaseHold(): void {
    if (this.queue.length > 0 && !this.closed) return;
    const r = this.release;
    this.release = undefined;
    r?.();
  }
}
