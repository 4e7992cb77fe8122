/**
 * The transport on the native addon's AF_NETLINK socket: ext-ack, capped acks, strict
 * checking, network namespaces, and a synchronous `poll()` that picks up the kernel's
 * reply right after `send()`.
 *
 * Two receive modes (SocketOptions.receive):
 * - exact (the default): nothing the kernel sends is ever truncated. Where the longest
 *   datagram the kernel can build is known (generic netlink from the kernel: one
 *   allocation of at most PAGE_SIZE << (page orders - 1), 4 MiB on x86-64, read from
 *   /proc/buddyinfo), recvmmsg() reads up to EXACT_BATCH datagrams per system call into
 *   64 KiB slots, each followed by a reserve of address space (mmap, MAP_NORESERVE) that
 *   holds the rest of a longer one: one system call per batch. Otherwise (unknown
 *   limit, another protocol, a user-space peer, no address space) each datagram is
 *   peeked to learn its length, then read whole: two system calls per datagram.
 * - bounded: recvmmsg() reads up to BOUNDED_BATCH datagrams per system call into
 *   fixed-size slots, no reserve. One longer than its slot is cut short by the kernel:
 *   it is never decoded but reported to handlers.truncated, and the slots grow for
 *   later reads (for datagrams from the peer: a stranger cannot make them grow).
 */
import * as fs from 'node:fs';
import { NetlinkError, ValidationError } from '../attrs/errors';
import { loadAddon, addonLoadError } from './addon';
import type { AddonConstants, NativeSocket } from './addon';
import { NLH_SEQ } from './header-offsets';
import { isSystemError, systemError } from './sockerr';
import type { RecvInfo, SocketOptions, Transport, TransportFeatures, TransportHandlers } from './transport';

/** NETLINK_GENERIC in <linux/netlink.h>. */
export const NETLINK_GENERIC = 16;

/**
 * Default receive buffer. Many replies may be in flight at once (the engine pipelines
 * requests), and a dump fills the queue with 32 KiB datagrams; the kernel's usual
 * 208 KiB would overrun.
 */
export const DEFAULT_RCVBUF = 1 << 20;

/**
 * Datagrams up to this size are read in one go (and copied out); longer ones take a
 * second read straight into a Buffer of their size. The kernel's dump datagrams are
 * at most 32 KiB, and it uses that size only for a reader offering as much.
 */
const RECV_AREA_SIZE = 64 * 1024;

/** Bounded mode: the default slot size, SocketOptions.maxDatagram. */
export const DEFAULT_MAX_DATAGRAM = 64 * 1024;
/** Bounded mode: slots grow up to this size after a truncation; maxDatagram's ceiling too. */
export const MAX_SLOT_SIZE = 4 * 1024 * 1024;
/** NLMSG_HDRLEN: a slot always holds a truncated datagram's first header whole. */
const MIN_SLOT_SIZE = 16;
/** Bounded mode: at most this many datagrams per recvmmsg(). */
const BOUNDED_BATCH = 32;
/** Bounded mode: the slots take about this much memory; larger slots, fewer of them. */
const SLOT_AREA_BYTES = 2 * 1024 * 1024;
/** Exact mode with reserves: datagrams per recvmmsg(), each with a slot and a reserve. */
const EXACT_BATCH = 16;
/** Exact mode with reserves: the slot size; longer datagrams spill into the reserve. */
const EXACT_SLOT_SIZE = 64 * 1024;

/** How a NativeTransport receives: see the top of this file. */
export type ReceiveStrategy = 'exact-batched' | 'exact-peek' | 'bounded';

/**
 * The longest datagram the kernel can build for a netlink socket, in bytes: the data of
 * a kernel socket buffer is one allocation, at most one block of the largest page order
 * the buddy allocator has (PAGE_SIZE << (orders - 1)). /proc/buddyinfo lists free blocks
 * per order, one column each. Undefined when that cannot be read.
 */
export function kernelMaxDatagram(pageSize: number | undefined, buddyinfo = BUDDYINFO): number | undefined {
  if (pageSize === undefined || !Number.isInteger(pageSize) || pageSize <= 0) return undefined;
  // the page orders do not change while the system runs: /proc/buddyinfo is read once
  if (buddyinfo === BUDDYINFO && pageOrders === undefined) pageOrders = pageOrdersIn(buddyinfo);
  const orders = buddyinfo === BUDDYINFO ? pageOrders! : pageOrdersIn(buddyinfo);
  return orders === null ? undefined : pageSize * 2 ** (orders - 1);
}

const BUDDYINFO = '/proc/buddyinfo';
/** This system's page orders (from /proc/buddyinfo): unread yet, or null when unknown. */
let pageOrders: number | null | undefined;

/** How many page orders a buddyinfo file lists (the most columns of counts on a zone), or null. */
function pageOrdersIn(buddyinfo: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(buddyinfo, 'utf8');
  } catch {
    return null;
  }
  let orders = 0;
  for (const line of text.split('\n')) {
    // "Node 0, zone   Normal   1722    713 ...": the counts after the zone's name
    const m = /zone\s+\S+\s+(.*)$/.exec(line);
    if (m) orders = Math.max(orders, m[1].trim().split(/\s+/).length);
  }
  return orders < 1 || orders > 20 ? null : orders;
}

/** Bounded mode's receive slots, as given to the addon's setRecvSlots(). */
interface Slots {
  /** Bytes per slot. */
  readonly size: number;
  readonly count: number;
  /** `count` slots of `size` bytes. */
  readonly area: Buffer;
  /** Per slot, written by recvmmsg(): [length, sender port, group, flags]. */
  readonly meta: Uint32Array;
}

function makeSlots(size: number, count = Math.max(1, Math.min(BOUNDED_BATCH, Math.floor(SLOT_AREA_BYTES / size)))): Slots {
  return { size, count, area: Buffer.allocUnsafeSlow(size * count), meta: new Uint32Array(4 * count) };
}

/** The slot size the options ask for, or undefined for exact mode; refuses nonsense. */
function slotSizeOf(opts: SocketOptions): number | undefined {
  const mode = opts.receive ?? 'exact';
  if (mode !== 'exact' && mode !== 'peek' && mode !== 'bounded') {
    throw new ValidationError('socket.receive', `must be 'exact', 'peek' or 'bounded', not ${JSON.stringify(mode)}`);
  }
  if (mode !== 'bounded') return undefined;
  const size = opts.maxDatagram ?? DEFAULT_MAX_DATAGRAM;
  if (!Number.isInteger(size) || size < MIN_SLOT_SIZE || size > MAX_SLOT_SIZE) {
    throw new ValidationError('socket.maxDatagram', `must be a whole number of bytes from ${MIN_SLOT_SIZE} (NLMSG_HDRLEN) to ${MAX_SLOT_SIZE}, not ${size}`);
  }
  return size;
}

export class NativeTransport implements Transport {
  readonly name = 'native';
  private handlers: TransportHandlers | null = null;
  private closed = false;
  private draining = false;
  /** Reused for the common case, a unicast datagram from our peer. */
  private readonly fromPeer: RecvInfo;

  private constructor(
    private readonly sock: NativeSocket,
    private readonly consts: AddonConstants,
    /** Written by the addon on every receive: [0] sender port, [1] group. */
    private readonly info: Uint32Array,
    /** Where the addon puts each datagram that fits (exact mode). */
    private readonly area: Buffer,
    /** The slots recvmmsg() reads into; null when each datagram is peeked. */
    private slots: Slots | null,
    /** Bytes of reserve after each slot (exact mode with reserves); 0 in bounded mode. */
    private readonly reserve: number,
    readonly features: TransportFeatures,
    readonly localPort: number,
    readonly peerPort: number,
  ) {
    this.fromPeer = Object.freeze({ port: peerPort, group: 0 });
  }

  /** Opens, configures and binds a socket; throws a Node-like error on failure. */
  static open(opts: SocketOptions = {}): NativeTransport {
    const addon = loadAddon();
    if (addon === null) {
      const why = addonLoadError();
      throw new NetlinkError(`the native netlink addon is not available${why ? `: ${why.message}` : ''}`, { cause: why ?? undefined });
    }
    const c = addon.constants;
    const slotSize = slotSizeOf(opts);
    const info = new Uint32Array(2);
    const area = Buffer.allocUnsafeSlow(RECV_AREA_SIZE);
    const sock = new addon.NetlinkSocket(opts.protocol ?? NETLINK_GENERIC, opts.netns ?? null, info, area);
    try {
      const features: TransportFeatures = Object.freeze({
        extAck: trySetInt(sock, c.SOL_NETLINK, c.NETLINK_EXT_ACK, 1),
        capAck: trySetInt(sock, c.SOL_NETLINK, c.NETLINK_CAP_ACK, 1),
        strictCheck: trySetInt(sock, c.SOL_NETLINK, c.NETLINK_GET_STRICT_CHK, 1),
        netns: true,
      });
      // The group number of multicast datagrams (also those above group 32).
      trySetInt(sock, c.SOL_NETLINK, c.NETLINK_PKTINFO, 1);
      setBuffer(sock, c.SOL_SOCKET, c.SO_RCVBUFFORCE, c.SO_RCVBUF, opts.rcvbuf ?? DEFAULT_RCVBUF);
      if (opts.sndbuf !== undefined) setBuffer(sock, c.SOL_SOCKET, c.SO_SNDBUFFORCE, c.SO_SNDBUF, opts.sndbuf);
      sock.bind(0, 0);
      const { port } = sock.getsockname();
      const peerPort = opts.peerPort ?? 0;
      let slots: Slots | null = null;
      let reserve = 0;
      if (slotSize !== undefined) {
        slots = makeSlots(slotSize);
        sock.setRecvSlots(slots.area, slots.size, slots.meta);
      } else if (opts.receive !== 'peek') {
        // exact: batched with reserves where the kernel's longest datagram is known
        const max = (opts.protocol ?? NETLINK_GENERIC) === NETLINK_GENERIC && peerPort === 0 ? kernelMaxDatagram(c.PAGE_SIZE) : undefined;
        if (max !== undefined && max > EXACT_SLOT_SIZE && typeof sock.readReserve === 'function') {
          const s = makeSlots(EXACT_SLOT_SIZE, EXACT_BATCH);
          try {
            sock.setRecvSlots(s.area, s.size, s.meta, max - EXACT_SLOT_SIZE);
            slots = s;
            reserve = max - EXACT_SLOT_SIZE;
          } catch {
            // no address space for the reserves (RLIMIT_AS, strict overcommit): peek instead
          }
        }
      }
      return new NativeTransport(sock, c, info, area, slots, reserve, features, port, peerPort);
    } catch (err) {
      sock.close();
      throw err;
    }
  }

  start(handlers: TransportHandlers): void {
    if (this.closed) return;
    if (this.handlers !== null) throw new Error('NativeTransport.start() was already called');
    this.handlers = handlers;
    this.sock.start((err) => {
      if (err) this.fail(err);
      else this.poll();
    });
  }

  send(buffers: readonly Buffer[]): void {
    // After close() the descriptor is -1 and this throws "sendmsg EBADF".
    this.sock.sendmsg(buffers, this.peerPort, 0);
  }

  /** One buffer with the slots: the send and the first read in one call into the addon. */
  sendAndPoll(buffers: readonly Buffer[], sent: () => void, until?: () => boolean): void {
    if (buffers.length !== 1 || this.slots === null || this.sock.sendRecv === undefined || this.handlers === null || this.draining) {
      this.send(buffers);
      sent();
      this.poll(until);
      return;
    }
    const n = this.sock.sendRecv(buffers[0], this.peerPort, this.slots.count);
    sent();
    this.drain(until, n);
  }

  poll(until?: () => boolean): void {
    this.drain(until, undefined);
  }

  /** Deliver what is queued; `first` is what sendRecv() already read into the slots. */
  private drain(until: (() => boolean) | undefined, first: number | undefined): void {
    const handlers = this.handlers;
    // A handler calling poll() again: the loop below is already draining.
    if (handlers === null || this.closed || this.draining) return;
    this.draining = true;
    try {
      if (this.slots === null) this.drainPeek(handlers, until);
      else this.drainSlots(handlers, until, first);
    } finally {
      this.draining = false;
    }
  }

  /** The slot size recvmmsg() reads into (bounded mode's grows after a truncation); undefined when peeking. */
  receiveSlotSize(): number | undefined {
    return this.slots?.size;
  }

  /** How this transport receives (see the top of the file). */
  get receiveStrategy(): ReceiveStrategy {
    if (this.slots === null) return 'exact-peek';
    return this.reserve > 0 ? 'exact-batched' : 'bounded';
  }

  addMembership(group: number): void {
    this.sock.setsockopt(this.consts.SOL_NETLINK, this.consts.NETLINK_ADD_MEMBERSHIP, group);
  }

  dropMembership(group: number): void {
    this.sock.setsockopt(this.consts.SOL_NETLINK, this.consts.NETLINK_DROP_MEMBERSHIP, group);
  }

  /** The socket's SO_RCVBUF as the kernel reports it (twice what was asked, for bookkeeping). */
  receiveBufferSize(): number {
    return this.sock.getsockopt(this.consts.SOL_SOCKET, this.consts.SO_RCVBUF);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }

  private drainPeek(handlers: TransportHandlers, until: (() => boolean) | undefined): void {
    for (;;) {
      let datagram: Buffer | null;
      try {
        datagram = this.receive();
      } catch (err) {
        if (this.receiveFailed(handlers, err)) continue;
        return;
      }
      if (datagram === null) return;
      handlers.message(datagram, this.from(), datagram.buffer === this.area.buffer);
      // the event loop's readiness callback (level-triggered) picks up the rest
      if (this.closed || until?.()) return;
    }
  }

  /**
   * Batches of datagrams, each handed out whole (lent from its slot, which the next batch
   * reuses, or copied out when it spilled into the reserve) before `until` is asked. A batch that did not fill every slot emptied
   * the queue: no read to find it empty (an error met after some datagrams waits in the
   * socket, and wakes the event loop).
   */
  private drainSlots(handlers: TransportHandlers, until: (() => boolean) | undefined, first?: number): void {
    for (;;) {
      const slots = this.slots!;
      let n: number;
      if (first !== undefined) {
        // sendRecv() read the first batch already (or failed to: -errno)
        n = first;
        first = undefined;
        if (n < 0) {
          if (this.receiveFailed(handlers, systemError(-n, 'recvmmsg'))) continue;
          return;
        }
      } else {
        try {
          n = this.sock.recvmmsg(slots.count);
        } catch (err) {
          if (this.receiveFailed(handlers, err)) continue;
          return;
        }
      }
      let longest = 0;
      for (let i = 0; i < n; i++) {
        const length = slots.meta[4 * i];
        const port = slots.meta[4 * i + 1];
        const group = slots.meta[4 * i + 2];
        const start = i * slots.size;
        if (slots.meta[4 * i + 3] & this.consts.RECV_TRUNCATED) {
          // Only our peer's datagrams make the slots grow: a stranger's are dropped anyway.
          if (port === this.peerPort) longest = Math.max(longest, length);
          const seq = slots.area.readUInt32LE(start + NLH_SEQ);
          if (handlers.truncated) handlers.truncated(seq, length, { port, group, slotSize: slots.size });
          else handlers.overrun();
        } else if (length <= slots.size) {
          // lent: the next recvmmsg() reads into this slot again, and none runs before message() returns (draining)
          handlers.message(slots.area.subarray(start, start + length), this.fromOf(port, group), true);
        } else {
          // longer than the slot, whole: the rest spilled into the slot's reserve
          const datagram = Buffer.allocUnsafe(length);
          slots.area.copy(datagram, 0, start, start + slots.size);
          this.sock.readReserve(i, datagram, slots.size);
          handlers.message(datagram, this.fromOf(port, group));
        }
        if (this.closed) return;
      }
      if (longest > 0 && this.reserve === 0) this.growSlots(longest);
      if (n < slots.count || until?.()) return;
    }
  }

  /** Slots for datagrams of `length` bytes: doubled until they fit, up to MAX_SLOT_SIZE. */
  private growSlots(length: number): void {
    let size = this.slots!.size;
    while (size < length && size < MAX_SLOT_SIZE) size = Math.min(size * 2, MAX_SLOT_SIZE);
    if (size === this.slots!.size) return;
    const slots = makeSlots(size);
    this.sock.setRecvSlots(slots.area, slots.size, slots.meta);
    this.slots = slots;
  }

  /** A receive threw: an overrun is reported and reading goes on (true); anything else closes the transport (false). */
  private receiveFailed(handlers: TransportHandlers, err: unknown): boolean {
    if (this.closed) return false;
    if (isSystemError(err, 'ENOBUFS')) {
      handlers.overrun();
      return !this.closed;
    }
    this.fail(err instanceof Error ? err : new Error(String(err)));
    return false;
  }

  /** One whole datagram: a view of the receive area (lent: the next read reuses it), or a Buffer of its own when longer; null when none is queued. */
  private receive(): Buffer | null {
    const length = this.sock.recvmsg();
    if (length < 0) return null;
    if (length <= this.area.length) return this.area.subarray(0, length);
    const datagram = Buffer.allocUnsafeSlow(length);
    return this.sock.recvmsgInto(datagram) < 0 ? null : datagram;
  }

  private from(): RecvInfo {
    return this.fromOf(this.info[0], this.info[1]);
  }

  private fromOf(port: number, group: number): RecvInfo {
    return port === this.peerPort && group === 0 ? this.fromPeer : { port, group };
  }

  /** A receive error other than an overrun: the transport is closed, then told. */
  private fail(err: Error): void {
    const handlers = this.handlers;
    this.close();
    handlers?.error(err);
  }
}

function trySetInt(sock: NativeSocket, level: number, name: number, value: number): boolean {
  try {
    sock.setsockopt(level, name, value);
    return true;
  } catch {
    return false;
  }
}

/** SO_RCVBUFFORCE / SO_SNDBUFFORCE go past net.core.[rw]mem_max but need CAP_NET_ADMIN. */
function setBuffer(sock: NativeSocket, level: number, force: number, plain: number, bytes: number): void {
  if (!trySetInt(sock, level, force, bytes)) sock.setsockopt(level, plain, bytes);
}
