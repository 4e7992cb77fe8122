/**
 * Dumps decoded as they are read (DumpSpec.each) and datagrams lent by the transport (a
 * view of its receive area, valid only during `message`): the fake kernel lends each
 * datagram and overwrites its area with 0xee as soon as the engine returns, so anything
 * kept without a copy shows up as garbage here. The expected bytes come from
 * test/helpers/bytes.ts, not from the code under test.
 */
import assert from 'node:assert/strict';
import { decodeAttrs } from '../src/attrs/decode';
import { encodeAttrs } from '../src/attrs/encode';
import { defineAttrSet } from '../src/attrs/schema';
import { Connection, DumpSpec, Notification } from '../src/genl/connection';
import { DumpInterruptedError, KernelError } from '../src/genl/errors';
import { finishRequest, genlAttrsStart, NlMsg, startRequest } from '../src/genl/message';
import { genlmsg, nla, u32 } from './helpers/bytes';
import { done, errorReply, FakeKernel, FakeRequest, multipart, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from './helpers/fake-kernel';

const FAMILY = 0x20;
const valueAttrs = defineAttrSet('value', { v: { id: 1, type: 'u32' }, name: { id: 2, type: 'string' } });

function dumpMsg(v: number): Buffer {
  const w = startRequest(FAMILY, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, 1, 1);
  encodeAttrs(valueAttrs, { v }, w);
  return Buffer.from(finishRequest(w));
}

const dumpSpec = (v: number, extra: Partial<DumpSpec> = {}): DumpSpec => ({ msg: dumpMsg(v), op: `test dump ${v}`, ...extra });

const decodeValue = (m: NlMsg): { v?: number; name?: string } => decodeAttrs(valueAttrs, m.buf, genlAttrsStart(m), m.offset + m.length);

/** A dump answered with `count` entries (v = 0.., name "entry-N") over `batches` datagrams. */
const entries = (count: number): Buffer[][] => Array.from({ length: count }, (_, i) => [nla(1, u32(i)), nla(2, Buffer.from(`entry-${i}\0`))]);

describe('genl: dumps decoded as they are read, from lent datagrams', function () {
  let k: FakeKernel;
  let c: Connection;
  let answer: (req: FakeRequest, kernel: FakeKernel) => Buffer[] | Buffer | undefined;

  beforeEach(function () {
    answer = (req) => multipart(req, entries(50), { batches: 5 });
    k = new FakeKernel({ lend: true, handler: (req, kernel) => answer(req, kernel) });
    c = new Connection(k, {});
  });
  afterEach(async function () {
    await c.close();
  });

  it('each: resolves with what each() made of every reply, in order, over several datagrams', async function () {
    const seen: number[] = [];
    const got = await c.dumpDecoded({ ...dumpSpec(1), each: (m) => {
      seen.push(m.seq);
      return decodeValue(m);
    } });
    assert.equal(got.length, 50);
    assert.deepEqual(got[0], { v: 0, name: 'entry-0' });
    assert.deepEqual(got[49], { v: 49, name: 'entry-49' });
    assert.deepEqual(got.map((x) => x.v), Array.from({ length: 50 }, (_, i) => i));
    assert.equal(new Set(seen).size, 1, 'every reply carried the dump\'s sequence number');
  });

  it('without each, a dump keeps its messages intact (the engine copies a lent datagram it keeps)', async function () {
    const msgs = await c.dump(dumpSpec(2));
    assert.equal(msgs.length, 50);
    assert.deepEqual(msgs.map((m) => decodeValue(m).name), Array.from({ length: 50 }, (_, i) => `entry-${i}`));
  });

  it('each with onReply: the messages onReply is given stay intact after the datagram is gone', async function () {
    const kept: NlMsg[] = [];
    const got = await c.dumpDecoded({ ...dumpSpec(3), onReply: (m) => void kept.push(m), each: (m) => decodeValue(m).v });
    assert.equal(got.length, 50);
    // 50 replies and the DONE
    assert.equal(kept.length, 51);
    assert.deepEqual(kept.slice(0, 50).map((m) => decodeValue(m).v), got);
  });

  it('a throw of each: the rest of the dump is read and dropped, then the call rejects with it; the socket goes on', async function () {
    let calls = 0;
    const boom = new RangeError('entry 7 is bad');
    const err = await c.dumpDecoded({ ...dumpSpec(4), each: (m) => {
      calls++;
      const v = decodeValue(m).v!;
      if (v === 7) throw boom;
      return v;
    } }).then(() => assert.fail('the dump should have failed'), (e: unknown) => e);
    assert.equal(err, boom);
    assert.equal(calls, 8, 'each is not called again after it threw');
    // the dump slot was held to the DONE and is free again: the next dump runs
    const next = await c.dumpDecoded({ ...dumpSpec(5), each: (m) => decodeValue(m).v });
    assert.equal(next.length, 50);
    assert.equal(c.stats.droppedSeq, 0);
  });

  it('a kernel error in a lent datagram keeps its ext-ack message', async function () {
    answer = (req) => errorReply(req, 22, { msg: 'the kernel says no', capped: false });
    const err = await c.dumpDecoded({ ...dumpSpec(6), each: (m) => decodeValue(m).v }).then(() => assert.fail('should fail'), (e: unknown) => e);
    assert.ok(err instanceof KernelError);
    assert.equal(err.errno, 22);
    assert.equal(err.extMessage, 'the kernel says no');
  });

  it('a DONE with a warning in a lent datagram: the warning\'s message is intact', async function () {
    answer = (req) => multipart(req, entries(3), { done: done(req, { msg: 'careful now' }) });
    await c.close();
    const warnings: string[] = [];
    c = new Connection(k = new FakeKernel({ lend: true, handler: (req, kernel) => answer(req, kernel) }), {
      onWarning: (w) => void warnings.push(w.message),
    });
    const got = await c.dumpDecoded({ ...dumpSpec(7), each: (m) => decodeValue(m).v });
    assert.deepEqual(got, [0, 1, 2]);
    assert.deepEqual(warnings, ['careful now']);
  });

  it('an interrupted dump retried: only the last attempt\'s results', async function () {
    let attempt = 0;
    answer = (req) => (++attempt === 1 ? multipart(req, entries(4), { intr: true }) : multipart(req, entries(2)));
    const got = await c.dumpDecoded({ ...dumpSpec(8), retryInterrupted: 1, each: (m) => decodeValue(m).v });
    assert.deepEqual(got, [0, 1]);
    attempt = 0;
    await assert.rejects(c.dumpDecoded({ ...dumpSpec(9), each: (m) => decodeValue(m).v }), DumpInterruptedError);
  });

  it('notifications in lent datagrams reach subscribers intact', async function () {
    const sub = c.subscribe();
    const listened: NlMsg[] = [];
    const stop = c.listen({ notification: (n) => void (n.kind === 'message' && listened.push(n.msg)) });
    const note = (v: number): Buffer => genlmsg({ type: FAMILY, flags: 0, seq: 0, pid: 0 }, 5, 1, [nla(1, u32(v)), nla(2, Buffer.from(`note-${v}\0`))]);
    k.inject(note(1), { port: 0, group: 3 });
    k.inject(note(2), { port: 0, group: 3 });
    const got: Notification[] = [];
    for await (const n of sub) {
      got.push(n);
      if (got.length === 2) break;
    }
    stop();
    assert.deepEqual(got.map((n) => (n.kind === 'message' ? decodeValue(n.msg).name : n.kind)), ['note-1', 'note-2']);
    assert.deepEqual(listened.map((m) => decodeValue(m).name), ['note-1', 'note-2']);
  });
});
