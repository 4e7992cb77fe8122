/**
 * Requests for the engine's fault tests (test/faults.genl.*), built with test/helpers/bytes.ts
 * rather than the code under test: each carries one u32 (attribute 1) the fake kernel
 * can read back, as a plain request or as a dump.
 */
import type { DumpSpec } from '../../src/genl/connection';
import { nla, u32, genlmsg } from './bytes';
import { FakeRequest, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from './fake-kernel';

/** A family id of the tests' own. */
export const TEST_FAMILY = 0x20;

/** A request (or dump) carrying `v`. */
export function requestOf(v: number, extra: Partial<DumpSpec> = {}, dump = false): DumpSpec {
  const msg = genlmsg({ type: TEST_FAMILY, flags: NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0) }, 1, 1, [nla(1, u32(v))]);
  return { msg, op: `test ${dump ? 'dump' : 'get'} ${v}`, ...extra };
}

export function dumpOf(v: number, extra: Partial<DumpSpec> = {}): DumpSpec {
  return requestOf(v, extra, true);
}

/** The u32 a request carries (after nlmsghdr, genlmsghdr and its attribute header). */
export function valueOf(r: FakeRequest): number {
  return r.attrs.readUInt32LE(4);
}

export const isDump = (r: FakeRequest): boolean => (r.flags & NLM_F_DUMP) === NLM_F_DUMP;

/** One turn of the event loop. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Settle state of a promise without awaiting it. */
export function track<T>(p: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const s: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then((v) => Object.assign(s, { settled: true, value: v }), (e: unknown) => Object.assign(s, { settled: true, error: e }));
  return s;
}
