/**
 * The engine fuzzer's kernel: test/helpers/fake-kernel.ts's FakeKernel (replies from
 * poll(), as the real socket gives them), whose answers to devlink requests are seeds
 * renumbered to the request's sequence number and family, usually mutated, sometimes
 * followed by the genuine ACK or DONE and sometimes nothing at all. nlctrl answers
 * truthfully (rarely mutated), so most cases get past Devlink.open().
 *
 * Everything handed to the engine is logged (to save an input that went wrong), and a
 * throw out of the engine's receive handler is caught and kept: on a real socket it would
 * be thrown from the event loop and end the process.
 */
import type { TransportHandlers } from '../../src/genl/transport';
import {
  ack, CTRL_CMD_NEWFAMILY, done, errorReply, FakeKernel, FakeRequest, familyAttrs, GENL_ID_CTRL, multipart, NLM_F_ACK, NLM_F_DUMP, replyMsg,
  requestedFamilyName,
} from '../helpers/fake-kernel';
import { cat } from '../helpers/bytes';
import type { Seed } from './corpus';
import { below, mutate, pick, restamp } from './mutate';

/** The fake kernel's devlink family and `config` group. */
export const FAMILY_ID = 0x2a1;
export const GROUP_ID = 0x2b;

/** What the engine fuzzer draws from. */
export interface EnginePools {
  /** Unicast replies (answers to requests). */
  readonly replies: readonly Seed[];
  readonly notifications: readonly Seed[];
  /** Every received datagram's bytes (splice partners). */
  readonly all: readonly Buffer[];
}

export function enginePools(corpus: readonly Seed[]): EnginePools {
  const replies = corpus.filter((s) => s.dir === 'reply');
  const notifications = corpus.filter((s) => s.dir === 'notification');
  return { replies, notifications, all: [...replies, ...notifications].map((s) => s.bytes) };
}

export class FuzzKernel extends FakeKernel {
  /** Every datagram handed to the engine, in hex. */
  readonly log: string[] = [];
  /** What the engine's handlers threw. */
  readonly escaped: unknown[] = [];

  constructor(
    private readonly rand: () => number,
    private readonly pools: EnginePools,
  ) {
    super({ delivery: 'sync' });
    this.handler = (req) => this.answer(req);
  }

  override start(h: TransportHandlers): void {
    const guard = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        this.escaped.push(e);
      }
    };
    super.start({
      message: (d, from) => {
        this.log.push(d.toString('hex'));
        guard(() => h.message(d, from));
      },
      overrun: () => guard(() => h.overrun()),
      error: (e) => guard(() => h.error(e)),
    });
  }

  /** A seed of `pool`, addressed to `seq` and our devlink family, mutated with probability `p`. */
  mutant(pool: readonly Seed[], seq: number, p: number): Buffer {
    const s = pick(this.rand, pool);
    const d = restamp(s.bytes, seq, s.devlinkId, FAMILY_ID);
    return this.rand() < p ? mutate(this.rand, d, this.pools.all) : d;
  }

  /** A notification as the engine's socket would receive it: usually mutated, usually on the group. */
  notify(): void {
    const r = this.rand;
    const seq = r() < 0.9 ? 0 : below(r, 64);
    const d = this.mutant(r() < 0.8 ? this.pools.notifications : this.pools.replies, seq, 0.85);
    this.inject(d, { port: 0, group: r() < 0.9 ? GROUP_ID : 0 });
  }

  private answer(req: FakeRequest): Buffer[] {
    const r = this.rand;
    if (req.type === GENL_ID_CTRL) return this.nlctrl(req);
    if (req.type !== FAMILY_ID) return [errorReply(req, 95)];
    const dump = (req.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const x = r();
    if (x < 0.1) return []; // no answer: the call must time out
    if (x < 0.2) return dump ? multipart(req, [], { batches: 1 }) : [ack(req)]; // the genuine end alone
    const out = [this.mutant(this.pools.replies, req.seq, 0.75)];
    if (r() < 0.3) out.push(this.mutant(this.pools.replies, req.seq, 0.75));
    if (r() < 0.5) out.push(dump ? done(req) : ack(req));
    // sometimes all in one datagram, as a dump's parts share one
    return r() < 0.3 ? [cat(...out)] : out;
  }

  private nlctrl(req: FakeRequest): Buffer[] {
    const r = this.rand;
    const family = { id: FAMILY_ID, name: 'devlink', maxattr: 200, groups: [{ name: 'config', id: GROUP_ID }], ops: [{ id: 1, flags: 0xe }] };
    let out: Buffer[];
    if ((req.flags & NLM_F_DUMP) === NLM_F_DUMP) {
      out = multipart(req, [familyAttrs({ id: GENL_ID_CTRL, name: 'nlctrl' }), familyAttrs(family)], { batches: 2 });
    } else if (requestedFamilyName(req) === 'devlink') {
      out = [replyMsg(req, familyAttrs(family), { cmd: CTRL_CMD_NEWFAMILY }), ...(req.flags & NLM_F_ACK ? [ack(req)] : [])];
    } else {
      out = [errorReply(req, 2, { msg: 'Unknown family name' })];
    }
    if (r() < 0.05) out = [mutate(r, cat(...out), this.pools.all)];
    return out;
  }
}
