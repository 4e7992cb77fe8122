/**
 * A dump given up on (aborted, or its stream left) while the kernel has not finished it
 * keeps the connection's dump slot only until its deadline, not for ever. Before, the
 * deadline timer skipped draining dumps: one whose replies never came made every later
 * dump on the connection time out while plain requests still worked. Against a fake
 * kernel that never answers the first dump.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { AbortError, TimeoutError } from '../src/genl/errors';
import { nla, u32 } from './helpers/bytes';
import { ack, FakeRequest, multipart, NLM_F_MULTI, replyMsg } from './helpers/fake-kernel';
import { dumpOf, fakeConnections, isDump, requestOf, sleep, tick, track, valueOf } from './helpers/engine';

/** Dumps of a value below 100 are never answered; the others (and plain requests) are. */
function silentFirst(r: FakeRequest): Buffer[] | undefined {
  const v = valueOf(r);
  if (!isDump(r)) return [replyMsg(r, [nla(1, u32(v))]), ack(r)];
  if (v < 100) return undefined;
  return multipart(r, [[nla(1, u32(v))], [nla(1, u32(v + 1))]]);
}

describe('faults: a dump given up on frees the dump slot at its deadline', () => {
  const { open, closeAll } = fakeConnections(silentFirst);
  afterEach(closeAll);

  it('aborted while the kernel never answers: the next dump runs once the aborted one\'s deadline passes', async () => {
    const { k, c } = open();
    const ac = new AbortController();
    const stuck = c.dump(dumpOf(1, { signal: ac.signal, timeoutMs: 80 }));
    const next = track(c.dump(dumpOf(100, { timeoutMs: 2000 })));
    await tick();
    ac.abort();
    await assert.rejects(stuck, AbortError);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
    // the slot is still held: plain requests pass, the queued dump waits
    assert.equal((await c.request(requestOf(7))).length, 1);
    assert.deepEqual(k.requests.filter(isDump).map(valueOf), [1]);
    assert.equal(next.settled, false);
    await sleep(150);
    assert.deepEqual(k.requests.filter(isDump).map(valueOf), [1, 100]);
    assert.equal(next.settled, true);
    assert.equal(next.error, undefined);
    assert.equal(next.value?.length, 2);
  });

  it('a late reply of the let-go dump is dropped and counted in stats.droppedSeq', async () => {
    const { k, c } = open();
    const ac = new AbortController();
    const stuck = c.dump(dumpOf(1, { signal: ac.signal, timeoutMs: 30 }));
    await tick();
    const req = k.requests[0];
    ac.abort();
    await assert.rejects(stuck, AbortError);
    // before the deadline a late reply is swallowed as part of the drained dump
    k.inject(replyMsg(req, [nla(1, u32(1))], { flags: NLM_F_MULTI }));
    assert.equal(c.stats.droppedSeq, 0);
    await sleep(80);
    const dropped = c.stats.droppedSeq;
    k.inject(multipart(req, [[nla(1, u32(2))]])[0]);
    assert.equal(c.stats.droppedSeq, dropped + 2, 'the reply and its DONE');
    assert.deepEqual((await c.dump(dumpOf(100))).length, 2);
  });

  it('a streamed dump left mid-way without a deadline of its own drains for the connection\'s timeout', async () => {
    const { k, c } = open({ timeoutMs: 60 });
    const stream = c.dumpStream(dumpOf(2, { timeoutMs: 0 }));
    await tick();
    await stream.return!();
    const next = c.dump(dumpOf(100, { timeoutMs: 1000 }));
    await tick();
    assert.deepEqual(k.requests.filter(isDump).map(valueOf), [2]);
    assert.equal((await next).length, 2);
    assert.deepEqual(k.requests.filter(isDump).map(valueOf), [2, 100]);
  });

  it('a dump that times out while the kernel never answers frees the slot (TimeoutError), as before', async () => {
    const { c } = open();
    await assert.rejects(c.dump(dumpOf(3, { timeoutMs: 20 })), TimeoutError);
    assert.equal((await c.dump(dumpOf(100, { timeoutMs: 1000 }))).length, 2);
  });

  it('close() while a dump drains: the queued dump rejects, nothing is left waiting', async () => {
    const { c } = open();
    const ac = new AbortController();
    const stuck = c.dump(dumpOf(4, { signal: ac.signal }));
    const queued = c.dump(dumpOf(100));
    await tick();
    ac.abort();
    await assert.rejects(stuck, AbortError);
    await c.close();
    await assert.rejects(queued, { name: 'ClosedError' });
  });
});
