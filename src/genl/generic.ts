/**
 * GenericNetlink: a connection plus family resolution (cached per connection), group
 * membership by name, and notifications. The devlink layer builds on it.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import { CALL_OPTION_KEYS, checkConnectionOptions, CONNECTION_OPTION_KEYS, EveryKey } from './call-options';
import { CallOptions, Connection, ConnectionOptions, DecodedRequestSpec, Notification } from './connection';
import { ENOENT_ERRNO } from './errno';
import { FamilyNotFoundError, KernelError, ProtocolError } from './errors';
import { decodeFamily, Family, getFamiliesRequest, getFamilyRequest, ctrlAttrs } from './nlctrl';
import { openSocketTransport } from './open-transport';
import { AsyncQueue } from './queue';
import { SOCKET_OPTION_KEYS, SocketOptions, Transport } from './transport';

export interface GenericNetlinkOptions extends ConnectionOptions {
  /** Open the socket in this network namespace (/var/run/netns/NAME or /proc/PID/ns/net). */
  readonly netns?: string;
  /** Run on this transport instead of opening a socket (the simulator's, or a test's). */
  readonly transport?: Transport;
  /** Socket options when the library opens the socket. */
  readonly socket?: Omit<SocketOptions, 'netns'>;
}

/**
 * GenericNetlinkOptions' keys: what GenericNetlink.open accepts. A layer above whose
 * options add keys of its own (Devlink.open adds `family`) checks its whole object with
 * checkKeys(opts, 'options', [...GENL_OPEN_KEYS, 'family']) and passes its own keys to
 * GenericNetlink.open as `layerKeys`, which are then let through unread.
 */
export const GENL_OPEN_KEYS = [...CONNECTION_OPTION_KEYS, 'netns', 'transport', 'socket'] as const;
true satisfies EveryKey<GenericNetlinkOptions, (typeof GENL_OPEN_KEYS)[number]>;

/** The keys of GenericNetlinkOptions.socket (the namespace is given as `netns` beside it). */
export const GENL_SOCKET_KEYS: readonly Exclude<keyof SocketOptions, 'netns'>[] = SOCKET_OPTION_KEYS.filter((k) => k !== 'netns');

export interface FamilyOptions extends CallOptions {
  /** Ask the kernel again instead of using this connection's cache. */
  readonly refresh?: boolean;
}

const FAMILY_OPTION_KEYS = [...CALL_OPTION_KEYS, 'refresh'] as const;
true satisfies EveryKey<FamilyOptions, (typeof FAMILY_OPTION_KEYS)[number]>;

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

  /**
   * Open a connection. The options are checked before any socket is opened (a
   * ValidationError names the field): their keys (GENL_OPEN_KEYS, and `layerKeys`: keys
   * a layer above added and checks itself), `socket`'s keys, the timeout and the
   * notification limit.
   */
  static async open(opts: GenericNetlinkOptions = {}, layerKeys: readonly string[] = []): Promise<GenericNetlink> {
    return new GenericNetlink(GenericNetlink.connect(opts, layerKeys));
  }

  /** Open the connection an open() call asks for (for subclasses), once the options are checked. */
  protected static connect(opts: GenericNetlinkOptions, layerKeys: readonly string[] = []): Connection {
    const o = checkKeys(opts, 'options', [...GENL_OPEN_KEYS, ...layerKeys]);
    checkConnectionOptions(o);
    checkKeys(o.socket, 'socket', GENL_SOCKET_KEYS);
    if (o.netns !== undefined && (typeof o.netns !== 'string' || o.netns === '')) {
      throw new ValidationError('netns', `must be the path of a network namespace (/var/run/netns/NAME), not ${describeValue(o.netns)}`);
    }
    if (o.transport && o.netns) {
      throw new ValidationError('netns', 'give either a transport or a netns, not both: a transport is already bound to its namespace');
    }
    const transport = o.transport ?? openSocketTransport({ ...o.socket, ...(o.netns ? { netns: o.netns } : {}) });
    return new Connection(transport, o);
  }

  /** Which transport this connection runs on: 'native', 'netlink-npm', 'sim', ... */
  get transportName(): string {
    return this.connection.transport.name;
  }

  /** Look up a family by name (cached per connection unless `refresh`). */
  family(name: string, opts?: FamilyOptions): Promise<Family> {
    try {
      checkKeys(opts, 'options', FAMILY_OPTION_KEYS);
    } catch (e) {
      return Promise.reject(e);
    }
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
        if (replies.length === 0) throw new ProtocolError(`nlctrl answered no family for "${name}"`);
        const f = decodeFamily(replies[0]);
        if (f.name !== name) throw new ProtocolError(`nlctrl was asked for family "${name}" and described "${f.name}"`);
        return f;
      },
      onError: forget,
    };
    return l;
  }

  /** Every family the kernel has. */
  async families(opts: CallOptions = {}): Promise<Family[]> {
    checkKeys(opts, 'options', CALL_OPTION_KEYS);
    return this.connection.dumpDecoded({ ...opts, msg: getFamiliesRequest(), op: 'nlctrl getfamily dump', attrs: ctrlAttrs, each: decodeFamily });
  }

  /** Join a family's multicast group by name; returns the group id. Joins are counted per connection. */
  async joinGroup(family: string, group: string, opts: CallOptions = {}): Promise<number> {
    const f = await this.family(family, opts);
    const g = f.groups.find((x) => x.name === group);
    if (!g) {
      throw new ValidationError('group', `family ${family} has no multicast group "${group}" (it has: ${f.groups.map((x) => x.name).join(', ') || 'none'})`);
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
