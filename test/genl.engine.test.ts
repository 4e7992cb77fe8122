/**
 * The request engine (src/genl/connection.ts) on a fake kernel (test/helpers/fake-kernel.ts):
 * sequence numbers, batching, ACKs, dumps (array and stream), ext-ack errors, interrupted
 * dumps, dropped datagrams, timeouts, aborts, close, overruns, send errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import sinon from 'sinon';
import { decodeAttrs } from '../src/attrs/decode';
import { encodeAttrs } from '../src/attrs/encode';
import { defineAttrSet, Encodable } from '../src/attrs/schema';
import { Connection, DumpSpec, MAX_BATCH, Notification, SendError } from '../src/genl/connection';
import { AbortError, ClosedError, DumpInterruptedError, KernelError, KernelErrorInfo, OverrunError, TimeoutError } from '../src/genl/errors';
import { finishRequest, genlAttrsStart, NlMsg, startRequest } from '../src/genl/message';
import { cat, nla, nlmsg, u32 } from './helpers/bytes';
import {
  ack, done, errorReply, FakeKernel, FakeRequest, Handler, multipart, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI,
  NLM_F_REQUEST, NLMSG_NOOP, NLMSG_OVERRUN, replyMsg,
} from './helpers/fake-kernel';
import { fakeConnections, tick, track } from './helpers/engine';

const FAMILY = 0x20;

const valueAttrs = defineAttrSet('value', { v: { id: 1, type: 'u32' } });

const fnAttrs = defineAttrSet('port-function', {
  hwAddr: { id: 1, type: 'binary' },
  state: { id: 2, type: 'u8' },
});
const portAttrs = defineAttrSet('devlink', {
  busName: { id: 1, type: 'string' },
  devName: { id: 2, type: 'string' },
  portIndex: { id: 3, type: 'u32' },
  portFunction: { id: 145, type: 'nest', nested: () => fnAttrs },
});

/** A request carrying one u32 (attribute 1) the fake can echo. */
function msgOf(v: number, dump = false): Buffer {
  const w = startRequest(FAMILY, NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0), 1, 1);
  encodeAttrs(valueAttrs, { v }, w);
  return Buffer.from(finishRequest(w));
}

function spec(v: number, extra: Partial<DumpSpec> = {}): DumpSpec {
  return { msg: msgOf(v, false), op: `test get ${v}`, ...extra };
}

function dumpSpec(v: number, extra: Partial<DumpSpec> = {}): DumpSpec {
  return { msg: msgOf(v, true), op: `test dump ${v}`, ...extra };
}

/** The u32 a request carries, read by hand (attrs start after nlmsghdr + genlmsghdr). */
function reqValue(r: FakeRequest): number {
  return r.attrs.readUInt32LE(4);
}

function value(m: NlMsg): number | undefined {
  return decodeAttrs(valueAttrs, m.buf, genlAttrsStart(m), m.offset + m.length).v;
}

const isDump = (r: FakeRequest): boolean => (r.flags & NLM_F_DUMP) === NLM_F_DUMP;

/** Echo: a request gets one reply carrying its value and an ACK; a dump gets value..value+2 over 2 datagrams. */
const echo: Handler = (r) => {
  const v = reqValue(r);
  if (isDump(r)) return multipart(r, [[nla(1, u32(v))], [nla(1, u32(v + 1))], [nla(1, u32(v + 2))]], { batches: 2 });
  return [replyMsg(r, [nla(1, u32(v))]), ack(r)];
};


function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

describe('genl: the request engine on a fake kernel', () => {
  const { open, closeAll } = fakeConnections(echo);

  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await closeAll();
    await tick();
    await tick();
    assert.deepEqual(unhandled, [], 'an unhandled rejection fired');
  });

  describe('sequence numbers', () => {
    // the counter lives in the connection's book of calls (src/genl/calls.ts)
    const seqOf = (c: Connection): { seq: number } => (c as unknown as { calls: { seq: number } }).calls;

    it('start at 1 and count up, per connection', async () => {
      const a = open();
      const b = open();
      await a.c.request(spec(1));
      await a.c.request(spec(2));
      await b.c.request(spec(3));
      assert.deepEqual(a.k.requests.map((r) => r.seq), [1, 2]);
      assert.deepEqual(b.k.requests.map((r) => r.seq), [1]);
    });

    it('wrap after 0xffffffff to 1, never 0', async () => {
      const { k, c } = open();
      seqOf(c).seq = 0xfffffffe;
      const replies = await Promise.all([c.request(spec(1)), c.request(spec(2)), c.request(spec(3))]);
      assert.deepEqual(k.requests.map((r) => r.seq), [0xffffffff, 1, 2]);
      assert.deepEqual(replies.map((r) => value(r[0])), [1, 2, 3]);
    });

    it('skip a number still pending', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const first = c.request(spec(10)); // seq 1, unanswered for now
      await tick();
      seqOf(c).seq = 0xffffffff;
      const second = c.request(spec(20));
      await tick();
      assert.deepEqual(k.requests.map((r) => r.seq), [1, 2]);
      k.deliver();
      assert.equal(value((await first)[0]), 10);
      assert.equal(value((await second)[0]), 20);
    });

    it('200 requests in flight, answered in shuffled order, each gets its own reply', async () => {
      // each answer is one datagram (reply + ACK): the kernel keeps a request's own messages in order
      const { k, c } = open({ delivery: 'manual', handler: (r) => cat(replyMsg(r, [nla(1, u32(reqValue(r)))]), ack(r)) });
      const calls = Array.from({ length: 200 }, (_, i) => c.request(spec(i)));
      await tick();
      assert.equal(k.requests.length, 200);
      assert.equal(new Set(k.requests.map((r) => r.seq)).size, 200);
      assert.equal(k.deliverShuffled(rng(7)), 200);
      const replies = await Promise.all(calls);
      replies.forEach((r, i) => {
        assert.equal(r.length, 1);
        assert.equal(value(r[0]), i);
      });
      assert.equal(c.stats.droppedSeq, 0);
    });
    it('a number whose table slot is held by a long-pending call is skipped; both calls get their answers', async () => {
      // value 1 goes unanswered until the end; everything else is echoed at once
      const { k, c } = open({ handler: (r) => (reqValue(r) === 1 ? undefined : echo(r, k)) });
      const slow = c.request(spec(1)); // seq 1 stays pending while 600 others come and go
      for (let i = 0; i < 600; i++) assert.equal(value((await c.request(spec(100 + i)))[0]), 100 + i);
      const seqs = k.requests.map((r) => r.seq);
      assert.equal(new Set(seqs).size, seqs.length, 'no sequence number handed out twice');
      assert.ok(!seqs.includes(257), 'seq 257 shares seq 1\'s slot (256 slots) and is skipped');
      assert.ok(seqs.includes(256) && seqs.includes(258));
      k.inject(cat(replyMsg(k.requests[0], [nla(1, u32(1))]), ack(k.requests[0])));
      assert.equal(value((await slow)[0]), 1);
      assert.equal(c.stats.droppedSeq, 0);
    });

    it('the table grows past its first 256 slots: 1,000 calls in flight, each matched', async () => {
      const { k, c } = open({ delivery: 'manual', handler: (r) => cat(replyMsg(r, [nla(1, u32(reqValue(r)))]), ack(r)) });
      const calls = Array.from({ length: 1000 }, (_, i) => c.request(spec(i)));
      await tick();
      assert.equal(new Set(k.requests.map((r) => r.seq)).size, 1000);
      k.deliverShuffled(rng(11));
      (await Promise.all(calls)).forEach((r, i) => assert.equal(value(r[0]), i));
    });

    it('the caller\'s message is not changed: the sequence number goes into the engine\'s copy', async () => {
      const { k, c } = open();
      const s = spec(4);
      const before = Buffer.from(s.msg);
      await c.request(s);
      await c.request(s);
      assert.deepEqual(s.msg, before);
      assert.deepEqual(k.requests.map((r) => r.seq), [1, 2]);
    });
  });

  describe('batching', () => {
    for (const n of [1, 31, 32, 33, 100, 200]) {
      it(`${n} requests made in the same tick go out in ${Math.ceil(n / MAX_BATCH)} sends`, async () => {
        const { k, c } = open();
        await Promise.all(Array.from({ length: n }, (_, i) => c.request(spec(i))));
        assert.equal(k.sends.length, Math.ceil(n / MAX_BATCH));
        assert.ok(k.sends.every((s, i) => s === Math.min(MAX_BATCH, n - i * MAX_BATCH)));
        assert.equal(c.stats.sends, k.sends.length);
        assert.equal(c.stats.sent, n);
      });
    }

    it('after each send of a burst the socket is read until that send is answered, not the calls still queued', async () => {
      const { k, c } = open();
      const done: boolean[] = [];
      const t = k as FakeKernel & { sendAndPoll?: (b: readonly Buffer[], sent: () => void, until?: () => boolean) => void };
      t.sendAndPoll = (bufs, sent, until) => {
        k.send(bufs);
        sent();
        k.poll();
        // what the engine tells the transport once this send's answers are read: stop (no read of an empty socket)
        done.push(until!());
      };
      await Promise.all(Array.from({ length: 100 }, (_, i) => c.request(spec(i))));
      assert.deepEqual(done, [true, true, true, true]);
    });

    it('requests made in different ticks go out in different sends', async () => {
      const { k, c } = open();
      await c.request(spec(1));
      await c.request(spec(2));
      assert.deepEqual(k.sends, [1, 1]);
    });
  });

  describe('requests and ACKs', () => {
    it('an ACK alone resolves with no messages', async () => {
      const { c } = open({ handler: (r) => ack(r) });
      assert.deepEqual(await c.request(spec(1)), []);
    });

    it('replies before the ACK are returned, in order; NOOP and OVERRUN messages are ignored', async () => {
      const { c } = open({
        handler: (r) => [
          cat(replyMsg(r, [nla(1, u32(1))]), nlmsg({ type: NLMSG_NOOP, seq: r.seq })),
          cat(nlmsg({ type: NLMSG_OVERRUN, seq: r.seq }), replyMsg(r, [nla(1, u32(2))]), ack(r)),
        ],
      });
      const r = await c.request(spec(0));
      assert.deepEqual(r.map(value), [1, 2]);
    });

    it('replies delivered later from the event loop (no synchronous poll)', async () => {
      const { c } = open({ delivery: 'immediate' });
      const r = await Promise.all([c.request(spec(5)), c.request(spec(6))]);
      assert.deepEqual(r.map((x) => value(x[0])), [5, 6]);
    });
  });

  describe('oneReply requests', () => {
    it('go out without NLM_F_ACK (the caller\'s flags kept otherwise) and finish at their one reply', async () => {
      const { k, c } = open({ handler: (r) => (r.flags & NLM_F_ACK ? echo(r, k) : replyMsg(r, [nla(1, u32(reqValue(r)))])) });
      const [a, b] = await Promise.all([c.request(spec(7, { oneReply: true })), c.request(spec(8))]);
      assert.deepEqual(a.map(value), [7]);
      assert.deepEqual(b.map(value), [8]);
      assert.equal(k.requests[0].flags, NLM_F_REQUEST);
      assert.equal(k.requests[1].flags, NLM_F_REQUEST | NLM_F_ACK);
      assert.equal(k.sends.length, 1, 'both in one send');
      assert.equal(c.stats.droppedSeq, 0);
    });

    it('an error instead of the reply rejects with the kernel error', async () => {
      const { c } = open({ handler: (r) => errorReply(r, 2, { msg: 'no such thing' }) });
      await assert.rejects(c.request(spec(1, { oneReply: true })),
        (e: unknown) => e instanceof KernelError && e.errno === 2 && e.extMessage === 'no such thing');
    });

    it('a reply and an ACK anyway (a peer that acks regardless): the ACK is dropped as unknown', async () => {
      const { c } = open();
      assert.deepEqual((await c.request(spec(3, { oneReply: true }))).map(value), [3]);
      assert.equal(c.stats.droppedSeq, 1);
    });
  });

  describe('requestDecoded', () => {
    it('resolves with what decode() made of the replies', async () => {
      const { c } = open();
      const v = await c.requestDecoded({ ...spec(41), decode: (rs) => rs.map(value) });
      assert.deepEqual(v, [41]);
    });

    it('a throwing decode() rejects the call with its error, and onError hears of it first', async () => {
      const { c } = open();
      const seen: unknown[] = [];
      const boom = new Error('cannot decode');
      const p = c.requestDecoded({ ...spec(1), decode: () => { throw boom; }, onError: (e) => seen.push(e) });
      await assert.rejects(p, (e: unknown) => e === boom);
      assert.deepEqual(seen, [boom]);
    });

    it('onError hears of a kernel refusal, a timeout and an abort; decode() is not called', async () => {
      const seen: string[] = [];
      const decode = (): never => assert.fail('decode() called');
      const onError = (e: unknown): void => void seen.push((e as Error).name);
      const refused = open({ handler: (r) => errorReply(r, 22) });
      await assert.rejects(refused.c.requestDecoded({ ...spec(1), decode, onError }), KernelError);
      const quiet = open({ delivery: 'manual' });
      await assert.rejects(quiet.c.requestDecoded({ ...spec(2, { timeoutMs: 5 }), decode, onError }), TimeoutError);
      const ac = new AbortController();
      const aborted = quiet.c.requestDecoded({ ...spec(3), signal: ac.signal, decode, onError });
      ac.abort();
      await assert.rejects(aborted, AbortError);
      assert.deepEqual(seen, ['KernelError', 'TimeoutError', 'AbortError']);
    });
  });

  describe('dumps', () => {
    const ten: Handler = (r) => multipart(r, Array.from({ length: 10 }, (_, i) => [nla(1, u32(reqValue(r) + i))]), { batches: 4 });

    it('dump(): every message, from several datagrams, in order', async () => {
      const { c } = open({ handler: ten });
      const r = await c.dump(dumpSpec(100));
      assert.deepEqual(r.map(value), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
      assert.equal(c.stats.received, 4);
    });

    it('dump() with delivery from the event loop, one datagram per turn', async () => {
      const { c } = open({ handler: ten, delivery: 'immediate' });
      assert.equal((await c.dump(dumpSpec(0))).length, 10);
    });

    it('dumpStream(): messages as they arrive', async () => {
      const { k, c } = open({ handler: ten, delivery: 'manual' });
      const got: number[] = [];
      const it_ = c.dumpStream(dumpSpec(0));
      const consume = (async () => {
        for await (const m of it_) got.push(value(m)!);
      })();
      await tick();
      k.deliver(1);
      await tick();
      assert.deepEqual(got, [0, 1, 2]);
      k.deliver();
      await consume;
      assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('break out of dumpStream mid-dump: the rest is swallowed, the next dump waits for DONE and then works', async () => {
      const { k, c } = open({ handler: ten, delivery: 'manual' });
      const got: number[] = [];
      const stream = c.dumpStream(dumpSpec(0));
      const consume = (async () => {
        for await (const m of stream) {
          got.push(value(m)!);
          if (got.length === 2) break;
        }
      })();
      await tick();
      k.deliver(1);
      await consume;
      assert.deepEqual(got, [0, 1]);
      const next = c.dump(dumpSpec(50));
      await tick();
      assert.equal(k.requests.length, 1, 'the second dump waits for the first one\'s DONE');
      k.deliver(); // the rest of the first dump: swallowed
      assert.equal(c.stats.droppedSeq, 0);
      await tick();
      assert.equal(k.requests.length, 2);
      k.deliver();
      const second = await next;
      assert.deepEqual(second.map(value), [50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    });

    it('only one dump on the wire at a time; plain requests pass freely', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const d1 = c.dump(dumpSpec(10));
      const d2 = c.dump(dumpSpec(20));
      const r = c.request(spec(1));
      await tick();
      assert.deepEqual(k.requests.map((x) => [isDump(x), reqValue(x)]), [[true, 10], [false, 1]]);
      k.deliver();
      assert.deepEqual((await d1).map(value), [10, 11, 12]);
      assert.equal(value((await r)[0]), 1);
      await tick();
      assert.deepEqual(k.requests.map(reqValue), [10, 1, 20]);
      k.deliver();
      assert.deepEqual((await d2).map(value), [20, 21, 22]);
    });

    it('an ACK inside a dump does not end it', async () => {
      const { c } = open({ handler: (r) => [ack(r), ...multipart(r, [[nla(1, u32(1))]])] });
      assert.deepEqual((await c.dump(dumpSpec(0))).map(value), [1]);
    });

    it('DONE without an error field ends the dump', async () => {
      const { c } = open({ handler: (r) => multipart(r, [[nla(1, u32(3))]], { done: nlmsg({ type: 3, flags: NLM_F_MULTI, seq: r.seq }) }) });
      assert.deepEqual((await c.dump(dumpSpec(0))).map(value), [3]);
    });
  });

  describe('kernel errors', () => {
    /** busName 20..28, devName 28..48, portIndex 48..56, portFunction 56..80 (hwAddr 60..72, state 72..80). */
    function portRequest(): Buffer {
      const w = startRequest(FAMILY, NLM_F_REQUEST | NLM_F_ACK, 7, 1);
      const v: Encodable<typeof portAttrs.defs> = {
        busName: 'pci', devName: '0000:06:00.0', portIndex: 1, portFunction: { hwAddr: Buffer.from('020000000001', 'hex'), state: 1 },
      };
      encodeAttrs(portAttrs, v, w);
      const b = Buffer.from(finishRequest(w));
      assert.equal(b.length, 80);
      return b;
    }

    async function refused(handler: Handler, extra: Partial<DumpSpec> = {}, dump = false): Promise<KernelError> {
      const { c } = open({ handler });
      const s: DumpSpec = { msg: portRequest(), op: 'devlink port-new', attrs: portAttrs, ...extra };
      const err = await (dump ? c.dump(s) : c.request(s)).then(
        () => assert.fail('should have been refused'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof KernelError, String(err));
      return err;
    }

    it('NLMSG_ERROR with errno only', async () => {
      const e = await refused((r) => errorReply(r, 17));
      assert.equal(e.errno, 17);
      assert.equal(e.code, 'EEXIST');
      assert.equal(e.extMessage, undefined);
      assert.equal(e.attrPath, undefined);
      assert.equal(e.op, 'devlink port-new');
      assert.equal(e.seq, 1);
      assert.equal(e.message, 'devlink port-new: File exists (EEXIST)');
    });

    for (const capped of [true, false]) {
      it(`ext-ack message and offset resolved to an attribute path (${capped ? 'NLM_F_CAPPED' : 'uncapped: request echoed'})`, async () => {
        const e = await refused((r) => errorReply(r, 22, { capped, msg: 'invalid hw address', offs: 60, cookie: [1, 2, 3, 4] }));
        assert.equal(e.errno, 22);
        assert.equal(e.code, 'EINVAL');
        assert.equal(e.extMessage, 'invalid hw address');
        assert.equal(e.offset, 60);
        assert.equal(e.attrPath, '.port-function.hw-addr');
        assert.deepEqual(e.cookie, Buffer.from([1, 2, 3, 4]));
        assert.equal(e.message, 'invalid hw address: devlink port-new: Invalid argument (EINVAL) [attribute .port-function.hw-addr]');
      });
    }

    it('offsets at each attribute of the request', async () => {
      const expect: [number, string | undefined][] = [
        [20, '.bus-name'], [30, '.dev-name'], [48, '.port-index'], [56, '.port-function'], [72, '.port-function.state'],
        [4, undefined], [200, undefined],
      ];
      for (const [offs, path] of expect) {
        const e = await refused((r) => errorReply(r, 22, { offs }));
        assert.equal(e.attrPath, path, `offset ${offs}`);
      }
    });

    it('without the request\'s attribute set, the path names the attribute by number', async () => {
      const e = await refused((r) => errorReply(r, 22, { offs: 72 }), { attrs: undefined });
      assert.equal(e.attrPath, '.attr-145');
    });

    it('NLMSGERR_ATTR_MISS_TYPE at the top level: missingAttr, missingNest ""', async () => {
      const e = await refused((r) => errorReply(r, 22, { msg: 'Missing attribute', missType: 3 }));
      assert.equal(e.missingType, 3);
      assert.equal(e.missingAttr, 'port-index');
      assert.equal(e.missingNest, '');
      assert.match(e.message, /\[missing attribute port-index\]$/);
    });

    it('NLMSGERR_ATTR_MISS_TYPE + MISS_NEST: the nest path and the name inside it', async () => {
      const e = await refused((r) => errorReply(r, 22, { missType: 2, missNest: 56, capped: false }));
      assert.equal(e.missingNest, '.port-function');
      assert.equal(e.missingAttr, 'state');
      assert.match(e.message, /\[missing attribute \.port-function\.state\]$/);
    });

    it('makeError builds the error the caller branches on', async () => {
      class PortError extends KernelError {}
      const e = await refused((r) => errorReply(r, 16), { makeError: (i: KernelErrorInfo) => new PortError(i) });
      assert.ok(e instanceof PortError);
      assert.equal(e.errno, 16);
    });

    it('DONE carrying an error and ext-ack rejects the dump with KernelError', async () => {
      const e = await refused(
        (r) => multipart(r, [[nla(1, u32(1))]], { done: done(r, { errno: 95, msg: 'dump not supported here', offs: 20 }) }),
        {},
        true,
      );
      assert.equal(e.errno, 95);
      assert.equal(e.code, 'EOPNOTSUPP');
      assert.equal(e.extMessage, 'dump not supported here');
      assert.equal(e.attrPath, '.bus-name');
    });

    it('NLMSG_ERROR during a dump rejects it and frees the dump slot', async () => {
      const { c } = open({ handler: (r, kk) => (reqValue(r) === 1 ? errorReply(r, 1, { msg: 'nope' }) : echo(r, kk)) });
      const d1 = c.dump(dumpSpec(1));
      const d2 = c.dump(dumpSpec(2));
      await assert.rejects(d1, (e: unknown) => e instanceof KernelError && e.errno === 1 && e.code === 'EPERM' && e.extMessage === 'nope');
      assert.deepEqual((await d2).map(value), [2, 3, 4]);
    });

    it('dumpStream: messages before the error are yielded, then the loop throws', async () => {
      const { c } = open({ handler: (r) => multipart(r, [[nla(1, u32(1))], [nla(1, u32(2))]], { done: done(r, { errno: 22, msg: 'bad' }), batches: 2 }) });
      const got: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const m of c.dumpStream(dumpSpec(0))) got.push(value(m)!);
        })(),
        (e: unknown) => e instanceof KernelError && e.extMessage === 'bad',
      );
      assert.deepEqual(got, [1, 2]);
    });
  });

  describe('interrupted dumps (NLM_F_DUMP_INTR)', () => {
    function interrupting(times: number): Handler {
      let n = 0;
      return (r) => {
        const intr = n++ < times;
        return multipart(r, [[nla(1, u32(n * 100))], [nla(1, u32(n * 100 + 1))]], { intr, batches: 2 });
      };
    }

    it('reject with DumpInterruptedError by default', async () => {
      const { k, c } = open({ handler: interrupting(1) });
      await assert.rejects(c.dump(dumpSpec(0)), (e: unknown) => e instanceof DumpInterruptedError && e.attempts === 1 && e.code === 'EINTR');
      assert.equal(k.requests.length, 1);
    });

    it('retryInterrupted: 2 re-runs the dump; it succeeds once the kernel stops interrupting, with only the last run\'s messages', async () => {
      const { k, c } = open({ handler: interrupting(2) });
      const r = await c.dump(dumpSpec(0, { retryInterrupted: 2 }));
      assert.deepEqual(r.map(value), [300, 301]);
      assert.equal(k.requests.length, 3);
      assert.equal(new Set(k.requests.map((x) => x.seq)).size, 3);
    });

    it('retryInterrupted: 2 gives up after three interrupted runs', async () => {
      const { k, c } = open({ handler: interrupting(10) });
      await assert.rejects(c.dump(dumpSpec(0, { retryInterrupted: 2 })), (e: unknown) => e instanceof DumpInterruptedError && e.attempts === 3);
      assert.equal(k.requests.length, 3);
    });

    it('the flag on DONE alone counts', async () => {
      const { c } = open({ handler: (r) => multipart(r, [[nla(1, u32(1))]], { done: done(r, { intr: true }) }) });
      await assert.rejects(c.dump(dumpSpec(0)), DumpInterruptedError);
    });

    it('a retried dump still shares the socket with a queued one: both complete', async () => {
      const { k, c } = open({ handler: (r, kk) => (reqValue(r) === 1 ? interruptOnce(r) : echo(r, kk)) });
      let once = false;
      function interruptOnce(r: FakeRequest): Buffer[] {
        const intr = !once;
        once = true;
        return multipart(r, [[nla(1, u32(1))]], { intr });
      }
      const d1 = c.dump(dumpSpec(1, { retryInterrupted: 1 }));
      const d2 = c.dump(dumpSpec(7));
      assert.deepEqual((await d1).map(value), [1]);
      assert.deepEqual((await d2).map(value), [7, 8, 9]);
      assert.deepEqual(k.requests.map(reqValue).sort(), [1, 1, 7]);
    });

    it('dumpStream is not retried: the loop throws DumpInterruptedError', async () => {
      const { c } = open({ handler: interrupting(1) });
      await assert.rejects(
        (async () => {
          for await (const m of c.dumpStream(dumpSpec(0, { retryInterrupted: 3 }))) void m;
        })(),
        DumpInterruptedError,
      );
    });
  });

  describe('what the receive loop drops', () => {
    it('datagrams from a port other than transport.peerPort', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const p = c.request(spec(1));
      await tick();
      const [reply, ackMsg] = [replyMsg(k.requests[0], [nla(1, u32(666))]), ack(k.requests[0])];
      k.inject(cat(reply, ackMsg), { port: 1234, group: 0 });
      assert.equal(c.stats.droppedSender, 1);
      assert.equal(c.stats.received, 0);
      k.deliver();
      assert.equal(value((await p)[0]), 1);
    });

    it('replies with a sequence number nobody waits for', async () => {
      const { k, c } = open();
      await c.request(spec(1));
      k.inject(replyMsg(k.requests[0], [nla(1, u32(1))]));
      k.inject(cat(replyMsg({ ...k.requests[0], seq: 999 }, []), ack({ ...k.requests[0], seq: 998 })));
      assert.equal(c.stats.droppedSeq, 3);
    });

    it('malformed datagrams are counted; whole messages before the damage still count', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const p = c.request(spec(4));
      await tick();
      k.inject(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
      assert.equal(c.stats.malformed, 1);
      const r = k.requests[0];
      const broken = Buffer.from(ack(r));
      broken.writeUInt32LE(200, 0);
      k.inject(cat(replyMsg(r, [nla(1, u32(4))]), broken));
      assert.equal(c.stats.malformed, 2);
      // a short NLMSG_ERROR is malformed too
      k.inject(nlmsg({ type: 2, seq: r.seq }, u32(0)));
      assert.equal(c.stats.malformed, 3);
      k.inject(ack(r));
      assert.deepEqual((await p).map(value), [4]);
    });

    it('sequence 0 and multicast messages go to subscribers, not to requests', async () => {
      const { k, c } = open();
      const sub = c.subscribe();
      const note = nlmsg({ type: FAMILY, seq: 0 }, cat([9, 1, 0, 0], nla(1, u32(77))));
      k.inject(note);
      k.inject(note, { port: 0, group: 3 });
      const a = (await sub.next()).value as Notification;
      const b = (await sub.next()).value as Notification;
      assert.ok(a.kind === 'message' && a.group === 0 && value(a.msg) === 77);
      assert.ok(b.kind === 'message' && b.group === 3);
      await sub.return();
      k.inject(note);
      assert.equal(sub.size, 0);
    });
  });

  describe('timeouts', () => {
    let clock: sinon.SinonFakeTimers | undefined;
    beforeEach(() => {
      // the engine keeps deadlines on performance.now() and arms one timer for the earliest
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    });
    afterEach(() => {
      clock?.restore();
      clock = undefined;
    });

    it('no answer within timeoutMs: TimeoutError, and the late reply is dropped', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const p = track(c.request(spec(1, { timeoutMs: 500 })));
      await tick();
      clock!.tick(499);
      await tick();
      assert.equal(p.settled, false);
      clock!.tick(1);
      await tick();
      assert.ok(p.error instanceof TimeoutError);
      assert.equal(p.error.timeoutMs, 500);
      assert.equal(p.error.code, 'ETIMEDOUT');
      k.deliver();
      assert.equal(c.stats.droppedSeq, 2);
    });

    it('the connection\'s default timeout applies; 0 disables', async () => {
      const { k, c } = open({ delivery: 'manual', timeoutMs: 1000 });
      const a = track(c.request(spec(1)));
      const b = track(c.request(spec(2, { timeoutMs: 0 })));
      await tick();
      clock!.tick(10 ** 7);
      await tick();
      assert.ok(a.error instanceof TimeoutError);
      assert.equal(b.settled, false);
      k.deliver();
      await tick();
      assert.equal(value((b.value as NlMsg[])[0]), 2);
    });

    it('one timer serves every deadline: a shorter one made later fires first, the longer one still fires', async () => {
      const { c } = open({ delivery: 'manual' });
      const long = track(c.request(spec(1, { timeoutMs: 1000 })));
      await tick();
      const short = track(c.request(spec(2, { timeoutMs: 100 })));
      await tick();
      clock!.tick(100);
      await tick();
      assert.ok(short.error instanceof TimeoutError);
      assert.equal(long.settled, false);
      clock!.tick(899);
      await tick();
      assert.equal(long.settled, false);
      clock!.tick(1);
      await tick();
      assert.ok(long.error instanceof TimeoutError);
    });

    it('the deadlines of calls made in one turn of the event loop take one clock read, at the next turn: late, never early', async () => {
      const { c } = open({ delivery: 'manual' });
      const reads = sinon.spy(performance, 'now');
      try {
        const calls = Array.from({ length: 100 }, (_, i) => track(c.request(spec(i, { timeoutMs: 500 }))));
        assert.equal(reads.callCount, 0);
        // 300 ms of synchronous work before the loop turns: the deadlines count from the turn
        clock!.tick(300);
        await tick();
        assert.equal(reads.callCount, 1);
        clock!.tick(499);
        await tick();
        assert.ok(calls.every((x) => !x.settled));
        clock!.tick(1);
        await tick();
        assert.ok(calls.every((x) => x.error instanceof TimeoutError));
      } finally {
        reads.restore();
      }
    });

    it('a timed-out dump frees the dump slot; a queued dump times out without being sent', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const d1 = track(c.dump(dumpSpec(1, { timeoutMs: 100 })));
      const d2 = track(c.dump(dumpSpec(2, { timeoutMs: 50 })));
      const d3 = track(c.dump(dumpSpec(3, { timeoutMs: 1000 })));
      await tick();
      clock!.tick(50);
      await tick();
      assert.ok(d2.error instanceof TimeoutError);
      clock!.tick(50);
      await tick();
      assert.ok(d1.error instanceof TimeoutError);
      assert.deepEqual(k.requests.map(reqValue), [1, 3]);
      k.deliver(); // d1's late answer (3 messages and DONE) is dropped, d3's is taken
      assert.equal(c.stats.droppedSeq, 4);
      await tick();
      assert.deepEqual((d3.value as NlMsg[]).map(value), [3, 4, 5]);
    });
  });

  describe('the event loop', () => {
    it('a caller awaiting request after request (answered inside the send) still lets timers and immediates run', async () => {
      const { c } = open();
      let i = 0;
      let immediateAt = -1;
      let timerAt = -1;
      setImmediate(() => (immediateAt = i));
      setTimeout(() => (timerAt = i), 0);
      for (; i < 2000; i++) await c.request(spec(i));
      assert.ok(immediateAt >= 0 && immediateAt < 200, `the immediate ran after call ${immediateAt}`);
      assert.ok(timerAt >= 0 && timerAt < 400, `the timer ran after call ${timerAt}`);
    });
  });

  describe('what the engine keeps reachable', () => {
    it('the value of a call it has settled: not kept (the last promise\'s resolving functions are let go)', function () {
      this.timeout(20_000);
      const script = `
        const { Connection } = require(${JSON.stringify(require.resolve('../src/genl/connection'))});
        const { FakeKernel, ack } = require(${JSON.stringify(require.resolve('./helpers/fake-kernel'))});
        const { startRequest, finishRequest } = require(${JSON.stringify(require.resolve('../src/genl/message'))});
        const c = new Connection(new FakeKernel({ handler: (r) => ack(r) }));
        (async () => {
          let replies = await c.request({ msg: finishRequest(startRequest(0x20, 5, 1, 1)), op: 'test' });
          const ref = new WeakRef(replies);
          replies = undefined;
          await c.close();
          await new Promise((r) => setTimeout(r, 10));
          global.gc();
          console.log(ref.deref() === undefined ? 'collected' : 'kept');
        })();
      `;
      const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'collected');
    });
    it('calls settled before the event loop turns: the deadline timer lets go of them (a loop of awaited calls answered inside their sends)',
      async () => {
        // The timer stamps calls at the loop's next turn; it once held every call made until then, with its value (a
        // whole dump), so a loop of awaited dumps kept them all. White-box: a WeakRef's target stays alive to the end of
        // the job, and this loop is one job, so the test reads the timer's list instead.
        const { c } = open();
        const held = (): number => (c as unknown as { deadlines: { unstamped: unknown[] } }).deadlines.unstamped.length;
        for (let i = 0; i < 3000; i++) await c.request(spec(i, { timeoutMs: 60_000 }));
        assert.ok(held() <= 1, `the timer holds ${held()} calls after 3,000 awaited ones`);
        // bursts of 50 in flight: compacted when the list reaches 1,024
        for (let i = 0; i < 100; i++) await Promise.all(Array.from({ length: 50 }, (_, k) => c.request(spec(k, { timeoutMs: 60_000 }))));
        assert.ok(held() <= 1024, `the timer holds ${held()} calls after 100 bursts of 50`);
      });
  });

  describe('the deadline timer and the process', () => {
    it('an idle connection does not hold the process up: it exits as soon as its last call is answered', function () {
      this.timeout(20_000);
      // a connection on the fake kernel (no socket, no other handle): only the engine's timer could keep node running
      const script = `
        const { Connection } = require(${JSON.stringify(require.resolve('../src/genl/connection'))});
        const { FakeKernel, ack } = require(${JSON.stringify(require.resolve('./helpers/fake-kernel'))});
        const c = new Connection(new FakeKernel({ handler: (r) => ack(r) }), { timeoutMs: 60000 });
        const { startRequest, finishRequest } = require(${JSON.stringify(require.resolve('../src/genl/message'))});
        c.request({ msg: finishRequest(startRequest(0x20, 5, 1, 1)), op: 'test' }).then(() => console.log('answered'));
      `;
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'answered');
      assert.ok(Date.now() - t0 < 10_000, `the process took ${Date.now() - t0} ms to exit`);
    });
  });

  describe('AbortSignal', () => {
    it('aborted before the call: AbortError, nothing sent, no listener left', async () => {
      const { k, c } = open();
      const ac = new AbortController();
      ac.abort('user gave up');
      await assert.rejects(c.request(spec(1, { signal: ac.signal })),
        (e: unknown) => e instanceof AbortError && e.cause === 'user gave up' && e.code === 'ABORT_ERR');
      await assert.rejects(c.dump(dumpSpec(1, { signal: ac.signal })), AbortError);
      assert.equal(k.requests.length, 0);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });

    it('aborted during the call: AbortError, no listener left, the late reply dropped', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const ac = new AbortController();
      const remove = sinon.spy(ac.signal, 'removeEventListener');
      const p = c.request(spec(1, { signal: ac.signal }));
      await tick();
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
      ac.abort(new Error('stop'));
      await assert.rejects(p, (e: unknown) => e instanceof AbortError && (e.cause as Error).message === 'stop');
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      assert.ok(remove.called || getEventListeners(ac.signal, 'abort').length === 0);
      k.deliver();
      assert.equal(c.stats.droppedSeq, 2);
    });

    it('aborted while queued in the same tick: never sent', async () => {
      const { k, c } = open();
      const ac = new AbortController();
      const p = c.request(spec(1, { signal: ac.signal }));
      ac.abort();
      await assert.rejects(p, AbortError);
      assert.equal(k.requests.length, 0);
    });

    it('a call that completes removes its listener', async () => {
      const { c } = open();
      const ac = new AbortController();
      await c.request(spec(1, { signal: ac.signal }));
      await c.dump(dumpSpec(1, { signal: ac.signal }));
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      ac.abort(); // nothing happens
    });

    it('a dump aborted mid-way: AbortError; the rest is swallowed, the next dump runs after DONE', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const ac = new AbortController();
      const d1 = c.dump(dumpSpec(1, { signal: ac.signal }));
      const queued = c.dump(dumpSpec(5, { signal: ac.signal }));
      const d2 = c.dump(dumpSpec(10));
      await tick();
      k.deliver(1);
      ac.abort();
      await assert.rejects(d1, AbortError);
      await assert.rejects(queued, AbortError);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      await tick();
      assert.equal(k.requests.length, 1);
      k.deliver();
      assert.equal(c.stats.droppedSeq, 0);
      await tick();
      k.deliver();
      assert.deepEqual((await d2).map(value), [10, 11, 12]);
      assert.deepEqual(k.requests.map(reqValue), [1, 10]);
    });
  });

  describe('close', () => {
    it('rejects every pending call with ClosedError, ends subscribers, closes the transport once', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const r = c.request(spec(1));
      const d1 = c.dump(dumpSpec(2));
      const d2 = c.dump(dumpSpec(3));
      const streamed: number[] = [];
      const stream = (async () => {
        for await (const m of c.dumpStream(dumpSpec(4))) streamed.push(value(m)!);
      })();
      const sub = c.subscribe();
      const subDone = (async () => {
        const got: Notification[] = [];
        for await (const n of sub) got.push(n);
        return got;
      })();
      await tick();
      await c.close();
      for (const p of [r, d1, d2, stream]) await assert.rejects(p, (e: unknown) => e instanceof ClosedError && e.code === 'ERR_NETLINK_CLOSED');
      assert.deepEqual(await subDone, []);
      assert.equal(k.closeCount, 1);
      await c.close();
      assert.equal(k.closeCount, 1);
      assert.ok(c.closed);
    });

    it('calls after close reject with ClosedError; a subscription after close is already ended', async () => {
      const { k, c } = open();
      await c.close();
      await assert.rejects(c.request(spec(1)), ClosedError);
      await assert.rejects(c.dump(dumpSpec(1)), ClosedError);
      await assert.rejects((async () => {
        for await (const m of c.dumpStream(dumpSpec(1))) void m;
      })(), ClosedError);
      assert.deepEqual(await c.subscribe().next(), { value: undefined, done: true });
      assert.equal(k.requests.length, 0);
    });

    it('a transport error closes the connection with the error as the cause', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const r = c.request(spec(1));
      const d = c.dump(dumpSpec(1));
      await tick();
      const cause = Object.assign(new Error('recvmsg failed'), { code: 'EIO' });
      k.fail(cause);
      for (const p of [r, d]) await assert.rejects(p, (e: unknown) => e instanceof ClosedError && e.cause === cause);
      assert.ok(c.closed);
      assert.equal(k.closeCount, 1);
      k.inject(ack(k.requests[0])); // nothing is delivered after close
      assert.equal(c.stats.received, 0);
    });
  });

  describe('overruns (ENOBUFS on receive)', () => {
    it('subscribers receive { kind: "overrun" }', async () => {
      const { k, c } = open();
      const sub = c.subscribe();
      k.overrun();
      assert.deepEqual((await sub.next()).value, { kind: 'overrun' });
      assert.equal(c.stats.overruns, 1);
    });

    it('with peerPort 0, a request sent before the overrun and still unanswered after the drain rejects with OverrunError', async () => {
      // the fake never answers request 1: its reply is the one the overrun lost
      const { k, c } = open({ delivery: 'manual', handler: (r, kk) => (reqValue(r) === 1 ? undefined : echo(r, kk)) });
      const lost = track(c.request(spec(1)));
      const answered = c.request(spec(2));
      const dump = track(c.dump(dumpSpec(3)));
      await tick();
      k.overrun();
      // the reply to request 2 was not lost: it is drained before the check
      k.deliver(2);
      const later = c.request(spec(4));
      await tick();
      await tick();
      assert.ok(lost.error instanceof OverrunError, String(lost.error));
      assert.equal(lost.error.code, 'ENOBUFS');
      assert.equal(value((await answered)[0]), 2);
      assert.equal(dump.settled, false, 'dumps are not declared lost');
      k.deliver();
      assert.equal(value((await later)[0]), 4);
      await tick();
      assert.deepEqual((dump.value as NlMsg[]).map(value), [3, 4, 5]);
    });

    it('with a peer port other than the kernel, requests are not declared lost', async () => {
      const { k, c } = open({ delivery: 'manual', peerPort: 77 });
      const p = track(c.request(spec(1)));
      await tick();
      k.overrun();
      await tick();
      await tick();
      assert.equal(p.settled, false);
      k.deliver();
      await tick();
      assert.equal(value((p.value as NlMsg[])[0]), 1);
    });

    it('a subscriber that stops reading is bounded by notificationLimit: an overrun marker instead of unbounded growth', async () => {
      const { k, c } = open({ notificationLimit: 4 });
      const sub = c.subscribe();
      const note = (v: number): Buffer => nlmsg({ type: FAMILY, seq: 0 }, cat([9, 1, 0, 0], nla(1, u32(v))));
      for (let i = 0; i < 100; i++) k.inject(note(i));
      assert.ok(sub.size <= 5, `queue grew to ${sub.size}`);
      const seen: string[] = [];
      while (sub.size > 0) {
        const n = (await sub.next()).value as Notification;
        seen.push(n.kind === 'message' ? String(value(n.msg)) : n.kind);
      }
      assert.deepEqual(seen, ['0', '1', '2', '3', 'overrun']);
      // reading again: new notifications flow
      k.inject(note(500));
      const n = (await sub.next()).value as Notification;
      assert.ok(n.kind === 'message' && value(n.msg) === 500);
    });
  });

  describe('send errors', () => {
    const enobufs = (): Error => Object.assign(new Error('sendmsg ENOBUFS'), { code: 'ENOBUFS', errno: -105, syscall: 'sendmsg' });

    it('a Node-like error from send(): every call of the batch rejects with SendError carrying code, errno, syscall', async () => {
      const { k, c } = open();
      const err = enobufs();
      k.sendError = err;
      const calls = [c.request(spec(1)), c.request(spec(2)), c.dump(dumpSpec(3))];
      for (const p of calls) {
        await assert.rejects(p, (e: unknown) => {
          assert.ok(e instanceof SendError, String(e));
          assert.equal(e.code, 'ENOBUFS');
          assert.equal(e.errno, -105);
          assert.equal(e.syscall, 'sendmsg');
          assert.equal(e.cause, err);
          assert.match(e.message, /send failed: sendmsg ENOBUFS/);
          return true;
        });
      }
      k.sendError = undefined;
      assert.equal(value((await c.request(spec(5)))[0]), 5);
    });

    it('a transport with sendAndPoll: the engine uses it; a send it refuses rejects the batch, sent() not called', async () => {
      const { k, c } = open();
      let used = 0;
      const t = k as FakeKernel & { sendAndPoll?: (b: readonly Buffer[], sent: () => void, until?: () => boolean) => void };
      t.sendAndPoll = (bufs, sent, until) => {
        used++;
        k.send(bufs); // throws k.sendError, like the addon's sendRecv
        sent();
        k.poll();
        void until;
      };
      assert.equal(value((await c.request(spec(1)))[0]), 1);
      assert.equal(used, 1);
      assert.deepEqual([c.stats.sent, c.stats.sends], [1, 1]);
      k.sendError = enobufs();
      await assert.rejects(c.request(spec(2)), SendError);
      assert.deepEqual([c.stats.sent, c.stats.sends], [1, 1], 'not counted as sent');
      k.sendError = undefined;
      assert.equal(value((await c.request(spec(3)))[0]), 3);
    });

    it('an error thrown by a handler after the send went out is not taken for a failed send', async () => {
      const { k, c } = open({ delivery: 'manual' });
      const boom = new Error('a handler blew up');
      k.poll = () => {
        throw boom;
      };
      // the flush runs in a microtask: its error surfaces as an uncaught exception there
      const mochas = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      const caught: unknown[] = [];
      process.on('uncaughtException', (e) => void caught.push(e));
      try {
        const call = track(c.request(spec(1)));
        await tick();
        assert.deepEqual(caught, [boom]);
        assert.equal(call.settled, false, 'the call is not rejected as a failed send');
        assert.deepEqual([c.stats.sent, c.stats.sends], [1, 1]);
        k.deliver();
        await tick();
        assert.equal(value((call.value as NlMsg[])[0]), 1, 'its answer still arrives');
      } finally {
        process.removeAllListeners('uncaughtException');
        for (const l of mochas) process.on('uncaughtException', l);
      }
    });

    it('an error without Node\'s fields still becomes SendError', async () => {
      const { k, c } = open();
      k.sendError = new Error('plain');
      await assert.rejects(c.request(spec(1)), (e: unknown) => e instanceof SendError && e.code === 'ERR_NETLINK_SEND' && e.errno === undefined);
    });

    it('a dump whose send failed does not hold the dump slot: the next dump goes out', async () => {
      const { k, c } = open({ timeoutMs: 2000 });
      k.sendError = enobufs();
      await assert.rejects(c.dump(dumpSpec(1)), SendError);
      k.sendError = undefined;
      assert.deepEqual((await c.dump(dumpSpec(7))).map(value), [7, 8, 9]);
      assert.deepEqual(k.requests.map(reqValue), [7]);
    });
  });
});
