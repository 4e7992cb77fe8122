/**
 * The native transport's exact receive mode against this machine's kernel: recvmmsg
 * into 64 KiB slots, each followed by a reserve of address space as long as the
 * kernel's largest datagram, so that nothing is ever cut short at one system call per
 * batch ('exact-batched'); and the peek-then-read path it falls back to ('exact-peek').
 * The kernel itself never sends generic netlink datagrams above 64 KiB, so the long ones
 * come from a user-space socket (root may give it a send buffer of many megabytes).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import * as addonModule from '../src/genl/addon';
import { addonLoadError, loadAddon } from '../src/genl/addon';
import type { NativeSocket } from '../src/genl/addon';
import { GenericNetlink } from '../src/genl/generic';
import { kernelMaxDatagram, NativeTransport } from '../src/genl/transport-native';
import type { RecvInfo, TransportHandlers } from '../src/genl/transport';
import { genlmsg, nla, nlmsg, readHdr, strz } from './helpers/bytes';
import { isRoot } from './helpers/netns';

const NLM_F_REQUEST = 0x1;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_NAME = 2;
const NETLINK_ROUTE = 0;
const NETLINK_GENERIC = 16;

/** CTRL_CMD_GETFAMILY "nlctrl" without NLM_F_ACK: one reply. */
function getFamily(seq: number): Buffer {
  return genlmsg({ type: GENL_ID_CTRL, flags: NLM_F_REQUEST, seq }, CTRL_CMD_GETFAMILY, 1, [nla(CTRL_ATTR_FAMILY_NAME, strz('nlctrl'))]);
}

/** A datagram of `size` bytes, one message claiming all of it, filled with a pattern that shows misplaced bytes. */
function patterned(size: number, seq: number): Buffer {
  const d = Buffer.alloc(size);
  for (let i = 0; i < size; i++) d[i] = (i * 7 + seq) & 0xff;
  nlmsg({ type: 0x20, seq }).copy(d, 0, 0, 16);
  d.writeUInt32LE(size, 0);
  return d;
}

/** The largest block the buddy allocator has, worked out here by counting /proc/buddyinfo's columns. */
function expectedMax(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/buddyinfo', 'utf8');
  } catch {
    return undefined;
  }
  // "Node 0, zone   Normal   c0 c1 ... cN": 4 words, then one count per order
  const cols = Math.max(...text.trim().split('\n').map((l) => l.trim().split(/\s+/).length - 4));
  const page = loadAddon()?.constants.PAGE_SIZE ?? 4096;
  return page * 2 ** (cols - 1);
}

function collect(): { handlers: TransportHandlers; got: { data: Buffer[]; from: RecvInfo[]; truncated: Array<[number, number]> } } {
  const got = { data: [] as Buffer[], from: [] as RecvInfo[], truncated: [] as Array<[number, number]> };
  return {
    got,
    handlers: {
      message: (d, from, lent) => {
        // a lent datagram is valid only during the call: kept, it is copied (the transport's contract)
        got.data.push(lent ? Buffer.from(d) : d);
        got.from.push(from);
      },
      truncated: (seq, length) => void got.truncated.push([seq, length]),
      overrun: () => assert.fail('overrun'),
      error: (e) => assert.fail(e),
    },
  };
}

describe('native addon, exact receive mode', function () {
  before(function () {
    if (loadAddon() === null) throw new Error(`the native addon must load for these tests: ${addonLoadError()?.message}`);
  });

  describe('kernelMaxDatagram()', function () {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'buddy-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = (text: string): string => {
      const f = join(dir, `b${Math.random()}`);
      writeFileSync(f, text);
      return f;
    };

    it('is one page times 2^(orders - 1), orders counted on the zone with the most columns', function () {
      const f = file('Node 0, zone      DMA      0      0      0\n' +
        'Node 0, zone   Normal   1722    713    645    546    477    317    243     94     26      6     34 \n');
      assert.equal(kernelMaxDatagram(4096, f), 4096 * 1024);
      assert.equal(kernelMaxDatagram(65536, f), 65536 * 1024);
    });

    it('is unknown without a page size, without the file, or from a file that does not say', function () {
      assert.equal(kernelMaxDatagram(undefined), undefined);
      assert.equal(kernelMaxDatagram(4096, join(dir, 'absent')), undefined);
      assert.equal(kernelMaxDatagram(4096, file('nothing here\n')), undefined);
      assert.equal(kernelMaxDatagram(0, file('Node 0, zone Normal 1 2\n')), undefined);
    });

    it('on this machine: what /proc/buddyinfo says, counted independently', function () {
      assert.equal(kernelMaxDatagram(loadAddon()!.constants.PAGE_SIZE), expectedMax());
    });
  });

  describe('the addon: sendRecv() and readReserve()', function () {
    let sock: NativeSocket;
    beforeEach(function () {
      sock = new (loadAddon()!.NetlinkSocket)(NETLINK_GENERIC, null, new Uint32Array(2), Buffer.alloc(64));
      sock.bind(0, 0);
    });
    afterEach(() => sock.close());

    it('sendRecv() refuses to run before setRecvSlots(), and a buffer that is not one', function () {
      assert.throws(() => sock.sendRecv!(getFamily(1), 0, 4), /sendRecv\(\) needs setRecvSlots\(\) first/);
      sock.setRecvSlots(Buffer.alloc(4 * 1024), 1024, new Uint32Array(16));
      assert.throws(() => sock.sendRecv!('nope' as unknown as Buffer, 0, 4), /buffer must be a Buffer/);
      assert.equal(sock.sendRecv!(getFamily(2), 0, 4), 1, 'then it sends and reads the one reply');
    });

    it('a number argument that is not one is a TypeError naming it', function () {
      sock.setRecvSlots(Buffer.alloc(4 * 1024), 1024, new Uint32Array(16));
      assert.throws(() => sock.recvmmsg('4' as unknown as number), (e: unknown) => e instanceof TypeError && e.message === 'count must be a number');
      assert.throws(() => sock.setsockopt(1, 8, 'big' as unknown as number), (e: unknown) => e instanceof TypeError && e.message === 'value must be a number');
    });

    it('readReserve() copies nothing from slots without reserves', function () {
      sock.setRecvSlots(Buffer.alloc(4 * 1024), 1024, new Uint32Array(16));
      const target = Buffer.alloc(8, 0xee);
      assert.equal(sock.readReserve(0, target, 0), 0);
      assert.ok(target.equals(Buffer.alloc(8, 0xee)));
    });
  });

  describe('NativeTransport', function () {
    let t: NativeTransport | undefined;
    let sender: NativeSocket | undefined;
    afterEach(function () {
      t?.close();
      t = undefined;
      sender?.close();
      sender = undefined;
      sinon.restore();
    });

    it('batches with reserves where the kernel\'s limit is known; peeks for a user-space peer or another protocol', function () {
      t = NativeTransport.open();
      assert.equal(t.receiveStrategy, expectedMax() !== undefined ? 'exact-batched' : 'exact-peek');
      t.close();
      t = NativeTransport.open({ peerPort: 4242 });
      assert.equal(t.receiveStrategy, 'exact-peek');
      t.close();
      t = NativeTransport.open({ protocol: NETLINK_ROUTE });
      assert.equal(t.receiveStrategy, 'exact-peek');
      t.close();
      t = NativeTransport.open({ receive: 'peek' });
      assert.equal(t.receiveStrategy, 'exact-peek');
      t.close();
      t = NativeTransport.open({ receive: 'bounded' });
      assert.equal(t.receiveStrategy, 'bounded');
    });

    it('poll(until) hands out a whole batch (16 datagrams) before asking until(); the event loop delivers the rest', async function () {
      t = NativeTransport.open();
      if (t.receiveStrategy !== 'exact-batched') this.skip();
      const { handlers, got } = collect();
      t.start(handlers);
      t.send(Array.from({ length: 40 }, (_, i) => getFamily(i + 1)));
      let asked = 0;
      t.poll(() => ++asked > 0);
      assert.deepEqual([asked, got.data.length], [1, 16]);
      const deadline = Date.now() + 3000;
      while (got.data.length < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(got.data.map((d) => readHdr(d).seq), Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('falls back to peeking when the reserves cannot be mapped, and still answers', async function () {
      // the addon as it is, but its sockets refuse the reserves (as mmap would under RLIMIT_AS)
      const addon = loadAddon()!;
      class NoReserve extends (addon.NetlinkSocket as unknown as new (...a: unknown[]) => NativeSocket) {
        override setRecvSlots(area: Uint8Array, size: number, meta: Uint32Array, reserve?: number): void {
          if (reserve) throw Object.assign(new Error('mmap ENOMEM'), { code: 'ENOMEM', errno: -12, syscall: 'mmap' });
          super.setRecvSlots(area, size, meta);
        }
      }
      sinon.stub(addonModule, 'loadAddon').returns({ ...addon, NetlinkSocket: NoReserve as unknown as typeof addon.NetlinkSocket });
      const g = await GenericNetlink.open();
      try {
        assert.equal((g.connection.transport as NativeTransport).receiveStrategy, 'exact-peek');
        assert.equal((await g.family('nlctrl')).id, GENL_ID_CTRL);
      } finally {
        await g.close();
      }
    });

    describe('datagrams longer than a slot (from a user-space sender)', function () {
      beforeEach(function () {
        if (!isRoot() || expectedMax() === undefined) this.skip();
        const addon = loadAddon()!;
        sender = new addon.NetlinkSocket(NETLINK_GENERIC, null, new Uint32Array(2), Buffer.alloc(64));
        sender.bind(0, 0);
        // above net.core.wmem_max: needs CAP_NET_ADMIN
        sender.setsockopt(addon.constants.SOL_SOCKET, addon.constants.SO_SNDBUFFORCE, 16 << 20);
      });

      it('arrive whole and in order, several in one batch, each through its own slot\'s reserve', function () {
        t = NativeTransport.open({ rcvbuf: 16 << 20 });
        assert.equal(t.receiveStrategy, 'exact-batched');
        const { handlers, got } = collect();
        t.start(handlers);
        const sizes = [100_000, 20, 1_500_000, 65_536, 65_537, 70_000, 3_000_000];
        const sent = sizes.map((n, i) => patterned(n, i + 1));
        for (const d of sent) sender!.sendmsg([d], t.localPort, 0);
        t.poll();
        assert.deepEqual(got.data.map((d) => d.length), sizes);
        got.data.forEach((d, i) => assert.ok(d.equals(sent[i]!), `datagram ${i} (${sizes[i]} bytes) differs`));
        assert.deepEqual(got.from.map((f) => f.port), sizes.map(() => sender!.getsockname().port));
        assert.deepEqual(got.truncated, []);
      });

      it('one longer than slot and reserve together is reported truncated, never handed out; what follows is read', function () {
        t = NativeTransport.open({ rcvbuf: 16 << 20 });
        const { handlers, got } = collect();
        t.start(handlers);
        const max = expectedMax()!;
        sender!.sendmsg([patterned(max + 4096, 9)], t.localPort, 0);
        sender!.sendmsg([patterned(200, 10)], t.localPort, 0);
        t.poll();
        assert.deepEqual(got.truncated, [[9, max + 4096]]);
        assert.deepEqual(got.data.map((d) => readHdr(d).seq), [10]);
      });
    });

    it('sendAndPoll: one call into the addon sends and reads; sent() comes before the first datagram', function () {
      t = NativeTransport.open();
      const order: string[] = [];
      t.start({ ...collect().handlers, message: (d) => void order.push(`message ${readHdr(d).seq}`) });
      t.sendAndPoll([getFamily(7)], () => order.push('sent'));
      assert.deepEqual(order, ['sent', 'message 7']);
    });

    it('sendAndPoll: a failed send throws and sent() is not called', function () {
      t = NativeTransport.open();
      t.start(collect().handlers);
      let sent = false;
      // a peer port nobody holds: the kernel refuses with ECONNREFUSED
      const lonely = NativeTransport.open({ peerPort: 0x7ffffff0 });
      try {
        lonely.start(collect().handlers);
        assert.throws(() => lonely.sendAndPoll([getFamily(1)], () => (sent = true)), (e: unknown) => (e as { syscall?: string }).syscall === 'sendmsg');
        assert.equal(sent, false);
      } finally {
        lonely.close();
      }
    });

    it('sendAndPoll: an overrun met by its read (the send went out) is an overrun, and reading goes on', function () {
      t = NativeTransport.open({ rcvbuf: 0 });
      if (t.receiveStrategy !== 'exact-batched') this.skip();
      let overruns = 0;
      const seqs: number[] = [];
      t.start({ message: (d) => void seqs.push(readHdr(d).seq), overrun: () => void overruns++, error: (e) => assert.fail(e) });
      // 200 requests in one datagram, nothing read: the replies overrun the receive buffer
      t.send([Buffer.concat(Array.from({ length: 200 }, (_, i) => getFamily(i + 1)))]);
      let sent = false;
      t.sendAndPoll([getFamily(1000)], () => (sent = true));
      assert.equal(sent, true);
      assert.ok(overruns >= 1, 'the overrun was reported');
      assert.ok(seqs.length > 0, 'what was queued was read after it');
      // (the answer to 1000 was lost too: the buffer was full when the kernel made it)
      seqs.length = 0;
      t.sendAndPoll([getFamily(1001)], () => undefined);
      assert.deepEqual(seqs, [1001]);
    });

    it('reads the kernel\'s own answers too: 40 requests in one send, 40 replies', function () {
      t = NativeTransport.open();
      const { handlers, got } = collect();
      t.start(handlers);
      const reqs = Array.from({ length: 40 }, (_, i) => getFamily(i + 1));
      t.send(reqs);
      t.poll();
      assert.deepEqual(got.data.map((d) => [readHdr(d).type, readHdr(d).seq]), reqs.map((_, i) => [GENL_ID_CTRL, i + 1]));
    });
  });
});
