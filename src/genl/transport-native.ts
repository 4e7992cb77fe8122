/**
 * The transport on the native addon's AF_NETLINK socket: ext-ack, capped acks, strict
 * checking, network namespaces, and a synchronous `poll()` that picks up the kernel's
 * reply right after `send()`.
 */
import { NetlinkError } from '../attrs/errors';
import { loadAddon, addonLoadError } from './addon';
import type { AddonConstants, NativeSocket } from './addon';
import { isSystemError } from './sockerr';
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
    /** Where the addon puts each datagram that fits. */
    private readonly area: Buffer,
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
      return new NativeTransport(sock, c, info, area, features, port, opts.peerPort ?? 0);
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

  poll(until?: () => boolean): void {
    const handlers = this.handlers;
    // A handler calling poll() again: the loop below is already draining.
    if (handlers === null || this.closed || this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        let datagram: Buffer | null;
        try {
          datagram = this.receive();
        } catch (err) {
          if (this.closed) return;
          if (isSystemError(err, 'ENOBUFS')) {
            handlers.overrun();
            if (this.closed) return;
            continue;
          }
          this.fail(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (datagram === null) return;
        handlers.message(datagram, this.from());
        // the event loop's readiness callback (level-triggered) picks up the rest
        if (this.closed || until?.()) return;
      }
    } finally {
      this.draining = false;
    }
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

  /** One whole datagram in a Buffer of its own, or null when none is queued. */
  private receive(): Buffer | null {
    const length = this.sock.recvmsg();
    if (length < 0) return null;
    if (length <= this.area.length) {
      const datagram = Buffer.allocUnsafe(length);
      this.area.copy(datagram, 0, 0, length);
      return datagram;
    }
    const datagram = Buffer.allocUnsafeSlow(length);
    return this.sock.recvmsgInto(datagram) < 0 ? null : datagram;
  }

  private from(): RecvInfo {
    const port = this.info[0];
    const group = this.info[1];
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
