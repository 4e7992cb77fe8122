/**
 * Requests made in the same tick go out as one datagram: each message copied into an
 * area reused from send to send (the transport copies it out before send() returns),
 * its sequence number stamped in, the port left to the kernel, NLM_F_ACK left out of a
 * oneReply request, each message padded to NLMSG_ALIGN. The callers' buffers are
 * never changed.
 */
import { NLM_F_ACK, nlmsgAlign } from './constants';
import { NLH_FLAGS, NLH_PID, NLH_SEQ } from './header-offsets';

/** The area's first size (it doubles for larger batches). */
const SEND_AREA_SIZE = 16 * 1024;

/** What the writer needs of a call. */
export interface BatchItem {
  readonly seq: number;
  readonly spec: { readonly msg: Buffer; readonly oneReply?: boolean };
}

export class BatchWriter {
  private area = Buffer.allocUnsafeSlow(SEND_AREA_SIZE);
  private view = this.area.subarray(0, 0);
  private readonly list: Buffer[] = [];

  /** The first `count` calls of `batch` as one datagram: a list of one Buffer, valid until the next write. */
  write(batch: readonly BatchItem[], count = batch.length): Buffer[] {
    let total = 0;
    for (let i = 0; i < count; i++) total += nlmsgAlign(batch[i].spec.msg.length);
    if (total > this.area.length) {
      let size = this.area.length;
      while (size < total) size *= 2;
      this.area = Buffer.allocUnsafeSlow(size);
    }
    const area = this.area;
    let off = 0;
    for (let i = 0; i < count; i++) {
      const p = batch[i];
      const msg = p.spec.msg;
      area.set(msg, off);
      area.writeUInt32LE(p.seq, off + NLH_SEQ);
      area.writeUInt32LE(0, off + NLH_PID);
      if (p.spec.oneReply) area.writeUInt16LE(area.readUInt16LE(off + NLH_FLAGS) & ~NLM_F_ACK, off + NLH_FLAGS);
      const end = off + msg.length;
      off = nlmsgAlign(end);
      if (off !== end) area.fill(0, end, off);
    }
    if (this.view.buffer !== area.buffer || this.view.length !== total) this.view = area.subarray(0, total);
    this.list[0] = this.view;
    return this.list;
  }
}
