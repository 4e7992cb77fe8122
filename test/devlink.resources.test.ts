// Resources against a fake kernel whose answers are written out by hand from
// <linux/devlink.h> (RESOURCE_LIST 63, RESOURCE 64, NAME 65, ID 66, SIZE 67, SIZE_NEW 68,
// SIZE_VALID 69, MIN 70, MAX 71, GRAN 72, UNIT 73, OCC 74; DPIPE_TABLES 27, TABLE 28,
// TABLE_NAME 29, TABLE_RESOURCE_ID 75) as devlink_resource_put lays them out, in two
// messages and a DONE; the requests' bytes checked; resource show printed as iproute2 6.1.
import assert from 'node:assert/strict';
import { Devlink } from '../src/devlink/devlink';
import { NotFoundError } from '../src/devlink/errors';
import { ValidationError } from '../src/attrs/errors';
import { cat, genlmsg, nla, strz, u64 } from './helpers/bytes';
import { ack, FakeKernel, FakeRequest, Handler, multipart, nlctrl } from './helpers/fake-kernel';
import { run } from './cli.helpers';

const DEVLINK_ID = 0x1b;
const PF = 'pci/0000:03:00.0';
const HANDLE = [nla(1, strz('pci')), nla(2, strz('0000:03:00.0'))];
const CMD_RESOURCE_SET = 35;
const CMD_RESOURCE_DUMP = 36;
const CMD_DPIPE_TABLE_GET = 31;

function res(
  name: string, id: bigint, size: bigint,
  o: { min?: bigint; max?: bigint; gran?: bigint; occ?: bigint; sizeNew?: bigint; children?: Buffer[] } = {},
): Buffer {
  const a = [nla(65, strz(name)), nla(67, u64(size)), nla(66, u64(id))];
  if (o.sizeNew !== undefined) a.push(nla(68, u64(o.sizeNew)));
  a.push(nla(69, [1]), nla(70, u64(o.min ?? size)), nla(71, u64(o.max ?? size)), nla(72, u64(o.gran ?? 1n)), nla(73, [0]));
  if (o.occ !== undefined) a.push(nla(74, u64(o.occ)));
  if (o.children) a.push(nla(63, cat(...o.children)));
  return nla(64, cat(...a));
}

const KVD = res('kvd', 1n, 245760n, {
  children: [
    res('linear', 2n, 98304n, { min: 0n, max: 147456n, gran: 128n, occ: 0n }),
    res('hash_double', 3n, 60416n, { min: 32768n, max: 180224n, gran: 128n }),
  ],
});
const SPAN = res('span', 4n, 32n, { occ: 3n });

describe('devlink resources', () => {
  let dl: Devlink;
  let seen: FakeRequest[];
  const answer: Handler = (req) => {
    seen.push(req);
    if (req.cmd === CMD_RESOURCE_DUMP) {
      // two messages (devlink_resource_fill splits when the skb is full), then DONE
      return multipart(req, [[...HANDLE, nla(63, KVD)], [...HANDLE, nla(63, SPAN)]], { batches: 2 });
    }
    if (req.cmd === CMD_DPIPE_TABLE_GET) {
      return multipart(req, [[...HANDLE, nla(27, nla(28, cat(nla(29, strz('mlxsw_erif')), nla(30, u64(1000n)), nla(75, u64(2n)))))]]);
    }
    return ack(req);
  };
  const newKernel = (): FakeKernel => {
    const ctrl = nlctrl([{ id: DEVLINK_ID, name: 'devlink', version: 1, maxattr: 200 }]);
    return new FakeKernel({ handler: (req, k) => (req.type === DEVLINK_ID ? answer(req, k) : ctrl(req, k)) });
  };
  beforeEach(async () => {
    seen = [];
    dl = await Devlink.open({ transport: newKernel() });
  });
  afterEach(async () => {
    await dl.close();
  });

  it('a tree across two messages: paths, bounds, occupancy', async () => {
    const list = await dl.resources(PF);
    assert.deepEqual(list.map((r) => r.path), ['kvd', 'span']);
    const [linear, hash] = list[0].children;
    assert.deepEqual(
      {
        path: linear.path, id: linear.id, size: linear.size,
        min: linear.sizeMin, max: linear.sizeMax, gran: linear.sizeGran, occ: linear.occ, unit: linear.unit,
      },
      { path: 'kvd/linear', id: 2n, size: 98304n, min: 0n, max: 147456n, gran: 128n, occ: 0n, unit: 'entry' });
    assert.equal(hash.occ, undefined);
    assert.equal(list[1].occ, 3n);
    // the request: handle only, RESOURCE_DUMP with NLM_F_REQUEST|NLM_F_ACK
    assert.equal(seen[0].msg.subarray(16).toString('hex'), genlmsg({ type: DEVLINK_ID }, CMD_RESOURCE_DUMP, 1, HANDLE).subarray(16).toString('hex'));
  });

  it('set by path: the tree is read, then RESOURCE_SET with the id u64 and the size u64', async () => {
    await dl.setResourceSize(PF, '/kvd/hash_double', 65536);
    const set = seen.find((r) => r.cmd === CMD_RESOURCE_SET)!;
    assert.equal(set.msg.subarray(16).toString('hex'),
      genlmsg({ type: DEVLINK_ID }, CMD_RESOURCE_SET, 1, [...HANDLE, nla(66, u64(3n)), nla(67, u64(65536n))]).subarray(16).toString('hex'));
    await assert.rejects(dl.setResourceSize(PF, 'kvd/nope', 1), NotFoundError);
    await assert.rejects(dl.setResourceSize(PF, '/', 1), (e: unknown) => e instanceof ValidationError && e.field === 'resource');
    await assert.rejects(dl.setResourceSize(PF, 'kvd', -1), (e: unknown) => e instanceof ValidationError && e.field === 'size');
  });

  it('resource show: iproute2\'s text, tables by resource id', async () => {
    const r = await run(['resource', 'show', PF], { transport: newKernel });
    assert.equal(r.err, '');
    assert.equal(r.out, [
      `${PF}:`,
      '  name kvd size 245760 unit entry dpipe_tables none',
      '    resources:',
      '      name linear size 98304 occ 0 unit entry size_min 0 size_max 147456 size_gran 128',
      '        dpipe_tables:',
      '          table_name mlxsw_erif',
      '      name hash_double size 60416 unit entry size_min 32768 size_max 180224 size_gran 128 dpipe_tables none',
      '  name span size 32 occ 3 unit entry dpipe_tables none',
      '',
    ].join('\n'));
    const j = await run(['-j', 'resource', 'show', PF], { transport: newKernel });
    const parsed = JSON.parse(j.out) as { resources: Record<string, { name: string; resources?: { name: string }[] }[]> };
    assert.deepEqual(parsed.resources[PF].map((x) => x.name), ['kvd', 'span']);
    assert.deepEqual(parsed.resources[PF][0].resources?.map((x) => x.name), ['linear', 'hash_double']);
    assert.deepEqual(await run(['resource', 'set', PF, 'path', 'kvd/linear'], { transport: newKernel }),
      { code: 1, out: '', err: 'Resource size expected.\n' });
  });
});
