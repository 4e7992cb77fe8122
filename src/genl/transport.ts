/**
 * The transport: the one seam between the request engine and whatever carries its
 * datagrams. Three implementations serve it: the native addon's AF_NETLINK socket
 * (transport-native.ts), the `netlink` npm package's socket when the addon cannot load
 * (transport-fallback.ts), and the simulator's in-process endpoint (src/sim). The engine
 * never knows which one it runs on.
 *
 * Contract:
 * - `send` writes ONE datagram made of the given buffers (one or more whole netlink
 *   messages) to `peerPort`. It is synchronous and throws a Node-like error
 *   (`errno`, `code`, `syscall`) when the send fails.
 * - Received datagrams are handed to `handlers.message` whole (never truncated), each
 *   with the sender's port and the multicast group it came through (0 for unicast).
 *   A transport that reads into fixed-size slots (the native one in its bounded receive
 *   mode) may find a datagram cut short by the kernel: that one is never handed to
 *   `message`; `handlers.truncated` gets its first message's sequence number and its
 *   real length (a handler without `truncated` is told of an overrun instead: a
 *   datagram was lost either way).
 * - A datagram handed out with `borrowed` true is a view of the transport's receive area:
 *   its bytes are valid only until `message` returns (the next read reuses the area), so
 *   a handler that keeps any of them copies them. The native transport lends every
 *   datagram that fits its area: a 16,000-port dump is 57 datagrams of 32 KiB, and a copy
 *   of each is fresh memory, which in UML costs a page fault per 4 KiB (bench/README.md).
 * - `poll(until?)` drains, synchronously, whatever is already waiting. The kernel answers a
 *   generic netlink request inside the send system call, so calling `poll()` right after
 *   `send()` usually delivers the reply without a trip through the event loop. With
 *   `until`, draining stops as soon as it returns true (checked after each datagram):
 *   the engine stops once no request of its own is pending, saving the read that would
 *   only find the socket empty; anything still queued is delivered from the event loop.
 *   A transport that reads several datagrams per system call hands out all of them
 *   before checking `until`.
 *   Transports that cannot do this make `poll()` a no-op; delivery then happens from
 *   the event loop.
 * - A receive-buffer overrun (ENOBUFS on receive) is reported through `handlers.overrun`,
 *   after which the transport keeps running: some messages were lost, the socket is fine.
 * - Any other receive error goes to `handlers.error`; the transport is then unusable.
 * - `close()` is idempotent; after it nothing is delivered.
 */

import type { EveryKey } from './call-options';

/** Where a received datagram came from. */
export interface RecvInfo {
  /** Sender's netlink port id (nl_pid); 0 is the kernel. */
  readonly port: number;
  /** Multicast group the datagram was delivered through; 0 for unicast. */
  readonly group: number;
}

/** Where a truncated datagram came from, and the slot it did not fit. */
export interface TruncatedInfo extends RecvInfo {
  /** The receive slot's size: the datagram's first `slotSize` bytes were read, the rest lost. */
  readonly slotSize: number;
}

export interface TransportHandlers {
  message(datagram: Buffer, from: RecvInfo, borrowed?: boolean): void;
  /**
   * A datagram of `length` bytes did not fit its receive slot and the kernel cut it
   * short: in bounded mode, one longer than the slot; in exact mode, only one longer than
   * anything the kernel can build (so from a user-space sender). `seq` is its first
   * message's nlmsg_seq (the header is always read whole). Optional: transports that
   * never truncate never call it.
   */
  truncated?(seq: number, length: number, info: TruncatedInfo): void;
  overrun(): void;
  error(err: Error): void;
}

/** What the transport can do; the fallback cannot do most of it. */
export interface TransportFeatures {
  /** NETLINK_EXT_ACK is set: errors carry the kernel's message and offset. */
  readonly extAck: boolean;
  /** NETLINK_CAP_ACK is set: error replies do not echo our payload. */
  readonly capAck: boolean;
  /** NETLINK_GET_STRICT_CHK is set. */
  readonly strictCheck: boolean;
  /** The socket may live in another network namespace. */
  readonly netns: boolean;
}

export interface Transport {
  /** 'native', 'netlink-npm', 'sim', ... for diagnostics only. */
  readonly name: string;
  readonly features: TransportFeatures;
  /** Our own port id (nl_pid) once bound. */
  readonly localPort: number;
  /** Where requests go and whose unicast replies are accepted: 0 is the kernel. */
  readonly peerPort: number;
  /**
   * Where the sysfs of the kernel behind this transport is, when it is not '/sys' (the
   * simulator's tree): the SF lifecycle correlates auxiliary devices there.
   */
  readonly sysfsRoot?: string;
  /** Begin delivering datagrams to the handlers. Called once. */
  start(handlers: TransportHandlers): void;
  /** Send one datagram made of `buffers` to `peerPort`. Throws a Node-like error. */
  send(buffers: readonly Buffer[]): void;
  /** Synchronously deliver whatever is already queued, or until `until()` (may be a no-op). */
  poll(until?: () => boolean): void;
  /**
   * Optional: `send(buffers)`, then `sent()`, then `poll(until)`, where the transport can
   * do the send and the first read in one step. Throws as `send` does (then nothing went
   * out and `sent` is not called); once `sent` was called, whatever is thrown comes from
   * a handler, not from the send.
   */
  sendAndPoll?(buffers: readonly Buffer[], sent: () => void, until?: () => boolean): void;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  close(): void;
  /**
   * Optional: a new transport of the same kind whose socket is in the network namespace
   * at `netns` (a path: /var/run/netns/NAME, /proc/PID/ns/net), where the caller's own
   * kind of connection cannot be opened by path (the simulator's in-process endpoints).
   * Without it, a layer above opens a socket in the namespace (`{ netns }`).
   */
  openInNetns?(netns: string): Transport;
}

/** Options common to the transports that open a real socket. */
export interface SocketOptions {
  /** A network namespace given as a path: /var/run/netns/NAME or /proc/PID/ns/net. */
  readonly netns?: string;
  /** Netlink protocol; NETLINK_GENERIC (16) by default. */
  readonly protocol?: number;
  /** Receive buffer size in bytes (SO_RCVBUFFORCE when permitted, else SO_RCVBUF). */
  readonly rcvbuf?: number;
  /** Send buffer size in bytes. */
  readonly sndbuf?: number;
  /** Send requests to this port instead of the kernel and accept replies only from it. */
  readonly peerPort?: number;
  /**
   * How the native transport receives (the fallback and the simulator ignore this):
   * - 'exact' (default): nothing the kernel sends is ever truncated. Where the kernel's
   *   longest datagram is known (generic netlink from the kernel: PAGE_SIZE << (page
   *   orders - 1), 4 MiB on x86-64, from /proc/buddyinfo), up to 16 datagrams per system
   *   call (recvmmsg) into 64 KiB slots, each followed by a reserve of that length in
   *   address space only (mmap, MAP_NORESERVE: 64 MiB of it per socket, memory only
   *   while a longer datagram passes through). Otherwise, as 'peek'.
   * - 'peek': each datagram is peeked to learn its length, then read whole: two system
   *   calls per datagram, no reserve.
   * - 'bounded': up to 32 datagrams per system call, each into a slot of `maxDatagram`
   *   bytes and no reserve: a datagram longer than the slot is cut short by the kernel
   *   and lost. The request it answered then rejects with TruncatedError (it may have
   *   taken effect), a notification shows as an overrun, and the slot grows (doubling,
   *   up to 4 MiB) for what follows.
   * bench/foundation.ts measures the three.
   */
  readonly receive?: 'exact' | 'peek' | 'bounded';
  /**
   * Bounded mode's slot size in bytes: the longest datagram it reads whole. 64 KiB by
   * default, which holds anything the kernel sends a socket that offers it (dump
   * datagrams are at most 32 KiB); from 16 (NLMSG_HDRLEN) to 4 MiB. Bounded mode only.
   */
  readonly maxDatagram?: number;
}

/** SocketOptions' keys, for checking an options object's keys (checkKeys in src/attrs/options.ts). */
export const SOCKET_OPTION_KEYS = [
  'netns', 'protocol', 'rcvbuf', 'sndbuf', 'peerPort', 'receive', 'maxDatagram',
] as const satisfies readonly (keyof SocketOptions)[];
true satisfies EveryKey<SocketOptions, (typeof SOCKET_OPTION_KEYS)[number]>;
