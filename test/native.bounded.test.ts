/**
 * The native transport's bounded receive mode (recvmmsg into fixed-size slots) against
 * this machine's kernel: the addon's recvmmsg() itself, NativeTransport in bounded mode,
 * and GenericNetlink.open({ socket: { receive: 'bounded' } }) end to end, including what
 * happens when a datagram does not fit its slot. Expected bytes come from
 * test/helpers/bytes.ts, not from the code under test. Tests that need root or
 * `ip netns` skip cleanly without them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { NetlinkError, ValidationError } from '../src/attrs/errors';
import { addonLoadError, loadAddon } from '../src/genl/addon';
import type { NativeSocket } from '../src/genl/addon';
import { Connection, Notification } from '../src/genl/connection';
import { TruncatedError } from '../src/genl/errors';
import { GenericNetlink } from '../src/genl/generic';
import { DEFAULT_MAX_DATAGRAM, NativeTransport } from '../src/genl/transport-native';
import { isSystemError } from '../src/genl/sockerr';
import type { RecvInfo, TransportHandlers, TruncatedInfo } from '../src/genl/transport';
import { genlmsg, nla, nlmsg, readHdr, strz } from './helpers/bytes';
import { suiteNetns } from './helpers/netns';

// <linux/netlink.h>, <linux/genetlink.h>, <linux/rtnetlink.h>
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLMSG_ERROR = 0x2;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_NAME = 2;
const RTM_NEWLINK = 16;
const RTNLGRP_LINK = 1;
const NETLINK_ROUTE = 0;
const NETLINK_GENERIC = 16;

function getFamily(name: string, seq: number): Buffer {
  return genlmsg({ type: GENL_ID_CTRL, flags: NLM_F_REQUEST | NLM_F_ACK, seq }, CTRL_CMD_GETFAMILY, 1, [nla(CTRL_ATTR_FAMILY_NAME, strz(name))]);
}

/** A datagram of `size` bytes whose first nlmsghdr claims all of it, with sequence number `seq`. */
function bigDatagram(size: number, seq: number): Buffer {
  const d = Buffer.alloc(size, 0x5a);
  nlmsg({ type: 0x20, seq }).copy(d, 0, 0, 12);
  d.writeUInt32LE(size, 0);
  return d;
}

interface Got {
  readonly datagrams: Array<{ data: Buffer; lent: boolean; from: RecvInfo }>;
  readonly truncated: Array<{ seq: number; length: number; info: TruncatedInfo }>;
  overruns: number;
  readonly errors: Error[];
}

function collect(withTruncated = true): { handlers: TransportHandlers; got: Got } {
  const got: Got = { datagrams: [], truncated: [], overruns: 0, errors: [] };
  const handlers: TransportHandlers = {
    // a lent datagram is a view of the receive slots, valid only during the call: kept, it is copied (the contract)
    message: (data, from, lent) =>
      void got.datagrams.push({ data: lent ? Buffer.from(data) : data, lent: lent === true, from: { port: from.port, group: from.group } }),
    overrun: () => void got.overruns++,
    error: (err) => void got.errors.push(err),
  };
  if (withTruncated) handlers.truncated = (seq, length, info) => void got.truncated.push({ seq, length, info: { ...info } });
  return { handlers, got };
}

/** The sequence numbers of the acks among the datagrams. */
function ackSeqs(got: Got): number[] {
  return got.datagrams.filter((d) => readHdr(d.data).type === NLMSG_ERROR).map((d) => readHdr(d.data).seq);
}

async function until(done: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The next item of a notification queue, or 'nothing' after `ms`. */
async function nextOf(q: AsyncIterator<Notification>, ms = 2000): Promise<Notification | 'nothing'> {
  const timer = new Promise<'nothing'>((r) => setTimeout(() => r('nothing'), ms));
  const item = q.next().then((r) => (r.done ? ('nothing' as const) : r.value));
  return Promise.race([item, timer]);
}


describe('native addon, bounded receive mode', function () {
  before(function () {
    if (loadAddon() === null) throw new Error(`the native addon must load for these tests: ${addonLoadError()?.message}`);
  });

  describe('the addon: setRecvSlots() and recvmmsg()', function () {
    let sock: NativeSocket;
    beforeEach(function () {
      const addon = loadAddon()!;
      sock = new addon.NetlinkSocket(NETLINK_GENERIC, null, new Uint32Array(2), Buffer.alloc(64));
      sock.bind(0, 0);
    });
    afterEach(function () {
      sock.close();
    });

    it('reads the reply and the ack in one call, each into its slot, with [length, port, group, flags]', function () {
      const slotSize = 1024;
      const area = Buffer.alloc(4 * slotSize);
      const meta = new Uint32Array(16).fill(0xeeeeeeee);
      sock.setRecvSlots(area, slotSize, meta);
      sock.sendmsg([getFamily('nlctrl', 31)], 0, 0);
      assert.equal(sock.recvmmsg(4), 2);
      const reply = readHdr(area, 0);
      const ack = readHdr(area, slotSize);
      assert.deepEqual([reply.type, reply.seq], [GENL_ID_CTRL, 31]);
      assert.deepEqual([ack.type, ack.seq], [NLMSG_ERROR, 31]);
      assert.equal(area.readInt32LE(slotSize + 16), 0, 'the ack carries error 0');
      assert.deepEqual([...meta.subarray(0, 8)], [reply.len, 0, 0, 0, ack.len, 0, 0, 0]);
      assert.equal(meta[8], 0xeeeeeeee, 'slots not read are left alone');
      assert.equal(sock.recvmmsg(4), 0, 'nothing queued: 0, not an error');
    });

    it('reads no more than `count` datagrams, nor more than there are slots', function () {
      sock.setRecvSlots(Buffer.alloc(2 * 512), 512, new Uint32Array(8));
      sock.sendmsg([getFamily('nlctrl', 1), getFamily('nlctrl', 2)], 0, 0); // four datagrams
      assert.equal(sock.recvmmsg(1), 1);
      assert.equal(sock.recvmmsg(100), 2);
      assert.equal(sock.recvmmsg(100), 1);
      assert.equal(sock.recvmmsg(100), 0);
    });

    it('flags a datagram longer than its slot, reports its real length, and keeps its header', function () {
      const meta = new Uint32Array(8);
      const area = Buffer.alloc(2 * 32);
      sock.setRecvSlots(area, 32, meta);
      sock.sendmsg([getFamily('nlctrl', 77)], 0, 0);
      assert.equal(sock.recvmmsg(2), 2);
      const c = loadAddon()!.constants;
      assert.ok(meta[0] > 32, `the reply is ${meta[0]} bytes`);
      assert.equal(meta[3], c.RECV_TRUNCATED);
      assert.equal(readHdr(area, 0).len, meta[0], 'nlmsg_len matches the reported length');
      assert.equal(readHdr(area, 0).seq, 77);
      // The ack is 36 bytes (error + the request's header; a success ack echoes no payload): truncated too.
      assert.deepEqual([meta[4], meta[7]], [36, c.RECV_TRUNCATED]);
    });

    it('replaces the slots on a second setRecvSlots()', function () {
      const small = Buffer.alloc(32);
      sock.setRecvSlots(small, 32, new Uint32Array(4));
      const area = Buffer.alloc(4096);
      const meta = new Uint32Array(4);
      sock.setRecvSlots(area, 4096, meta);
      sock.sendmsg([getFamily('nlctrl', 5)], 0, 0);
      assert.equal(sock.recvmmsg(8), 1, 'one slot now');
      assert.equal(meta[3], 0);
      assert.equal(readHdr(area).seq, 5);
      assert.ok(small.equals(Buffer.alloc(32)), 'the old area is no longer written');
    });

    it('refuses recvmmsg() before setRecvSlots(), and slots that cannot hold a header', function () {
      assert.throws(() => sock.recvmmsg(1), /setRecvSlots\(\) first/);
      assert.throws(() => sock.setRecvSlots(Buffer.alloc(64), 8, new Uint32Array(32)), TypeError);
      assert.throws(() => sock.setRecvSlots(Buffer.alloc(16), 32, new Uint32Array(4)), TypeError);
      assert.throws(() => sock.setRecvSlots(Buffer.alloc(64), 32, new Uint32Array(4)), TypeError, 'meta too short for 2 slots');
    });

    it('throws recvmmsg EBADF after close()', function () {
      sock.setRecvSlots(Buffer.alloc(64), 64, new Uint32Array(4));
      sock.close();
      assert.throws(
        () => sock.recvmmsg(1),
        (err: unknown) => isSystemError(err, 'EBADF') && err.syscall === 'recvmmsg' && err.message === 'recvmmsg EBADF',
      );
    });
  });

  describe('NativeTransport', function () {
    let t: NativeTransport | undefined;
    afterEach(function () {
      t?.close();
      t = undefined;
    });

    it('opens in exact mode unless asked, and refuses unknown modes and impossible slot sizes', function () {
      t = NativeTransport.open();
      assert.notEqual(t.receiveStrategy, 'bounded');
      t.close();
      t = NativeTransport.open({ receive: 'bounded' });
      assert.equal(t.receiveSlotSize(), DEFAULT_MAX_DATAGRAM);
      assert.throws(() => NativeTransport.open({ receive: 'fast' as 'exact' }), ValidationError);
      assert.throws(() => NativeTransport.open({ receive: 'bounded', maxDatagram: 15 }), /socket.maxDatagram/);
      assert.throws(() => NativeTransport.open({ receive: 'bounded', maxDatagram: 8 << 20 }), ValidationError);
      assert.throws(() => NativeTransport.open({ receive: 'bounded', maxDatagram: 100.5 }), ValidationError);
    });

    it('answers GETFAMILY with a reply and an ack on a synchronous poll()', function () {
      t = NativeTransport.open({ receive: 'bounded' });
      const { handlers, got } = collect();
      t.start(handlers);
      t.send([getFamily('nlctrl', 42)]);
      t.poll();
      assert.deepEqual(
        got.datagrams.map((d) => [readHdr(d.data).type, readHdr(d.data).seq, d.from.port, d.from.group]),
        [
          [GENL_ID_CTRL, 42, 0, 0],
          [NLMSG_ERROR, 42, 0, 0],
        ],
      );
      assert.equal(got.datagrams[0]!.data.length, readHdr(got.datagrams[0]!.data).len, 'the datagram is whole, in a buffer of its own');
      assert.deepEqual([got.truncated, got.overruns, got.errors], [[], 0, []]);
    });

    it('poll(until) hands out a whole batch (32 datagrams) before asking until(); the event loop delivers the rest', async function () {
      t = NativeTransport.open({ receive: 'bounded' });
      const { handlers, got } = collect();
      t.start(handlers);
      const reqs = Array.from({ length: 40 }, (_, i) => getFamily('nlctrl', i + 1)); // 80 datagrams
      t.send(reqs);
      let asked = 0;
      t.poll(() => {
        asked++;
        return true;
      });
      assert.equal(asked, 1);
      assert.equal(got.datagrams.length, 32);
      await until(() => got.datagrams.length === 80);
      assert.deepEqual(
        ackSeqs(got),
        reqs.map((_, i) => i + 1),
      );
    });

    it('lends each datagram from its slot: a view the next read reuses, so a handler that keeps it copies it', function () {
      t = NativeTransport.open({ receive: 'bounded' });
      const views: Buffer[] = [];
      const { handlers, got } = collect();
      const keep = handlers.message;
      handlers.message = (data, from, lent) => {
        views.push(data);
        keep(data, from, lent);
      };
      t.start(handlers);
      t.send([getFamily('nlctrl', 1)]);
      t.poll();
      const first = Buffer.from(got.datagrams[0]!.data);
      assert.equal(readHdr(views[0]!).seq, 1);
      t.send([getFamily('nlctrl', 2)]);
      t.poll();
      assert.ok(got.datagrams.every((d) => d.lent), 'every datagram that fits its slot is lent');
      // the copy kept during the call is intact; the view itself now shows the next read's bytes
      assert.ok(got.datagrams[0]!.data.equals(first));
      assert.equal(readHdr(got.datagrams[2]!.data).seq, 2);
      assert.equal(readHdr(views[0]!).seq, 2);
    });

    describe('from a user-space peer', function () {
      let peer: NativeSocket;
      let stranger: NativeSocket;
      let rx: NativeTransport;
      beforeEach(function () {
        const addon = loadAddon()!;
        peer = new addon.NetlinkSocket(NETLINK_GENERIC, null, new Uint32Array(2), Buffer.alloc(64));
        stranger = new addon.NetlinkSocket(NETLINK_GENERIC, null, new Uint32Array(2), Buffer.alloc(64));
        peer.bind(0, 0);
        stranger.bind(0, 0);
        peer.setsockopt(addon.constants.SOL_SOCKET, addon.constants.SO_SNDBUF, 1 << 20);
      });
      afterEach(function () {
        rx?.close();
        peer.close();
        stranger.close();
      });

      it('reports a datagram longer than its slot to truncated() (never to message()), then grows the slot and reads it whole', function () {
        const peerPort = peer.getsockname().port;
        rx = NativeTransport.open({ receive: 'bounded', peerPort });
        const { handlers, got } = collect();
        rx.start(handlers);
        const big = bigDatagram(100_000, 4242);
        peer.sendmsg([big], rx.localPort, 0);
        peer.sendmsg([Buffer.from('tail')], rx.localPort, 0);
        rx.poll();
        assert.deepEqual(got.truncated, [{ seq: 4242, length: 100_000, info: { port: peerPort, group: 0, slotSize: DEFAULT_MAX_DATAGRAM } }]);
        assert.deepEqual(
          got.datagrams.map((d) => d.data.toString()),
          ['tail'],
        );
        assert.equal(rx.receiveSlotSize(), 128 * 1024, 'doubled until it fits');
        peer.sendmsg([big], rx.localPort, 0);
        rx.poll();
        assert.equal(got.datagrams.length, 2);
        assert.ok(got.datagrams[1]!.data.equals(big));
        assert.equal(got.truncated.length, 1);
      });

      it('does not grow the slot for a stranger\'s datagram (the engine drops those anyway)', function () {
        rx = NativeTransport.open({ receive: 'bounded', maxDatagram: 64, peerPort: peer.getsockname().port });
        const { handlers, got } = collect();
        rx.start(handlers);
        stranger.sendmsg([bigDatagram(200, 9)], rx.localPort, 0);
        rx.poll();
        assert.deepEqual(got.truncated, [{ seq: 9, length: 200, info: { port: stranger.getsockname().port, group: 0, slotSize: 64 } }]);
        assert.equal(rx.receiveSlotSize(), 64);
      });

      it('tells a handler without truncated() of an overrun instead', function () {
        rx = NativeTransport.open({ receive: 'bounded', maxDatagram: 64, peerPort: peer.getsockname().port });
        const { handlers, got } = collect(false);
        rx.start(handlers);
        peer.sendmsg([bigDatagram(200, 1)], rx.localPort, 0);
        rx.poll();
        assert.deepEqual([got.overruns, got.datagrams.length], [1, 0]);
        assert.equal(rx.receiveSlotSize(), 256);
      });
    });

    describe('overrun (ENOBUFS)', function () {
      function burst(tr: NativeTransport): void {
        tr.send(Array.from({ length: 200 }, (_, i) => getFamily('nlctrl', i + 1)));
      }

      it('reaches overrun() from a synchronous poll(), and the transport keeps working', function () {
        t = NativeTransport.open({ receive: 'bounded', rcvbuf: 0 });
        const { handlers, got } = collect();
        t.start(handlers);
        burst(t);
        t.poll();
        assert.ok(got.overruns >= 1, 'overrun reported');
        assert.ok(got.datagrams.length < 400, 'datagrams were lost');
        assert.deepEqual(got.errors, []);
        got.datagrams.length = 0;
        t.send([getFamily('nlctrl', 1000)]);
        t.poll();
        assert.deepEqual(ackSeqs(got), [1000]);
      });

      it('reaches overrun() from the event loop, and the transport keeps working', async function () {
        t = NativeTransport.open({ receive: 'bounded', rcvbuf: 0 });
        const { handlers, got } = collect();
        t.start(handlers);
        burst(t);
        await until(() => got.overruns >= 1);
        assert.deepEqual(got.errors, []);
        got.datagrams.length = 0;
        t.send([getFamily('nlctrl', 1000)]);
        await until(() => ackSeqs(got).length >= 1);
        assert.deepEqual(ackSeqs(got), [1000]);
      });
    });
  });

  describe('GenericNetlink.open({ socket: { receive: "bounded" } })', function () {
    let g: GenericNetlink | undefined;
    afterEach(async function () {
      await g?.close();
      g = undefined;
    });

    it('matches 500 concurrent lookups (refresh: true) of a mix of names to their own replies', async function () {
      const exact = await GenericNetlink.open();
      const listed = await exact.families();
      await exact.close();
      g = await GenericNetlink.open({ socket: { receive: 'bounded' } });
      assert.equal(g.transportName, 'native');
      assert.deepEqual(await g.families(), listed, 'a dump reads the same in both modes');
      const names = listed.map((f) => f.name);
      const byName = new Map(listed.map((f) => [f.name, f]));
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => g!.family(names[i % names.length]!, { refresh: true })));
      results.forEach((f, i) => assert.deepEqual(f, byName.get(names[i % names.length]!), `lookup #${i}`));
      const s = g.connection.stats;
      assert.equal(s.sent, 501);
      assert.deepEqual([s.droppedSeq, s.droppedSender, s.malformed, s.overruns, s.truncated], [0, 0, 0, 0, 0]);
    });

    it('rejects a lookup whose reply does not fit the slot with TruncatedError, grows the slot, and the next lookup succeeds', async function () {
      // The reply's real size, read in exact mode.
      const probe = NativeTransport.open();
      const { handlers, got } = collect();
      probe.start(handlers);
      probe.send([getFamily('nlctrl', 1)]);
      probe.poll();
      probe.close();
      const replyLength = got.datagrams[0]!.data.length;
      assert.ok(replyLength > 64, `the reply is ${replyLength} bytes`);

      g = await GenericNetlink.open({ socket: { receive: 'bounded', maxDatagram: 64 } });
      const err = await g.family('nlctrl').then(
        () => assert.fail('the lookup should have been rejected'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TruncatedError && err instanceof NetlinkError);
      assert.equal(err.code, 'EMSGSIZE');
      assert.deepEqual([err.op, err.length, err.slotSize], ['nlctrl getfamily', replyLength, 64]);
      assert.match(err.message, new RegExp(`^nlctrl getfamily: the ${replyLength}-byte reply did not fit the 64-byte receive slot`));
      assert.match(err.message, /may have taken effect.*receive: 'exact'.*maxDatagram/);
      const transport = g.connection.transport as NativeTransport;
      assert.ok(transport.receiveSlotSize()! >= replyLength, `slot now ${transport.receiveSlotSize()}`);
      const f = await g.family('nlctrl');
      assert.deepEqual([f.name, f.id], ['nlctrl', GENL_ID_CTRL]);
      assert.equal(g.connection.stats.truncated, 1);
    });

    it('rejects a dump whose first datagram is truncated, and the next dump succeeds', async function () {
      g = await GenericNetlink.open({ socket: { receive: 'bounded', maxDatagram: 64 } });
      await assert.rejects(g.families(), (e: unknown) => e instanceof TruncatedError && e.op === 'nlctrl getfamily dump' && e.slotSize === 64);
      const families = await g.families();
      assert.ok(families.some((f) => f.name === 'nlctrl'));
    });
  });

  describe('truncated datagrams through the engine, from a user-space peer', function () {
    let peer: NativeSocket;
    let stranger: NativeSocket;
    let conn: Connection;
    /** The peer's view of our request: read from its own socket (a new one per socket: close() frees it). */
    let peerArea: Buffer;

    beforeEach(function () {
      const addon = loadAddon()!;
      peerArea = Buffer.alloc(4096);
      peer = new addon.NetlinkSocket(NETLINK_GENERIC, null, new Uint32Array(2), peerArea);
      stranger = new addon.NetlinkSocket(NETLINK_GENERIC, null, new Uint32Array(2), Buffer.alloc(64));
      peer.bind(0, 0);
      stranger.bind(0, 0);
      conn = new Connection(NativeTransport.open({ receive: 'bounded', maxDatagram: 64, peerPort: peer.getsockname().port }));
    });

    afterEach(async function () {
      await conn.close();
      peer.close();
      stranger.close();
    });

    it('gives subscribers an overrun marker for a truncated notification (sequence 0), and ignores one from a stranger', async function () {
      const q = conn.subscribe();
      const us = conn.transport.localPort;
      stranger.sendmsg([bigDatagram(300, 0)], us, 0);
      await until(() => conn.stats.droppedSender === 1);
      peer.sendmsg([bigDatagram(300, 0)], us, 0);
      assert.deepEqual(await nextOf(q), { kind: 'overrun' });
      assert.equal(conn.stats.truncated, 1);
      peer.sendmsg([nlmsg({ type: 0x20, seq: 0 })], us, 0);
      const next = await nextOf(q);
      assert.ok(next !== 'nothing' && next.kind === 'message' && next.msg.type === 0x20, 'the next notification arrives whole');
    });

    it('rejects the request a truncated reply answers, with the slot size it was read into; a stranger\'s does not count', async function () {
      const us = conn.transport.localPort;
      // Grow the slot to 512 first: a 300-byte notification.
      peer.sendmsg([bigDatagram(300, 0)], us, 0);
      await until(() => conn.stats.truncated === 1);
      const reply = conn.request({ msg: getFamily('nlctrl', 0), op: 'test getfamily', timeoutMs: 3000 });
      await until(() => peer.recvmsg() > 0);
      const seq = readHdr(peerArea).seq;
      stranger.sendmsg([bigDatagram(1000, seq)], us, 0);
      await until(() => conn.stats.droppedSender === 1);
      peer.sendmsg([bigDatagram(1000, seq)], us, 0);
      await assert.rejects(reply,
        (e: unknown) => e instanceof TruncatedError && e.length === 1000 && e.slotSize === 512 && e.seq === seq && e.op === 'test getfamily');
      assert.equal(conn.stats.truncated, 2);
    });
  });

  describe('multicast in another network namespace', function () {
    const { name: ns, path: nsPath } = suiteNetns('dlsf-bounded');

    it('reports the group a notification came through (NETLINK_PKTINFO), as exact mode does', async function () {
      const t = NativeTransport.open({ protocol: NETLINK_ROUTE, netns: nsPath, receive: 'bounded' });
      try {
        const { handlers, got } = collect();
        t.start(handlers);
        t.addMembership(RTNLGRP_LINK);
        execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
        await until(() => got.datagrams.some((d) => readHdr(d.data).type === RTM_NEWLINK));
        const note = got.datagrams.find((d) => readHdr(d.data).type === RTM_NEWLINK)!;
        assert.deepEqual(note.from, { port: 0, group: RTNLGRP_LINK });
      } finally {
        t.close();
      }
    });
  });
});
