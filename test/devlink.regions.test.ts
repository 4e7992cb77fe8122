// Regions against a fake kernel answering with bytes written out by hand from
// <linux/devlink.h> (REGION_NAME 88, SIZE 89, SNAPSHOTS 90, SNAPSHOT 91, SNAPSHOT_ID 92,
// CHUNKS 93, CHUNK 94, CHUNK_DATA 95, CHUNK_ADDR 96, CHUNK_LEN 97, MAX_SNAPSHOTS 170);
// the requests' bytes checked; region show / new / dump printed as iproute2 6.1 does.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { regionReadAttrs } from '../src/devlink/regions';
import { devlinkRequest } from '../src/devlink/requests';
import { cat, genlmsg, nla, strz, u32, u64 } from './helpers/bytes';
import { ack, FakeKernel, FakeRequest, Handler, multipart, nlctrl, replyMsg } from './helpers/fake-kernel';
import { run } from './cli.helpers';

const DEVLINK_ID = 0x1b;
const R = 'netdevsim/netdevsim10/dummy';
const HANDLE = [nla(1, strz('netdevsim')), nla(2, strz('netdevsim10'))];
const REGION = [...HANDLE, nla(88, strz('dummy')), nla(89, u64(32768n)), nla(90, cat(nla(91, nla(92, u32(1))), nla(91, nla(92, u32(4))))), nla(170, u32(8))];
const DATA = Buffer.from(Array.from({ length: 20 }, (_, i) => i));

describe('devlink regions', () => {
  let seen: FakeRequest[];
  const answer: Handler = (req) => {
    seen.push(req);
    switch (req.cmd) {
      case 42: return (req.flags & 0x300) === 0x300 ? multipart(req, [REGION]) : [replyMsg(req, REGION), ack(req)];
      case 44: return [replyMsg(req, [...HANDLE, nla(88, strz('dummy')), nla(92, u32(5))]), ack(req)];
      case 46: return multipart(req, [
        [...HANDLE, nla(88, strz('dummy')), nla(93, nla(94, cat(nla(95, DATA.subarray(0, 12)), nla(96, u64(0n)))))],
        [...HANDLE, nla(88, strz('dummy')), nla(93, nla(94, cat(nla(95, DATA.subarray(12)), nla(96, u64(12n)))))],
      ], { batches: 2 });
      default: return ack(req);
    }
  };
  const newKernel = (): FakeKernel => {
    const ctrl = nlctrl([{ id: DEVLINK_ID, name: 'devlink', version: 1, maxattr: 200 }]);
    return new FakeKernel({ handler: (req, k) => (req.type === DEVLINK_ID ? answer(req, k) : ctrl(req, k)) });
  };
  let dl: Devlink;
  beforeEach(async () => {
    seen = [];
    dl = await Devlink.open({ transport: newKernel() });
  });
  afterEach(async () => {
    await dl.close();
  });

  it('read request: handle, REGION_NAME, SNAPSHOT_ID u32, CHUNK_ADDR u64, CHUNK_LEN u64', () => {
    const b = devlinkRequest(0x1f, 46, regionReadAttrs(R, { length: 16, address: 4, snapshot: 1 }));
    assert.equal(b.toString('hex'), genlmsg({ type: 0x1f, flags: 5 }, 46, 1,
      [...HANDLE, nla(88, strz('dummy')), nla(92, u32(1)), nla(96, u64(4n)), nla(97, u64(16n))]).toString('hex'));
    assert.throws(() => regionReadAttrs(R, { address: 4 }), (e: unknown) => e instanceof ValidationError && e.field === 'length');
    assert.throws(() => regionReadAttrs('pci/x', {}), (e: unknown) => e instanceof ValidationError && e.field === 'region');
  });

  it('list, new (the kernel\'s id), read across messages', async () => {
    assert.deepEqual(await dl.regions(), [{ handle: R, dev: 'netdevsim/netdevsim10', name: 'dummy', size: 32768n, snapshots: [1, 4], maxSnapshots: 8 }]);
    assert.equal(await dl.newRegionSnapshot(R), 5);
    const chunks = await dl.readRegion(R, { snapshot: 1 });
    assert.deepEqual(chunks.map((c) => c.address), [0n, 12n]);
    assert.deepEqual(Buffer.concat(chunks.map((c) => c.data)), DATA);
  });

  it('region show, new and dump as iproute2 prints them', async () => {
    assert.deepEqual(await run(['region', 'show'], { transport: newKernel }), { code: 0, err: '', out: `${R}: size 32768 snapshot [1 4] max 8\n` });
    assert.deepEqual(await run(['region', 'new', R], { transport: newKernel }), { code: 0, err: '', out: `${R}: snapshot 5\n` });
    assert.deepEqual(await run(['region', 'dump', R, 'snapshot', '1'], { transport: newKernel }), { code: 0, err: '',
      out: '0000000000000000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f \n0000000000000010 10 11 12 13 \n' });
    assert.deepEqual(await run(['-j', 'region', 'show', R], { transport: newKernel }),
      { code: 0, err: '', out: `{"regions":{"${R}":{"size":32768,"snapshot":[1,4],"max":8}}}\n` });
    assert.deepEqual(await run(['region', 'dump', R], { transport: newKernel }), { code: 1, out: '', err: 'Region snapshot id expected.\n' });
  });
});
