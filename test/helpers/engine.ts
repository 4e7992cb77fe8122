/**
 * Requests for the engine's fault tests (test/faults.genl.*), built with test/helpers/bytes.ts
 * rather than the code under test: each carries one u32 (attribute 1) the fake kernel
 * can read back, as a plain request or as a dump.
 */
import { Connection, ConnectionOptions, DumpSpec } from '../../src/genl/connection';
import { nla, u32, genlmsg } from './bytes';
import { FakeKernel, FakeKernelOptions, FakeRequest, Handler, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from './fake-kernel';

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

/**
 * Connections on fake kernels for one suite: `open()` makes one (the suite's `handler`
 * unless the options give another), `closeAll()` (from afterEach) closes them all.
 */
export function fakeConnections(handler: Handler): {
  open(o?: FakeKernelOptions & ConnectionOptions): { k: FakeKernel; c: Connection };
  closeAll(): Promise<void>;
} {
  const opened: Connection[] = [];
  return {
    open(o = {}) {
      const k = new FakeKernel({ handler, ...o });
      const c = new Connection(k, o);
      opened.push(c);
      return { k, c };
    },
    async closeAll() {
      for (const c of opened.splice(0)) await c.close();
    },
  };
}
