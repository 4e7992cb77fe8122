/**
 * The engine checks its options before anything is sent or opened. Before, a string
 * timeoutMs "5000" timed out after 14 ms, NaN or -1 meant no deadline at all, Infinity
 * reached setTimeout (a TimeoutOverflowWarning, then 1 ms), `signal: {}` threw a raw
 * TypeError, and a misspelt key of GenericNetlink.open's options was silently ignored.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { ValidationError } from '../src/attrs/errors';
import { MAX_TIMEOUT_MS } from '../src/genl/call-options';
import { Connection } from '../src/genl/connection';
import { GENL_OPEN_KEYS, GENL_SOCKET_KEYS, GenericNetlink, GenericNetlinkOptions } from '../src/genl/generic';
import { FallbackTransport } from '../src/genl/transport-fallback';
import { NativeTransport } from '../src/genl/transport-native';
import { nla, u32 } from './helpers/bytes';
import { ack, FakeKernel, FakeRequest, multipart, replyMsg } from './helpers/fake-kernel';
import { dumpOf, isDump, requestOf, sleep, valueOf } from './helpers/engine';

/** A plain request gets its value back and an ACK; a dump two messages. */
function answer(r: FakeRequest): Buffer[] {
  const v = valueOf(r);
  return isDump(r) ? multipart(r, [[nla(1, u32(v))], [nla(1, u32(v + 1))]]) : [replyMsg(r, [nla(1, u32(v))]), ack(r)];
}

/** A value as a test's title shows it. */
function shown(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' || v === undefined) return String(v);
  return JSON.stringify(v);
}

function isValidation(field: string, text?: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof ValidationError && e.field === field && (text === undefined || text.test(e.message));
}

/** Values for options an engine may be given (`as never`: they are wrong on purpose). */
const BAD_TIMEOUTS: unknown[] = ['5000', NaN, -1, Infinity, -Infinity, MAX_TIMEOUT_MS + 1, 2 ** 40, null, true, 10n, {}];
const BAD_SIGNALS: unknown[] = [{}, { aborted: false }, { aborted: false, addEventListener: 1 }, 'signal', 1, null];

describe('faults: options are checked by the engine before anything is sent', () => {
  let k: FakeKernel;
  let c: Connection;
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  before(() => process.on('warning', onWarning));
  after(() => process.off('warning', onWarning));
  beforeEach(() => {
    warnings.length = 0;
    k = new FakeKernel({ handler: answer });
    c = new Connection(k);
  });
  afterEach(async () => {
    await c.close();
    sinon.restore();
  });

  describe('a call\'s timeoutMs', () => {
    for (const bad of BAD_TIMEOUTS) {
      it(`${shown(bad)}: ValidationError('timeoutMs'), nothing sent, for request, requestDecoded, dump and dumpStream`, async () => {
        const t = bad as never;
        const onError = sinon.spy();
        const why = isValidation('timeoutMs', /use 0 for no deadline/);
        await assert.rejects(c.request(requestOf(1, { timeoutMs: t })), why);
        await assert.rejects(c.requestDecoded({ ...requestOf(1, { timeoutMs: t }), decode: () => 0, onError }), why);
        await assert.rejects(c.dump(dumpOf(1, { timeoutMs: t })), why);
        await assert.rejects(c.dumpStream(dumpOf(1, { timeoutMs: t })).next(), why);
        assert.equal(k.requests.length, 0);
        assert.ok(onError.calledOnce, 'onError hears of it');
        await sleep(5);
        assert.deepEqual(warnings.map((w) => w.name), []);
      });
    }

    it('0 means no deadline; 2147483647 and fractions are taken', async () => {
      assert.equal((await c.request(requestOf(1, { timeoutMs: 0 }))).length, 1);
      assert.equal((await c.request(requestOf(2, { timeoutMs: MAX_TIMEOUT_MS }))).length, 1);
      assert.equal((await c.dump(dumpOf(3, { timeoutMs: 2.5 }))).length, 2);
      assert.deepEqual(warnings.map((w) => w.name), []);
    });
  });

  describe('a call\'s signal', () => {
    for (const bad of BAD_SIGNALS) {
      it(`${shown(bad)}: ValidationError('signal'), nothing sent`, async () => {
        const s = bad as never;
        const why = isValidation('signal', /AbortSignal/);
        await assert.rejects(c.request(requestOf(1, { signal: s })), why);
        await assert.rejects(c.dump(dumpOf(1, { signal: s })), why);
        await assert.rejects(c.dumpStream(dumpOf(1, { signal: s })).next(), why);
        assert.equal(k.requests.length, 0);
      });
    }

    it('an AbortSignal, AbortSignal.timeout() and a look-alike (aborted, addEventListener, removeEventListener) are taken', async () => {
      assert.equal((await c.request(requestOf(1, { signal: new AbortController().signal }))).length, 1);
      assert.equal((await c.request(requestOf(2, { signal: AbortSignal.timeout(1000) }))).length, 1);
      const lookalike = { aborted: false, reason: undefined, addEventListener: () => undefined, removeEventListener: () => undefined };
      assert.equal((await c.request(requestOf(3, { signal: lookalike as unknown as AbortSignal }))).length, 1);
    });
  });

  describe('a connection\'s options', () => {
    for (const [field, bad] of [
      ['timeoutMs', -1], ['timeoutMs', '5000'], ['timeoutMs', Infinity],
      ['notificationLimit', 0], ['notificationLimit', 1.5], ['notificationLimit', '10'], ['notificationLimit', NaN],
    ] as const) {
      it(`new Connection(t, { ${field}: ${shown(bad)} }): ValidationError('${field}'), the transport not started`, () => {
        const t = new FakeKernel();
        const start = sinon.spy(t, 'start');
        assert.throws(() => new Connection(t, { [field]: bad } as never), isValidation(field));
        assert.equal(start.called, false);
      });
    }

    it('notificationLimit Infinity and 1 are taken', async () => {
      await new Connection(new FakeKernel(), { notificationLimit: Infinity }).close();
      await new Connection(new FakeKernel(), { notificationLimit: 1, timeoutMs: 0 }).close();
    });
  });

  describe('GenericNetlink.open', () => {
    function spyOpens(): sinon.SinonSpy[] {
      return [sinon.spy(NativeTransport, 'open'), sinon.spy(FallbackTransport, 'open')];
    }

    it('exports its keys: GENL_OPEN_KEYS, GENL_SOCKET_KEYS', () => {
      assert.deepEqual([...GENL_OPEN_KEYS].sort(), ['netns', 'notificationLimit', 'onWarning', 'socket', 'timeoutMs', 'transport']);
      assert.deepEqual([...GENL_SOCKET_KEYS].sort(), ['maxDatagram', 'peerPort', 'protocol', 'rcvbuf', 'receive', 'sndbuf']);
    });

    const bad: Array<[string, unknown, string, RegExp]> = [
      ['a misspelt key', { timeout: 5000 }, 'options.timeout', /did you mean "timeoutMs"/],
      ['an unknown key', { colour: 'red' }, 'options.colour', /unknown option/],
      ['a misspelt socket key', { socket: { recieve: 'bounded' } }, 'socket.recieve', /did you mean "receive"/],
      ['netns inside socket', { socket: { netns: '/var/run/netns/x' } }, 'socket.netns', /unknown option/],
      ['socket not an object', { socket: 'bounded' }, 'socket', /expected an object/],
      ['options not an object', 'fast', 'options', /expected an object/],
      ['timeoutMs -1', { timeoutMs: -1 }, 'timeoutMs', /use 0 for no deadline/],
      ['timeoutMs "5000"', { timeoutMs: '5000' }, 'timeoutMs', /"5000"/],
      ['notificationLimit 0', { notificationLimit: 0 }, 'notificationLimit', /from 1/],
      ['netns not a string', { netns: 3 }, 'netns', /path/],
    ];
    for (const [what, opts, field, text] of bad) {
      it(`${what}: ValidationError('${field}') before any socket is opened`, async () => {
        const opens = spyOpens();
        await assert.rejects(GenericNetlink.open(opts as GenericNetlinkOptions), isValidation(field, text));
        assert.ok(opens.every((s) => !s.called));
      });
    }

    it('with a transport: checked before the transport is started', async () => {
      const t = new FakeKernel();
      const start = sinon.spy(t, 'start');
      await assert.rejects(GenericNetlink.open({ transport: t, timeoutMs: NaN }), isValidation('timeoutMs'));
      assert.equal(start.called, false);
    });

    it('layerKeys: a layer above passes its own keys, which are let through unread; others are still refused', async () => {
      const opts = { transport: new FakeKernel(), family: 'devlink', timeoutMs: 100 } as GenericNetlinkOptions;
      const g = await GenericNetlink.open(opts, ['family']);
      await g.close();
      await assert.rejects(GenericNetlink.open({ transport: new FakeKernel(), familly: 'devlink' } as GenericNetlinkOptions, ['family']),
        isValidation('options.familly', /did you mean "family"/));
    });

    it('family() and families() refuse unknown keys of their options, before anything is sent', async () => {
      const t = new FakeKernel();
      const g = await GenericNetlink.open({ transport: t });
      await assert.rejects(g.family('nlctrl', { refersh: true } as never), isValidation('options.refersh', /did you mean "refresh"/));
      await assert.rejects(g.families({ timeout: 5 } as never), isValidation('options.timeout', /did you mean "timeoutMs"/));
      await assert.rejects(g.family('nlctrl', { timeoutMs: -1 }), isValidation('timeoutMs'));
      assert.equal(t.requests.length, 0);
      await g.close();
    });

    it('good options open as before', async () => {
      const g = await GenericNetlink.open({ transport: new FakeKernel(), timeoutMs: 0, notificationLimit: 10 });
      assert.equal(g.transportName, 'fake');
      await g.close();
    });
  });
});
