/**
 * close() settles every pending call, whatever state it is in, and leaves nothing
 * behind: no timer, no immediate, no listener on a caller's AbortSignal. And a call
 * settled by a timeout, an abort or its stream's consumer leaving removes its listener
 * there and then. Timers are sinon's, to count them.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import sinon from 'sinon';
import { Connection } from '../src/genl/connection';
import { AbortError, ClosedError, TimeoutError } from '../src/genl/errors';
import { FakeKernel } from './helpers/fake-kernel';
import { dumpOf, requestOf, track } from './helpers/engine';

/** Lets queued microtasks (the engine's flush) run. */
async function microtasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe('faults: close() settles every call and frees every timer and listener', () => {
  let clock: sinon.SinonFakeTimers;
  let k: FakeKernel;
  let c: Connection;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    k = new FakeKernel({ delivery: 'manual' });
    c = new Connection(k);
  });
  afterEach(async () => {
    await c.close();
    clock.restore();
  });

  it('calls in every state: each settles, the signal has no listener left, no timer or immediate is pending', async () => {
    const ac = new AbortController();
    const signal = ac.signal;
    const sent = track(c.request(requestOf(1, { signal })));
    const holder = track(c.dump(dumpOf(2, { signal })));
    const queuedDump = track(c.dump(dumpOf(3, { signal, timeoutMs: 0 })));
    const stream = c.dumpStream(dumpOf(4, { signal }));
    const streamNext = track(stream.next());
    const sub = c.subscribe();
    const subNext = track(sub.next());
    await microtasks();
    // a draining dump: abandoned after it was sent, its replies never come
    const other = new AbortController();
    const drained = track(c.dump(dumpOf(5, { signal: other.signal })));
    await microtasks();
    other.abort();
    // and one still waiting for its send (made in this tick)
    const unsent = track(c.request(requestOf(6, { signal })));
    assert.ok(getEventListeners(signal, 'abort').length >= 5);
    assert.ok(clock.countTimers() > 0);

    await c.close();
    await microtasks();
    for (const [name, s] of Object.entries({ sent, holder, queuedDump, unsent })) {
      assert.ok(s.settled && s.error instanceof ClosedError, `${name}: ${String(s.error)}`);
    }
    assert.ok(drained.settled && drained.error instanceof AbortError);
    assert.ok(streamNext.settled && streamNext.error instanceof ClosedError, String(streamNext.error));
    assert.deepEqual(subNext, { settled: true, value: { value: undefined, done: true } });
    assert.equal(getEventListeners(signal, 'abort').length, 0);
    assert.equal(getEventListeners(other.signal, 'abort').length, 0);
    assert.equal(clock.countTimers(), 0, 'a timer or an immediate outlived close()');
    assert.equal(k.closed, true);
  });

  it('a timeout removes the call\'s listener', async () => {
    const ac = new AbortController();
    const p = track(c.request(requestOf(1, { signal: ac.signal, timeoutMs: 50 })));
    await microtasks();
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
    await clock.tickAsync(60);
    assert.ok(p.error instanceof TimeoutError);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });

  it('an abort removes it (the signal\'s other listeners stay)', async () => {
    const ac = new AbortController();
    const mine = (): void => undefined;
    ac.signal.addEventListener('abort', mine);
    const a = track(c.request(requestOf(1, { signal: ac.signal })));
    const b = track(c.dump(dumpOf(2, { signal: new AbortController().signal })));
    await microtasks();
    ac.abort();
    await microtasks();
    assert.ok(a.error instanceof AbortError);
    assert.equal(b.settled, false);
    assert.deepEqual(getEventListeners(ac.signal, 'abort'), [mine]);
  });

  it('a stream left by its consumer removes it', async () => {
    const ac = new AbortController();
    const s = c.dumpStream(dumpOf(1, { signal: ac.signal }));
    await microtasks();
    assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
    await s.return!();
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });
});
