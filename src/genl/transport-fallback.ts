/**
 * The transport used when the native addon cannot load: the `netlink` npm package's
 * RawNetlinkSocket (it ships prebuilt binaries). It cannot set NETLINK_EXT_ACK,
 * NETLINK_CAP_ACK or NETLINK_GET_STRICT_CHK, nor open a socket in another network
 * namespace, and it only receives from the event loop, so `poll()` is a no-op.
 *
 * Its send reports errors through a callback, after the datagram went out (or failed)
 * synchronously; a send error therefore reaches `handlers.error` instead of being
 * thrown by `send()`.
 *
 * Known limitation of netlink@0.3.0: when its receive buffer overruns while the event
 * loop is polling it, libuv reports POLLERR as a poll error and the package's handler
 * for that throws a C++ exception, which aborts the process. Only an ENOBUFS met
 * inside its own receive loop arrives here (as an overrun). The default receive buffer
 * is large to make overruns unlikely (the kernel caps SO_RCVBUF at net.core.rmem_max).
 */
import type { RawNetlinkSocket, MessageInfo } from 'netlink';
import { DEFAULT_RCVBUF, NETLINK_GENERIC } from './transport-native';
import { fromPackageError, systemError, TransportFeatureError } from './sockerr';
import type { RecvInfo, SocketOptions, Transport, TransportFeatures, TransportHandlers } from './transport';
import { constants as osConstants } from 'node:os';
import { NetlinkError } from '../attrs/errors';

type NetlinkPackage = typeof import('netlink');

const FEATURES: TransportFeatures = Object.freeze({ extAck: false, capAck: false, strictCheck: false, netns: false });

/** Why the fallback cannot open a socket in a network namespace. */
function netnsUnsupported(netns: string, why?: string): TransportFeatureError {
  return new TransportFeatureError(
    'netlink-npm',
    'netns',
    `cannot open a netlink socket in network namespace ${netns}: the 'netlink' npm package ` +
      `cannot enter a namespace, only the native addon can${why ? ` (${why})` : ''}`,
  );
}

function loadNetlinkPackage(): NetlinkPackage {
  try {
    return require('netlink') as NetlinkPackage;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new NetlinkError(`the 'netlink' npm package could not load either: ${why}`, { cause: err });
  }
}

export class FallbackTransport implements Transport {
  readonly name = 'netlink-npm';
  readonly features = FEATURES;
  readonly localPort: number;
  readonly peerPort: number;
  private handlers: TransportHandlers | null = null;
  /** Datagrams that arrived before start(). */
  private early: Array<[Buffer, RecvInfo]> = [];
  private closed = false;
  private readonly onSent = (err?: Error): void => {
    if (err) this.onError(err);
  };

  private constructor(
    private readonly sock: RawNetlinkSocket,
    peerPort: number,
  ) {
    this.peerPort = peerPort;
    this.localPort = sock.address().port;
    sock.on('message', (msg, rinfo) => this.deliver(msg, rinfo));
    sock.on('truncatedMessage', () => this.fail(systemError(osConstants.errno.EMSGSIZE, 'recvmsg')));
    // Always listening: an 'error' event without a listener would throw from the event loop.
    sock.on('error', (err) => this.onError(err));
  }

  /**
   * Opens and binds a socket. Throws TransportFeatureError when `opts.netns` is set
   * (`why` is appended to its message), and a Node-like error when the socket fails.
   */
  static open(opts: SocketOptions = {}, why?: string): FallbackTransport {
    if (opts.netns !== undefined) throw netnsUnsupported(opts.netns, why);
    const netlink = loadNetlinkPackage();
    // The package treats 0 as "leave the default"; 1 asks for the kernel's minimum.
    const rcvbuf = Math.max(1, opts.rcvbuf ?? DEFAULT_RCVBUF);
    let sock: RawNetlinkSocket;
    try {
      sock = new netlink.RawNetlinkSocket(opts.protocol ?? NETLINK_GENERIC, {
        recvBufferSize: rcvbuf,
        sendBufferSize: opts.sndbuf === undefined ? 0 : Math.max(1, opts.sndbuf),
      });
    } catch (err) {
      throw err instanceof Error ? fromPackageError(err) : err;
    }
    return new FallbackTransport(sock, opts.peerPort ?? 0);
  }

  start(handlers: TransportHandlers): void {
    if (this.closed) return;
    if (this.handlers !== null) throw new Error('FallbackTransport.start() was already called');
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const [msg, from] of early) {
      if (this.closed) return;
      handlers.message(msg, from);
    }
  }

  send(buffers: readonly Buffer[]): void {
    if (this.closed) throw systemError(osConstants.errno.EBADF, 'sendmsg');
    this.sock.send(buffers as Buffer[], { port: this.peerPort }, this.onSent);
  }

  /** The package only receives from the event loop. */
  poll(): void {}

  addMembership(group: number): void {
    if (this.closed) throw systemError(osConstants.errno.EBADF, 'setsockopt');
    this.sock.addMembership(group);
  }

  dropMembership(group: number): void {
    if (this.closed) throw systemError(osConstants.errno.EBADF, 'setsockopt');
    this.sock.dropMembership(group);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.early = [];
    this.sock.close();
  }

  private deliver(msg: Buffer, rinfo: MessageInfo): void {
    if (this.closed) return;
    // The package gives the source's nl_groups mask; bit n-1 is group n (groups
    // above 32 are not representable there and read as 0).
    const from: RecvInfo = { port: rinfo.port, group: rinfo.groups === 0 ? 0 : 32 - Math.clz32(rinfo.groups & -rinfo.groups) };
    if (this.handlers === null) this.early.push([msg, from]);
    else this.handlers.message(msg, from);
  }

  private onError(err: Error): void {
    if (this.closed) return;
    const converted = fromPackageError(err);
    if (converted.code === 'ENOBUFS' && converted.syscall === 'recvmsg') {
      // Before start() there is no one to tell; the engine starts right after open.
      this.handlers?.overrun();
      return;
    }
    this.fail(converted);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    const handlers = this.handlers;
    this.close();
    handlers?.error(err);
  }
}
