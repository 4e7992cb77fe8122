/**
 * A streamed dump's iterator settles every next() and stops at an abort. Before,
 * AsyncQueue.return() while a next() waited left that next() pending for ever, and an
 * abort that came after the dump's last message still let the consumer read every
 * buffered message. An abort now ends the iteration as it rejects dump(): the next
 * next() rejects with AbortError (what was buffered is dropped), then the iteration is
 * done.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { Connection } from '../src/genl/connection';
import { AbortError } from '../src/genl/errors';
import { AsyncQueue } from '../src/genl/queue';
import { nla, u32 } from './helpers/bytes';
import { FakeKernel, FakeRequest, multipart } from './helpers/fake-kernel';
import { dumpOf, tick, track, valueOf } from './helpers/engine';

/** Ten messages, value .. value + 9, over five datagrams. */
function ten(r: FakeRequest): Buffer[] {
  const v = valueOf(r);
  return multipart(r, Array.from({ length: 10 }, (_, i) => [nla(1, u32(v + i))]), { batches: 5 });
}

describe('faults: a streamed dump settles every next() and stops at an abort', () => {
  describe('AsyncQueue', () => {
    it('return() while a next() waits: that next() resolves with done', async () => {
      const q = new AsyncQueue<number>();
      const waiting = track(q.next());
      await q.return();
      await tick();
      assert.deepEqual(waiting, { settled: true, value: { value: undefined, done: true } });
      assert.deepEqual(await q.next(), { value: undefined, done: true });
    });

    it('abort(err): queued items are dropped, the next next() rejects with err, then done', async () => {
      const q = new AsyncQueue<number>();
      q.push(1);
      q.push(2);
      q.end();
      const err = new Error('stop');
      q.abort(err);
      await assert.rejects(q.next(), (e: unknown) => e === err);
      assert.deepEqual(await q.next(), { value: undefined, done: true });
    });

    it('abort(err) while a next() waits rejects it', async () => {
      const q = new AsyncQueue<number>();
      const p = q.next();
      q.abort(new Error('stop'));
      await assert.rejects(p, /stop/);
    });

    it('onFinish: once the consumer has seen the end, and not before', async () => {
      let finished = 0;
      const q = new AsyncQueue<number>(Infinity, undefined, () => finished++);
      q.push(1);
      q.end();
      assert.equal(finished, 0);
      assert.deepEqual(await q.next(), { value: 1, done: false });
      assert.equal(finished, 0);
      assert.deepEqual(await q.next(), { value: undefined, done: true });
      assert.equal(finished, 1);
      await q.return();
      assert.equal(finished, 1);
    });
  });

  describe('Connection.dumpStream', () => {
    let k: FakeKernel;
    let c: Connection;
    beforeEach(() => {
      k = new FakeKernel({ handler: ten, delivery: 'manual' });
      c = new Connection(k);
    });
    afterEach(async () => {
      await c.close();
    });

    it('return() while next() waits for the kernel: next() resolves with done, the dump is drained', async () => {
      const s = c.dumpStream(dumpOf(0));
      const waiting = track(s.next());
      await tick();
      await s.return!();
      await tick();
      assert.deepEqual(waiting, { settled: true, value: { value: undefined, done: true } });
      k.deliver();
      assert.equal(c.stats.droppedSeq, 0, 'the rest of the dump is swallowed');
    });

    it('aborted after the last message arrived: the next next() rejects with AbortError, nothing buffered is yielded', async () => {
      const ac = new AbortController();
      const s = c.dumpStream(dumpOf(0, { signal: ac.signal }));
      await tick();
      k.deliver(); // all ten messages and DONE: the dump is complete
      await tick();
      assert.equal((await s.next()).value !== undefined, true);
      ac.abort('enough');
      await assert.rejects(s.next(), (e: unknown) => e instanceof AbortError && e.cause === 'enough');
      assert.deepEqual(await s.next(), { value: undefined, done: true });
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });

    it('aborted mid-way, while next() waits: it rejects with AbortError; the rest of the dump is swallowed', async () => {
      const ac = new AbortController();
      const s = c.dumpStream(dumpOf(0, { signal: ac.signal }));
      await tick();
      k.deliver(1);
      const got: number[] = [];
      const consume = (async () => {
        for await (const m of s) got.push(m.buf.readUInt32LE(m.offset + 24));
      })();
      await tick();
      assert.deepEqual(got, [0, 1, 2], 'the first datagram\'s three messages');
      ac.abort();
      await assert.rejects(consume, AbortError);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      k.deliver();
      assert.equal(c.stats.droppedSeq, 0);
    });

    it('aborted after buffered messages were read to the end: nothing changes', async () => {
      const ac = new AbortController();
      const s = c.dumpStream(dumpOf(0, { signal: ac.signal }));
      await tick();
      k.deliver();
      let n = 0;
      for await (const _m of s) n++;
      assert.equal(n, 10);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'the listener went with the end');
      ac.abort();
      assert.deepEqual(await s.next(), { value: undefined, done: true });
    });

    it('close() removes the abort listener of a finished stream nobody read', async () => {
      const ac = new AbortController();
      c.dumpStream(dumpOf(0, { signal: ac.signal }));
      await tick();
      k.deliver();
      await tick();
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
      await c.close();
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    });
  });
});
