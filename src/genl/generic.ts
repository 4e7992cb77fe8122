/**
 * GenericNetlink: a connection plus family resolution (cached per connection), group
 * membership by name, and notifications. The devlink layer builds on it.
 */
import { NetlinkError } from '../attrs/errors';
import { CallOptions, Connection, ConnectionOptions, DecodedRequestSpec, Notification } from './connection';
import { ENOENT_ERRNO } from './errno';
import { FamilyNotFoundError, KernelError } from './errors';
import { decodeFamily, Family, getFamiliesRequest, getFamilyRequest, ctrlAttrs } from './nlctrl';
import { openSocketTransport } from './open-transport';
import { AsyncQueue } from './queue';
import { SocketOptions, Transport } from './transport';

export interface GenericNetlinkOptions extends ConnectionOptions {
  /** Open the socket in this network namespace (/var/run/netns/NAME or /proc/PID/ns/net). */
  readonly netns?: string;
  /** Run on this transport instead of opening a socket (the simulator's, or a test's). */
  readonly transport?: Transport;
  /** Socket options when the library opens the socket. */
  readonly socket?: Omit<SocketOptions, 'netns'>;
}

export interface FamilyOptions extends CallOptions {
  /** Ask the kernel again instead of using this connection's cache. */
  readonly refresh?: boolean;
}

/** A family name's GETFAMILY request, with what to make of the answer, and its failures so far. */
interface Lookup extends DecodedRequestSpec<Family> {
  failures: number;
}

export class GenericNetlink {
  private readonly families_ = new Map<string, Promise<Family>>();
  private readonly memberships = new Map<number, number>();
  /** Per family name: its GETFAMILY request and what to do with the answer, built once. */
  private readonly lookups = new Map<string, Lookup>();

  protected constructor(readonly connection: Connection) {}

  static async open(opts: GenericNetlinkOptions = {}): Promise<GenericNetlink> {
    return new GenericNetlink(GenericNetlink.connect(opts));
  }

  /** Open the connection an open() call asks for (for subclasses). */
  protected static connect(opts: GenericNetlinkOptions): Connection {
    if (opts.transport && opts.netns) {
      throw new NetlinkError('give either a transport or a netns, not both: a transport is already bound to its namespace');
    }
    const transport = opts.transport ?? openSocketTransport({ ...opts.socket, ...(opts.netns ? { netns: opts.netns } : {}) });
    return new Connection(transport, opts);
  }

  /** Which transport this connection runs on: 'native', 'netlink-npm', 'sim', ... */
  get transportName(): string {
    return this.connection.transport.name;
  }

  /** Look up a family by name (cached per connection unless `refresh`). */
  family(name: string, opts?: FamilyOptions): Promise<Family> {
    if (!opts?.refresh) {
      const cached = this.families_.get(name);
      if (cached) return cached;
    }
    // everything about a name's lookup but the sequence number (which the engine stamps
    // into its own copy) is built once
    let l = this.lookups.get(name);
    if (l === undefined) {
      l = this.makeLookup(name);
      this.lookups.set(name, l);
    }
    const failures = l.failures;
    const p = this.lookup(l, opts);
    // not cached when it failed at once (a closed connection, an aborted signal)
    if (l.failures === failures) this.families_.set(name, p);
    return p;
  }

  private lookup(l: Lookup, opts: CallOptions | undefined): Promise<Family> {
    let spec: DecodedRequestSpec<Family> = l;
    if (opts !== undefined && (opts.timeoutMs !== undefined || opts.signal !== undefined)) {
      spec = { ...spec, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.signal !== undefined ? { signal: opts.signal } : {}) };
    }
    return this.connection.requestDecoded(spec);
  }

  private makeLookup(name: string): Lookup {
    // a failed lookup leaves the cache (a newer one under way for the name is dropped
    // with it: the next family() call asks again)
    const forget = (): void => {
      l.failures++;
      this.families_.delete(name);
    };
    const l: Lookup = {
      failures: 0,
      msg: getFamilyRequest(name),
      op: 'nlctrl getfamily',
      attrs: ctrlAttrs,
      oneReply: true,
      makeError: (info) => (info.errno === ENOENT_ERRNO ? new FamilyNotFoundError(name, info) : new KernelError(info)),
      decode: (replies) => {
        if (replies.length === 0) throw new NetlinkError(`nlctrl answered no family for "${name}"`);
        return decodeFamily(replies[0]);
      },
      onError: forget,
    };
    return l;
  }

  /** Every family the kernel has. */
  async families(opts: CallOptions = {}): Promise<Family[]> {
    const replies = await this.connection.dump({ ...opts, msg: getFamiliesRequest(), op: 'nlctrl getfamily dump', attrs: ctrlAttrs });
    return replies.map(decodeFamily);
  }

  /** Join a family's multicast group by name; returns the group id. Joins are counted per connection. */
  async joinGroup(family: string, group: string, opts: CallOptions = {}): Promise<number> {
    const f = await this.family(family, opts);
    const g = f.groups.find((x) => x.name === group);
    if (!g) {
      throw new NetlinkError(`family ${family} has no multicast group "${group}" (it has: ${f.groups.map((x) => x.name).join(', ') || 'none'})`);
    }
    this.joinGroupId(g.id);
    return g.id;
  }

  /**
   * Join a group by id, at once (the caller knows the id from its family): nothing the
   * kernel multicasts after this returns is missed. Counted like joinGroup.
   */
  joinGroupId(id: number): void {
    const n = this.memberships.get(id) ?? 0;
    if (n === 0) this.connection.transport.addMembership(id);
    this.memberships.set(id, n + 1);
  }

  /** Undo one joinGroup; the socket leaves the group when the last join is undone. */
  leaveGroup(groupId: number): void {
    const n = this.memberships.get(groupId) ?? 0;
    if (n <= 0) return;
    if (n === 1) {
      this.memberships.delete(groupId);
      if (!this.connection.closed) this.connection.transport.dropMembership(groupId);
    } else {
      this.memberships.set(groupId, n - 1);
    }
  }

  /** Notifications (sequence 0 or multicast) as an async iterable; overruns arrive as { kind: 'overrun' }. */
  notifications(): AsyncQueue<Notification> {
    return this.connection.subscribe();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
