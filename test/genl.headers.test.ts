import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as offsets from '../src/genl/header-offsets';
import { genlmsghdr, HEADER_OFFSETS, headerOffsetsSource, nlmsgerr, nlmsghdr } from '../src/genl/headers';

describe('genl headers: the buffer-layout structs and the offsets written out from them', () => {
  it('header-offsets.ts is what headerOffsetsSource() writes from the layouts (npm run headers:offsets)', () => {
    const file = readFileSync(path.join(__dirname, '..', '..', 'src', 'genl', 'header-offsets.ts'), 'utf8');
    assert.equal(file, headerOffsetsSource());
  });

  it('each offset the code uses is the layouts\' own', () => {
    assert.deepEqual({ ...offsets }, { ...HEADER_OFFSETS });
    // and the layouts are the uapi's: a header encoded with them puts each field at its offset
    const b = Buffer.alloc(nlmsghdr.span + nlmsgerr.span);
    nlmsghdr.encode({ len: 0x11111111, type: 0x2222, flags: 0x3333, seq: 0x44444444, pid: 0x55555555 }, b, 0);
    assert.equal(b.readUInt32LE(offsets.NLH_LEN), 0x11111111);
    assert.equal(b.readUInt16LE(offsets.NLH_TYPE), 0x2222);
    assert.equal(b.readUInt16LE(offsets.NLH_FLAGS), 0x3333);
    assert.equal(b.readUInt32LE(offsets.NLH_SEQ), 0x44444444);
    assert.equal(b.readUInt32LE(offsets.NLH_PID), 0x55555555);
    genlmsghdr.encode({ cmd: 7, version: 2, reserved: 0 }, b, nlmsghdr.span);
    assert.deepEqual([b[offsets.GENLH_CMD], b[offsets.GENLH_VERSION]], [7, 2]);
    nlmsgerr.encode({ error: -19, msg: { len: 20, type: 0x14, flags: 5, seq: 9, pid: 0 } }, b, nlmsghdr.span);
    assert.equal(b.readInt32LE(offsets.NLMSGERR_ERROR), -19);
    assert.equal(b.readUInt32LE(offsets.NLMSGERR_MSG + offsets.NLH_SEQ), 9);
    assert.deepEqual([nlmsghdr.span, genlmsghdr.span, nlmsgerr.span], [16, 4, 20]);
  });

  it('the code that reads and writes headers does not load buffer-layout', () => {
    const dist = path.join(__dirname, '..', 'src');
    const modules = JSON.stringify(['genl/message', 'genl/batch', 'genl/connection', 'genl/generic', 'devlink/devlink']);
    const script = `for (const m of ${modules}) require(${JSON.stringify(dist)} + '/' + m + '.js');
      process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('buffer-layout'))));`;
    assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), 'false');
  });
});
