/**
 * GenericNetlink's family lookup on a fake kernel (test/helpers/fake-kernel.ts): what it
 * sends, the per-connection cache, and that no failure stays cached, whether the
 * kernel refused, the call timed out or was aborted, or it failed before anything was
 * sent. The kernel-tier counterpart is genl.kernel.test.ts.
 */
import assert from 'node:assert/strict';
import { AbortError, ClosedError, FamilyNotFoundError, TimeoutError } from '../src/genl/errors';
import { GenericNetlink } from '../src/genl/generic';
import { ack, FakeKernel, FakeFamily, nlctrl, NLM_F_REQUEST, requestedFamilyName } from './helpers/fake-kernel';

const families: FakeFamily[] = [
  { id: 0x10, name: 'nlctrl', version: 2, maxattr: 10, ops: [{ id: 3, flags: 0xe }], groups: [{ name: 'notify', id: 0x10 }] },
  { id: 0x1a, name: 'ethtool', version: 1, maxattr: 0, ops: [{ id: 1, flags: 0xa }], groups: [{ name: 'monitor', id: 3 }] },
];

describe('genl: GenericNetlink.family() on a fake kernel', () => {
  let k: FakeKernel;
  let g: GenericNetlink;
  const names = (): (string | undefined)[] => k.requests.map(requestedFamilyName);

  beforeEach(async () => {
    k = new FakeKernel({ handler: nlctrl(families) });
    g = await GenericNetlink.open({ transport: k });
  });
  afterEach(async () => {
    await g.close();
  });

  it('asks without NLM_F_ACK (the reply is the answer) and decodes the family', async () => {
    const f = await g.family('ethtool');
    assert.deepEqual(f, { id: 0x1a, name: 'ethtool', version: 1, hdrSize: 0, maxAttr: 0, ops: [{ id: 1, flags: 0xa }], groups: [{ name: 'monitor', id: 3 }] });
    assert.equal(k.requests[0]!.flags, NLM_F_REQUEST);
    assert.equal(g.connection.stats.droppedSeq, 0);
  });

  it('caches per name; refresh asks again and the cache then holds the fresh answer', async () => {
    const a = await g.family('nlctrl');
    assert.equal(await g.family('nlctrl'), a);
    const b = await g.family('nlctrl', { refresh: true });
    assert.notEqual(b, a);
    assert.equal(await g.family('nlctrl'), b);
    assert.deepEqual(names(), ['nlctrl', 'nlctrl']);
  });

  it('a family the kernel does not know: FamilyNotFoundError, not cached', async () => {
    await assert.rejects(g.family('devlink'), FamilyNotFoundError);
    await assert.rejects(g.family('devlink'), FamilyNotFoundError);
    assert.deepEqual(names(), ['devlink', 'devlink']);
  });

  it('a timed-out lookup is not cached', async () => {
    const quiet = new FakeKernel({ handler: nlctrl(families), delivery: 'manual' });
    const q = await GenericNetlink.open({ transport: quiet });
    try {
      await assert.rejects(q.family('nlctrl', { timeoutMs: 20 }), TimeoutError);
      const again = q.family('nlctrl');
      await new Promise((r) => setImmediate(r));
      assert.equal(quiet.requests.length, 2, 'asked again');
      quiet.deliver();
      assert.equal((await again).id, 0x10);
    } finally {
      await q.close();
    }
  });

  it('a lookup aborted before it was sent is not cached', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(g.family('nlctrl', { signal: ac.signal }), AbortError);
    assert.equal((await g.family('nlctrl')).id, 0x10);
    assert.deepEqual(names(), ['nlctrl']);
  });

  it('on a closed connection: ClosedError each time, nothing cached', async () => {
    await g.close();
    await assert.rejects(g.family('nlctrl'), ClosedError);
    await assert.rejects(g.family('nlctrl'), ClosedError);
    assert.equal(k.requests.length, 0);
  });

  it('an ACK instead of the family: the lookup fails with a clear error, and it is not cached', async () => {
    const acking = new FakeKernel({ handler: (r) => ack(r) });
    const e = await GenericNetlink.open({ transport: acking });
    try {
      await assert.rejects(e.family('nlctrl'), /nlctrl answered no family for "nlctrl"/);
      await assert.rejects(e.family('nlctrl'), /nlctrl answered no family/);
      assert.equal(acking.requests.length, 2);
    } finally {
      await e.close();
    }
  });
});

describe('kernel errors keep their fields once, messages are made at construction', () => {
  it('KernelError: only the fields the kernel sent, enumerable; info gives them back; FamilyNotFoundError with a hint', async () => {
    const { KernelError, FamilyNotFoundError } = await import('../src/genl/errors.js');
    const e = new KernelError({ errno: 17, seq: 4, op: 'devlink port-new', extMessage: 'SF already exist.' });
    assert.equal(e.code, 'EEXIST');
    assert.equal(e.message, 'SF already exist: devlink port-new: File exists (EEXIST)');
    assert.equal(Object.prototype.hasOwnProperty.call(e, 'offset'), false);
    assert.deepEqual(e.info, { errno: 17, seq: 4, op: 'devlink port-new', extMessage: 'SF already exist.' });
    const f = new FamilyNotFoundError('devlink', e.info, 'the kernel needs CONFIG_NET_DEVLINK');
    assert.match(f.message, /^generic netlink family "devlink" not found: .*: the kernel needs CONFIG_NET_DEVLINK$/);
    assert.equal(f.errno, 17);
  });
});
