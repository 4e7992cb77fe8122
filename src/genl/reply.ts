/**
 * What one message of its answer does to a call: a reply is kept (or streamed), an ACK,
 * DONE or error ends it, NLMSG_DUMP_INTR marks it interrupted. The connection looks the
 * call up by sequence number and acts on the outcome.
 */
import { kernelErrorOf } from './call-errors';
import { NO_REPLIES, Pending, State } from './calls';
import { NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN } from './constants';
import type { KernelError } from './errors';
import { AckInfo, NlMsg, parseDone, parseError } from './message';

/** The outcome "the call waits for more". */
export const MORE: unique symbol = Symbol('more');

/**
 * Read `m` into call `p`: MORE, or the call is done (undefined, or the kernel's refusal).
 * An ACK or DONE with error 0 and an ext-ack message is given to `warn` first.
 */
export function readReply(p: Pending, m: NlMsg, warn: (p: Pending, info: AckInfo) => void): KernelError | undefined | typeof MORE {
  switch (m.type) {
    case NLMSG_ERROR: {
      const info = parseError(m);
      if (info.errno !== 0) return kernelErrorOf(p.spec, p.seq, info);
      if (info.extMessage !== undefined) warn(p, info);
      return p.dump ? MORE : undefined;
    }
    case NLMSG_DONE: {
      if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
      const info = parseDone(m);
      if (info.errno !== 0) return kernelErrorOf(p.spec, p.seq, info);
      if (info.extMessage !== undefined) warn(p, info);
      return undefined;
    }
    case NLMSG_NOOP:
    case NLMSG_OVERRUN:
      return MORE;
    default:
      if (m.flags & NLM_F_DUMP_INTR) p.interrupted = true;
      if (p.state === State.DRAINING) return MORE;
      if (p.stream) p.stream.push(m);
      else if (p.spec.each !== undefined) keepDecoded(p, m, p.spec.each);
      else keep(p, m);
      // sent without NLM_F_ACK: this message is the whole answer
      return p.spec.oneReply && !p.dump ? undefined : MORE;
  }
}

/** A reply of a dump with `each`: what it makes of the message is kept (the message is not: its bytes may be lent). */
function keepDecoded(p: Pending, m: NlMsg, each: (m: NlMsg) => unknown): void {
  if (p.failed !== undefined) return;
  let v: unknown;
  try {
    v = each(m);
  } catch (e) {
    // the dump goes on to its DONE (the socket's dump slot is held until then); then the call rejects with this
    p.failed = e ?? new Error('a dump decoder threw undefined');
    p.replies = NO_REPLIES;
    return;
  }
  keep(p, v as NlMsg);
}

/** Add to the call's replies: the first in an array of one (push() onto the empty array would make room for 16). */
function keep(p: Pending, x: NlMsg): void {
  if (p.replies.length === 0) p.replies = [x];
  else p.replies.push(x);
}
