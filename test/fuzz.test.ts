/**
 * Fuzzing, bounded for CI (~30 s on two cores): mutants of the seed corpus
 * (fixtures/kernel, the simulator's two kernel flavours, the host's nlctrl: see
 * test/fuzz/corpus.ts) through (a) every decoder and (b) the whole engine, a Devlink on a
 * fake kernel that answers with mutants while calls, dumps and monitor() run.
 * Only NetlinkError may come out; every call settles; the monitor keeps running or
 * ends with a NetlinkError. The same fuzzers run for longer with `npm run fuzz`.
 */
import assert from 'node:assert/strict';
import { Devlink } from '../src/devlink/devlink';
import { ProtocolError } from '../src/genl/errors';
import { ack, FakeKernel, familyAttrs, nlctrl, replyMsg } from './helpers/fake-kernel';
import { describeCorpus, loadCorpus } from './fuzz/corpus';
import { decoderInput, decoderPool, fuzzDecoders } from './fuzz/decoders';
import { fuzzEngine } from './fuzz/engine';
import { enginePools } from './fuzz/fuzz-kernel';
import { lengthFields, mutate, inputRng } from './fuzz/mutate';
import { Tally } from './fuzz/tally';

const SEED = 0x5eed;
/** Sized to take about 12 s each on the 2-core development machine (about 30 s with loading). */
const DECODER_INPUTS = 100_000;
const ENGINE_CASES = 8_000;

function report(what: string, t: Tally, ms: number): void {
  console.log(`      ${what}: ${t.inputs} inputs (${t.datagrams} datagrams) in ${(ms / 1000).toFixed(1)} s; ` +
    `typed errors: ${t.typedSummary()}; findings: ${t.findingCount}`);
}

function noFindings(t: Tally): void {
  const first = t.findings.slice(0, 3)
    .map((f) => `${f.kind} in ${f.where} (seed ${f.seed}, input ${f.index}): ${f.error}\n  inputs: ${f.inputs.slice(-3).join(' ')}`);
  assert.equal(t.findingCount, 0, `findings:\n${first.join('\n')}`);
}

describe('fuzz: mutated datagrams (fixed seed)', function () {
  this.timeout(180_000);
  const corpus = loadCorpus();

  it('the corpus holds seeds from every source, all well formed', () => {
    console.log(`      corpus: ${describeCorpus(corpus)}`);
    for (const source of ['kernel/port-show-dump', 'kernel/notify-eswitch-vfs', 'sim-6.1', 'sim-current', 'nlctrl-host']) {
      assert.ok(corpus.some((s) => s.source === source && s.dir !== 'request'), `replies from ${source}`);
    }
    for (const kind of ['sim-6.1', 'sim-current', 'kernel/notify-eswitch-vfs']) {
      assert.ok(corpus.some((s) => s.source === kind && s.dir === 'notification'), `notifications from ${kind}`);
    }
    for (const s of corpus) {
      // the message lengths walk the datagram exactly
      const msgs = lengthFields(s.bytes).filter((f) => f.size === 4);
      assert.ok(msgs.length > 0, s.source);
      assert.equal((msgs[msgs.length - 1].end + 3) & ~3, (s.bytes.length + 3) & ~3, `${s.source}: ${s.bytes.toString('hex')}`);
    }
  });

  it('inputs are a function of (seed, index): the same bytes again, different bytes for another index', () => {
    const pool = decoderPool(corpus);
    assert.deepEqual(decoderInput(pool, SEED, 42), decoderInput(pool, SEED, 42));
    assert.notDeepEqual(decoderInput(pool, SEED, 42), decoderInput(pool, SEED, 43));
    const d = pool[0];
    let changed = 0;
    for (let i = 0; i < 100; i++) if (!mutate(inputRng(1, i), d, pool).equals(d)) changed++;
    assert.ok(changed >= 90, `${changed} of 100 mutants differ from their seed`);
  });

  it(`decoders: ${DECODER_INPUTS} mutants, only NetlinkError comes out`, () => {
    const t = new Tally();
    const t0 = performance.now();
    fuzzDecoders(decoderPool(corpus), SEED, 0, DECODER_INPUTS, t);
    report('decoders', t, performance.now() - t0);
    assert.equal(t.inputs, DECODER_INPUTS);
    assert.ok((t.typed.get('MalformedError') ?? 0) > 0, 'mutants do reach the bounds checks');
    noFindings(t);
  });

  it(`engine: ${ENGINE_CASES} cases of calls, dumps and monitor() on a fake kernel answering mutants`, async () => {
    const t = new Tally();
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown): void => void unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    const t0 = performance.now();
    try {
      await fuzzEngine(enginePools(corpus), SEED, 0, ENGINE_CASES, { timeoutMs: 20, watchdogMs: 3000 }, t, 16);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    report('engine', t, performance.now() - t0);
    assert.deepEqual(unhandled, [], 'no promise of the library was left rejected and unhandled');
    assert.ok((t.typed.get('TimeoutError') ?? 0) > 0 && (t.typed.get('MalformedError') ?? 0) + (t.typed.get('DevlinkError') ?? 0) > 0,
      'the cases reach timeouts, bad replies and refusals');
    noFindings(t);
  });

  // Found by the engine fuzzer (seed 1, case 3713 before the harness renumbered its
  // sentinel): a NEWFAMILY reply without CTRL_ATTR_FAMILY_ID is taken as family id 0
  // (src/genl/nlctrl.ts familyFrom: `id: a.familyId ?? 0`), and Devlink.open() succeeds
  // with it: every devlink request then goes out with nlmsg_type 0, a control type the
  // kernel only ACKs (netlink_rcv_skb: type < NLMSG_MIN_TYPE), so a SET "succeeds" doing
  // nothing. Likewise a reply for another family name is accepted. Expected: ProtocolError.
  it('a GETFAMILY answer without a family id (or for another name) is refused with ProtocolError (found by the engine fuzzer, seed 1, case 3713)', async () => {
    for (const attrs of [
      familyAttrs({ id: 0x2a1, name: 'devlink' }).filter((a) => a.readUInt16LE(2) !== 1), // CTRL_ATTR_FAMILY_ID left out
      familyAttrs({ id: 0x2a1, name: 'nlctrl' }),
    ]) {
      const fk = new FakeKernel({ handler: (req) => [replyMsg(req, attrs, { cmd: 1 }), ack(req)] });
      await assert.rejects(Devlink.open({ transport: fk, timeoutMs: 100 }), ProtocolError);
      assert.ok(fk.closed);
    }
    // the genuine answer still works
    const ok = new FakeKernel({ handler: nlctrl([{ id: 0x2a1, name: 'devlink', groups: [{ name: 'config', id: 3 }] }]) });
    const dl = await Devlink.open({ transport: ok });
    assert.equal(dl.family.id, 0x2a1);
    await dl.close();
  });
});
