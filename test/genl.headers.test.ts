/**
 * The header field offsets the library reads and writes (src/genl/offsets.ts, plain
 * numbers) are where the buffer-layout declarations of the uapi structs (src/genl/headers.ts)
 * put them, and a message laid out by the layouts reads back through them.
 */
import assert from 'node:assert/strict';
import { genlmsghdr, nlmsgerr, nlmsghdr } from '../src/genl/headers';
import * as off from '../src/genl/offsets';

describe('genl: header offsets agree with the layouts', () => {
  it('every offset is the layout\'s', () => {
    const at = (s: typeof nlmsghdr | typeof genlmsghdr | typeof nlmsgerr, field: string): number => {
      const o = s.offsetOf(field);
      assert.notEqual(o, undefined, field);
      return o!;
    };
    assert.deepEqual(
      [off.NLH_LEN, off.NLH_TYPE, off.NLH_FLAGS, off.NLH_SEQ, off.NLH_PID],
      ['len', 'type', 'flags', 'seq', 'pid'].map((f) => at(nlmsghdr, f)),
    );
    assert.equal(nlmsghdr.span, 16);
    assert.equal(off.GENLH_CMD, nlmsghdr.span + at(genlmsghdr, 'cmd'));
    assert.equal(off.GENLH_VERSION, nlmsghdr.span + at(genlmsghdr, 'version'));
    assert.equal(off.NLMSGERR_ERROR, nlmsghdr.span + at(nlmsgerr, 'error'));
    assert.equal(off.NLMSGERR_MSG, nlmsghdr.span + at(nlmsgerr, 'msg'));
  });

  it('a header written by the layout reads back at the offsets', () => {
    const b = Buffer.alloc(24);
    nlmsghdr.encode({ len: 0x11223344, type: 0x5566, flags: 0x7788, seq: 0x99aabbcc, pid: 0x0d0e0f10 }, b, 0);
    genlmsghdr.encode({ cmd: 0x21, version: 0x42, reserved: 0 }, b, 16);
    assert.equal(b.readUInt32LE(off.NLH_LEN), 0x11223344);
    assert.equal(b.readUInt16LE(off.NLH_TYPE), 0x5566);
    assert.equal(b.readUInt16LE(off.NLH_FLAGS), 0x7788);
    assert.equal(b.readUInt32LE(off.NLH_SEQ), 0x99aabbcc);
    assert.equal(b.readUInt32LE(off.NLH_PID), 0x0d0e0f10);
    assert.equal(b[off.GENLH_CMD], 0x21);
    assert.equal(b[off.GENLH_VERSION], 0x42);
  });
});
