/**
 * Target (a): mutated datagrams through every decoder of the library. Each message of a
 * datagram goes through the ack/done readers, nlctrl's family decoder and the devlink
 * decoder with each of its typed views, whatever its type says (a mutated type must not
 * decide which code is safe to run). Only NetlinkError may come out.
 */
import { decodeAttrs } from '../../src/attrs/decode';
import { devlinkAttrs } from '../../src/devlink/schema';
import { decodeMessage, deviceFrom, DevlinkDecoded, eswitchFrom, infoFrom, paramFrom, portFrom, rateFrom } from '../../src/devlink/decode';
import { extAckAttrs, forEachMessage, genlAttrsStart, NlMsg, parseDone, parseError } from '../../src/genl/message';
import { decodeFamily } from '../../src/genl/nlctrl';
import { received, Seed } from './corpus';
import { inputRng, mutate, pick } from './mutate';
import { describeError, Tally } from './tally';

type View = (a: DevlinkDecoded) => unknown;
const VIEWS: readonly [string, View][] = [
  ['deviceFrom', deviceFrom], ['portFrom', portFrom], ['rateFrom', rateFrom],
  ['eswitchFrom', eswitchFrom], ['infoFrom', infoFrom], ['paramFrom', paramFrom],
];

const MESSAGE_DECODERS: readonly [string, (m: NlMsg) => unknown][] = [
  ['parseError', parseError],
  ['parseDone', parseDone],
  ['decodeFamily', decodeFamily],
  // the ext-ack TLVs as if they started right after the header (a DONE's layout, uncapped errors vary)
  ['decodeAttrs(extAck)', (m) => decodeAttrs(extAckAttrs, m.buf, Math.min(m.offset + 20, m.offset + m.length), m.offset + m.length)],
  ['decodeAttrs(devlink)', (m) => decodeAttrs(devlinkAttrs, m.buf, genlAttrsStart(m), m.offset + m.length)],
];

/** The mutants' source: every datagram a client may receive, and a few requests. */
export function decoderPool(corpus: readonly Seed[]): Buffer[] {
  return [...received(corpus), ...corpus.filter((s) => s.dir === 'request').slice(0, 16)].map((s) => s.bytes);
}

/** Input `index` under `seed`: a mutant of one datagram of the pool. */
export function decoderInput(pool: readonly Buffer[], seed: number, index: number): Buffer {
  const rand = inputRng(seed, index);
  return mutate(rand, pick(rand, pool), pool);
}

/** Feed one datagram through everything; returns the untyped failure, if any. */
export function feedDecoders(d: Buffer, t: Tally): { where: string; error: unknown } | undefined {
  let bad: { where: string; error: unknown } | undefined;
  const run = (where: string, f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      if (!t.error(e)) bad ??= { where, error: e };
      return false;
    }
  };
  run('forEachMessage', () =>
    forEachMessage(d, (m) => {
      for (const [name, f] of MESSAGE_DECODERS) run(name, () => f(m));
      let a: DevlinkDecoded | undefined;
      if (!run('decodeMessage', () => (a = decodeMessage(m))) || a === undefined) return;
      for (const [name, view] of VIEWS) run(name, () => view(a as DevlinkDecoded));
    }),
  );
  return bad;
}

/** Inputs [start, start + count) under `seed`. */
export function fuzzDecoders(pool: readonly Buffer[], seed: number, start: number, count: number, t: Tally): void {
  for (let i = start; i < start + count; i++) {
    const d = decoderInput(pool, seed, i);
    t.inputs++;
    t.datagrams++;
    const bad = feedDecoders(d, t);
    if (bad) {
      t.find({ kind: 'untyped-error', target: 'decoders', seed, index: i, where: bad.where, error: describeError(bad.error), inputs: [d.toString('hex')] });
    }
  }
}
