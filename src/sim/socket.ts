/**
 * Real-socket mode: the simulator binds an AF_NETLINK NETLINK_GENERIC socket of its own
 * and answers the datagrams that clients send to its port (the client is opened with
 * `socket: { peerPort: sim.port }`), unicasting replies to the sender's port. The real
 * kernel carries every byte, so the native socket path, ext-ack parsing of real
 * datagrams and multicast delivery are exercised end to end.
 *
 * Notifications go out as real multicast: nl_groups can only name groups 1..32, so at
 * listen() the simulator asks the host's nlctrl which genl groups are taken and picks a
 * free one (genl_bind accepts a membership to a group no family owns; sending to a group
 * needs CAP_NET_ADMIN, as does unicasting to a user socket under NETLINK_GENERIC). That
 * id is what nlctrl answers to socket clients. Should the host refuse the multicast send,
 * the simulator falls back to unicasting each notification to every client port that has
 * sent it a request (the engine takes sequence-0 messages from its peer as notifications).
 */
import { loadAddon, addonLoadError, type NativeSocket } from '../genl/addon';
import type { GenlKernel, Requester } from './genl';
import { MsgWriter } from './wire';
import { Ctrl, GENL_ID_CTRL, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, GENL_HDRLEN, NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign } from './uapi';

/** Group ids never picked: nlctrl's notify and the ids genetlink reserves. */
const RESERVED_GROUPS = new Set([16, 17, 18]);

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/** The multicast group ids the host's genl families use (from a CTRL_CMD_GETFAMILY dump). */
/** One received datagram (a copy), or null when nothing is queued. */
function recv(sock: NativeSocket, area: Buffer): Buffer | null {
  const length = sock.recvmsg();
  if (length < 0) return null;
  if (length <= area.length) return Buffer.from(area.subarray(0, length));
  const d = Buffer.allocUnsafe(length);
  return sock.recvmsgInto(d) < 0 ? null : d;
}

function hostGroups(sock: NativeSocket, info: Uint32Array, area: Buffer): Set<number> {
  const used = new Set<number>();
  const w = new MsgWriter(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP, 1, 0, Ctrl.CMD_GETFAMILY, 1, 64);
  sock.sendmsg([w.end()], 0, 0);
  for (let guard = 0; guard < 1000; guard++) {
    const d = recv(sock, area);
    if (d === null || info[0] !== 0) break;
    let p = 0;
    let done = false;
    while (d.length - p >= NLMSG_HDRLEN) {
      const len = d.readUInt32LE(p);
      const type = d.readUInt16LE(p + 4);
      if (len < NLMSG_HDRLEN) break;
      if (type === NLMSG_DONE || type === NLMSG_ERROR) done = true;
      else if (type === GENL_ID_CTRL) collectGroups(d, p + NLMSG_HDRLEN + GENL_HDRLEN, p + len, used);
      p += nlaAlign(len);
    }
    if (done) break;
  }
  return used;
}

function collectGroups(d: Buffer, start: number, end: number, used: Set<number>): void {
  for (let p = start; p + NLA_HDRLEN <= end; ) {
    const len = d.readUInt16LE(p);
    if (len < NLA_HDRLEN) return;
    if ((d.readUInt16LE(p + 2) & NLA_TYPE_MASK) === Ctrl.ATTR_MCAST_GROUPS) {
      for (let e = p + NLA_HDRLEN; e + NLA_HDRLEN <= p + len; ) {
        const elen = d.readUInt16LE(e);
        if (elen < NLA_HDRLEN) break;
        for (let a = e + NLA_HDRLEN; a + NLA_HDRLEN <= e + elen; ) {
          const alen = d.readUInt16LE(a);
          if (alen < NLA_HDRLEN) break;
          if ((d.readUInt16LE(a + 2) & NLA_TYPE_MASK) === Ctrl.ATTR_MCAST_GRP_ID && alen >= 8) used.add(d.readUInt32LE(a + 4));
          a += nlaAlign(alen);
        }
        e += nlaAlign(elen);
      }
    }
    p += nlaAlign(len);
  }
}

export class SimSocket {
  private readonly clients = new Set<number>();
  private multicastOk = true;
  private closed = false;

  private constructor(
    private readonly sock: NativeSocket,
    private readonly info: Uint32Array,
    private readonly area: Buffer,
    private readonly kernel: GenlKernel,
    /** The socket's port: clients send here. */
    readonly port: number,
    /** The `config` group id socket clients join (1..32). */
    readonly groupId: number,
  ) {}

  /** Open, bind, pick a multicast group, start answering. */
  static open(kernel: GenlKernel): SimSocket {
    const addon = loadAddon();
    if (addon === null) throw new Error(`the simulator's socket mode needs the native addon: ${addonLoadError()?.message ?? 'not loaded'}`);
    const c = addon.constants;
    const info = new Uint32Array(2);
    const area = Buffer.allocUnsafeSlow(65536);
    const sock = new addon.NetlinkSocket(c.NETLINK_GENERIC, null, info, area);
    try {
      try {
        sock.setsockopt(c.SOL_SOCKET, c.SO_RCVBUFFORCE, 4 << 20);
      } catch {
        sock.setsockopt(c.SOL_SOCKET, c.SO_RCVBUF, 4 << 20);
      }
      sock.bind(0, 0);
      const { port } = sock.getsockname();
      const used = hostGroups(sock, info, area);
      let group = 0;
      for (let g = 31; g >= 1; g--) {
        if (!used.has(g) && !RESERVED_GROUPS.has(g)) {
          group = g;
          break;
        }
      }
      const s = new SimSocket(sock, info, area, kernel, port, group);
      s.multicastOk = group !== 0;
      sock.start((err) => {
        if (!err) s.drain();
      });
      return s;
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Whether notifications go out as real multicast (else unicast to known clients). */
  get multicast(): boolean {
    return this.multicastOk;
  }

  private drain(): void {
    while (!this.closed) {
      let d: Buffer | null;
      try {
        d = recv(this.sock, this.area);
      } catch (e) {
        if (isErrno(e, 'ENOBUFS')) continue;
        return;
      }
      if (d === null) return;
      const port = this.info[0];
      if (port === 0) continue; // the host kernel (an answer to something we sent to port 0)
      this.clients.add(port);
      this.kernel.receive(d, this.requester(port));
    }
  }

  private requester(port: number): Requester {
    return { port, privileged: true, origin: 'socket', unicast: (d) => this.sendTo(d, port) };
  }

  private sendTo(d: Buffer, port: number): void {
    if (this.closed) return;
    try {
      this.sock.sendmsg([d], port, 0);
    } catch (e) {
      // the client's socket is gone
      if (isErrno(e, 'ECONNREFUSED')) this.clients.delete(port);
    }
  }

  /** A notification of the devlink `config` group. */
  notify(d: Buffer): void {
    if (this.closed) return;
    if (this.multicastOk) {
      try {
        this.sock.sendmsg([d], 0, (1 << (this.groupId - 1)) >>> 0);
        return;
      } catch {
        this.multicastOk = false;
      }
    }
    for (const port of [...this.clients]) this.sendTo(d, port);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.stop();
    this.sock.close();
  }
}
