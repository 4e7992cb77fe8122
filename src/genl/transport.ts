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
 * - `poll(until?)` drains, synchronously, whatever is already waiting. The kernel answers a
 *   generic netlink request inside the send system call, so calling `poll()` right after
 *   `send()` usually delivers the reply without a trip through the event loop. With
 *   `until`, draining stops as soon as it returns true (checked after each datagram):
 *   the engine stops once no request of its own is pending, saving the read that would
 *   only find the socket empty; anything still queued is delivered from the event loop.
 *   Transports that cannot do this make `poll()` a no-op; delivery then happens from
 *   the event loop.
 * - A receive-buffer overrun (ENOBUFS on receive) is reported through `handlers.overrun`,
 *   after which the transport keeps running: some messages were lost, the socket is fine.
 * - Any other receive error goes to `handlers.error`; the transport is then unusable.
 * - `close()` is idempotent; after it nothing is delivered.
 */

/** Where a received datagram came from. */
export interface RecvInfo {
  /** Sender's netlink port id (nl_pid); 0 is the kernel. */
  readonly port: number;
  /** Multicast group the datagram was delivered through; 0 for unicast. */
  readonly group: number;
}

export interface TransportHandlers {
  message(datagram: Buffer, from: RecvInfo): void;
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
  /** Begin delivering datagrams to the handlers. Called once. */
  start(handlers: TransportHandlers): void;
  /** Send one datagram made of `buffers` to `peerPort`. Throws a Node-like error. */
  send(buffers: readonly Buffer[]): void;
  /** Synchronously deliver whatever is already queued, or until `until()` (may be a no-op). */
  poll(until?: () => boolean): void;
  addMembership(group: number): void;
  dropMembership(group: number): void;
  close(): void;
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
}
