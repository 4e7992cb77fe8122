/**
 * A transport wrapper that counts the requests still waiting for their answer, from the
 * bytes alone (the public Transport contract, nothing of the engine's internals): a request
 * sent with NLM_F_ACK waits for its NLMSG_ERROR (an ACK or an error) or, for a dump, its
 * NLMSG_DONE; one sent without NLM_F_ACK (a oneReply GET) for any message with its
 * sequence number. The soak reads it at quiet points, where it must be 0.
 */
import type { RecvInfo } from '../src/index';
import { TransportWrapper } from '../test/fuzz/record';

// <linux/netlink.h>
const NLM_F_ACK = 0x04;
const NLM_F_MULTI = 0x02;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_HDRLEN = 16;

/** Each message of a well-formed datagram: offset, type, flags, seq. */
function eachHeader(d: Buffer, f: (type: number, flags: number, seq: number) => void): void {
  for (let p = 0; d.length - p >= NLMSG_HDRLEN; ) {
    const len = d.readUInt32LE(p);
    if (len < NLMSG_HDRLEN || len > d.length - p) return;
    f(d.readUInt16LE(p + 4), d.readUInt16LE(p + 6), d.readUInt32LE(p + 8));
    p += (len + 3) & ~3;
  }
}

export class PendingCounter extends TransportWrapper {
  /** seq -> whether the request asked for an ACK (then only NLMSG_ERROR / NLMSG_DONE end it). */
  private readonly waiting = new Map<number, boolean>();
  requests = 0;

  get pending(): number {
    return this.waiting.size;
  }

  protected override sent(d: Buffer): void {
    eachHeader(d, (_type, flags, seq) => {
      this.waiting.set(seq, (flags & NLM_F_ACK) !== 0);
      this.requests++;
    });
  }

  protected override received(d: Buffer, from: RecvInfo): void {
    if (from.group !== 0) return;
    eachHeader(d, (type, flags, seq) => {
      const acked = this.waiting.get(seq);
      if (acked === undefined) return;
      if (type === NLMSG_ERROR || type === NLMSG_DONE || (!acked && !(flags & NLM_F_MULTI))) this.waiting.delete(seq);
    });
  }
}
