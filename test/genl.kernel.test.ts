/**
 * Against this machine's real kernel, over GenericNetlink.open()'s socket. The oracle is
 * iproute2's `genl ctrl list`, whose text is parsed here independently of our decoder.
 * Skips cleanly where there is no AF_NETLINK generic socket (or no `genl` binary).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FamilyNotFoundError, KernelError } from '../src/genl/errors';
import { GenericNetlink } from '../src/genl/generic';
import { finishRequest, startRequest } from '../src/genl/message';
import { ctrlAttrs, Family } from '../src/genl/nlctrl';

const GENL = ['/usr/sbin/genl', '/sbin/genl', '/usr/bin/genl'].find((p) => existsSync(p));
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const NLM_F_REQUEST_ACK = 0x01 | 0x04;

/** A family as `genl ctrl list` prints it. `ops[].flags` is undefined where genl does not print them (family version < 2). */
interface GenlFamily {
  name: string;
  id: number;
  version: number;
  hdrSize: number;
  maxAttr: number;
  ops: { id: number; flags: number | undefined }[];
  groups: { name: string; id: number }[];
}

/**
 * Parse iproute2 6.x `genl ctrl list` / `genl ctrl get` text:
 *
 *   Name: nlctrl
 *   	ID: 0x10  Version: 0x2  header size: 0  max attribs: 0
 *   	commands supported:
 *   		#1:  ID-0x3
 *   		Capabilities (0xe):
 *    		  can doit; can dumpit; has policy
 *   	multicast groups:
 *   		#1:  ID-0x10  name: notify
 */
function parseGenl(text: string): GenlFamily[] {
  const out: GenlFamily[] = [];
  for (const block of text.split(/^Name: /m).slice(1)) {
    const name = block.slice(0, block.indexOf('\n')).trim();
    const num = (re: RegExp, radix: number): number => {
      const m = re.exec(block);
      assert.ok(m, `genl output for ${name}: no ${re}`);
      return parseInt(m[1], radix);
    };
    const f: GenlFamily = {
      name,
      id: num(/\bID: 0x([0-9a-f]+)/, 16),
      version: num(/Version: 0x([0-9a-f]+)/, 16),
      hdrSize: num(/header size: (\d+)/, 10),
      maxAttr: num(/max attribs: (\d+)/, 10),
      ops: [],
      groups: [],
    };
    const gi = block.indexOf('multicast groups:');
    const cmds = gi >= 0 ? block.slice(0, gi) : block;
    const groups = gi >= 0 ? block.slice(gi) : '';
    for (const m of cmds.matchAll(/#\d+:\s+ID-0x([0-9a-f]+)\s*\n(?:\s*Capabilities \(0x([0-9a-f]+)\))?/g)) {
      f.ops.push({ id: parseInt(m[1], 16), flags: m[2] === undefined ? undefined : parseInt(m[2], 16) });
    }
    for (const m of groups.matchAll(/#\d+:\s+ID-0x([0-9a-f]+)\s+name: (\S+)/g)) {
      f.groups.push({ id: parseInt(m[1], 16), name: m[2] });
    }
    out.push(f);
  }
  return out;
}

function genl(...args: string[]): string {
  return execFileSync(GENL!, args, { encoding: 'utf8' });
}

function assertSameAsGenl(ours: Family, theirs: GenlFamily): void {
  assert.equal(ours.name, theirs.name);
  assert.equal(ours.id, theirs.id, `${theirs.name}: id`);
  assert.equal(ours.version, theirs.version, `${theirs.name}: version`);
  assert.equal(ours.hdrSize, theirs.hdrSize, `${theirs.name}: hdrsize`);
  assert.equal(ours.maxAttr, theirs.maxAttr, `${theirs.name}: maxattr`);
  assert.deepEqual(ours.ops.map((o) => o.id), theirs.ops.map((o) => o.id), `${theirs.name}: op ids`);
  theirs.ops.forEach((o, i) => {
    if (o.flags !== undefined) assert.equal(ours.ops[i].flags, o.flags, `${theirs.name}: flags of op ${o.id}`);
  });
  assert.deepEqual(ours.groups, theirs.groups, `${theirs.name}: groups`);
}

describe('real kernel: generic netlink controller (nlctrl)', function () {
  let g: GenericNetlink | undefined;
  let listed: GenlFamily[] = [];

  before(async function () {
    try {
      g = await GenericNetlink.open();
      await g.family('nlctrl');
    } catch (e) {
      await g?.close();
      g = undefined;
      console.log(`      (skipped: no usable AF_NETLINK generic socket: ${(e as Error).message})`);
      this.skip();
    }
    if (GENL) listed = parseGenl(genl('ctrl', 'list'));
  });

  after(async () => {
    await g?.close();
  });

  const withGenl = function (this: Mocha.Context): void {
    if (!GENL) this.skip();
  };

  for (const name of ['nlctrl', 'ethtool', 'netdev']) {
    it(`resolves ${name} as \`genl ctrl get name ${name}\` prints it`, async function () {
      withGenl.call(this);
      const theirs = listed.find((f) => f.name === name);
      if (!theirs) this.skip(); // this kernel lacks the family
      const [one] = parseGenl(genl('ctrl', 'get', 'name', name));
      assertSameAsGenl(await g!.family(name, { refresh: true }), one);
      assertSameAsGenl(await g!.family(name), theirs);
    });
  }

  it('the genl oracle printed op flags for nlctrl (version 2) and they include DO for GETFAMILY', function () {
    withGenl.call(this);
    const ctrl = listed.find((f) => f.name === 'nlctrl')!;
    const get = ctrl.ops.find((o) => o.id === CTRL_CMD_GETFAMILY);
    assert.ok(get && get.flags !== undefined && (get.flags & 0x2) !== 0);
  });

  it('families() lists every family `genl ctrl list` lists, same names, ids and details', async function () {
    withGenl.call(this);
    const ours = await g!.families();
    assert.deepEqual(
      ours.map((f) => [f.name, f.id]).sort(),
      listed.map((f) => [f.name, f.id]).sort(),
    );
    for (const f of listed) assertSameAsGenl(ours.find((o) => o.name === f.name)!, f);
  });

  it('family("devlink") rejects with FamilyNotFoundError (errno 2, ENOENT)', async function () {
    if (listed.some((f) => f.name === 'devlink')) this.skip(); // this kernel has devlink
    await assert.rejects(g!.family('devlink', { refresh: true }), (e: unknown) => {
      assert.ok(e instanceof FamilyNotFoundError, String(e));
      assert.ok(e instanceof KernelError);
      assert.equal(e.errno, 2);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.family, 'devlink');
      assert.match(e.message, /^generic netlink family "devlink" not found: nlctrl getfamily: No such file or directory \(ENOENT\)/);
      return true;
    });
    // a failed lookup is not cached: asking again asks the kernel again
    const sent = g!.connection.stats.sent;
    await assert.rejects(g!.family('devlink'), FamilyNotFoundError);
    assert.equal(g!.connection.stats.sent, sent + 1);
  });

  it('cache: a second family() call sends nothing; { refresh: true } asks again', async () => {
    const c = g!.connection;
    const a = await g!.family('nlctrl', { refresh: true });
    const sent = c.stats.sent;
    const b = await g!.family('nlctrl');
    assert.equal(c.stats.sent, sent);
    assert.equal(b, a);
    const fresh = await g!.family('nlctrl', { refresh: true });
    assert.equal(c.stats.sent, sent + 1);
    assert.notEqual(fresh, a);
    assert.deepEqual(fresh, a);
  });

  describe('a malformed request comes back with the kernel\'s ext-ack, resolved to the attribute', () => {
    before(function () {
      if (!g!.connection.transport.features.extAck) this.skip(); // the fallback socket has no ext-ack
    });

    it('CTRL_ATTR_FAMILY_NAME longer than GENL_NAMSIZ - 1, after a valid FAMILY_ID: EINVAL at .family-name', async () => {
      const w = startRequest(GENL_ID_CTRL, NLM_F_REQUEST_ACK, CTRL_CMD_GETFAMILY, 1);
      w.putU16(1, GENL_ID_CTRL); // CTRL_ATTR_FAMILY_ID, offset 20
      w.putString(2, 'x'.repeat(20)); // CTRL_ATTR_FAMILY_NAME, offset 28: policy says at most 15 bytes
      const msg = Buffer.from(finishRequest(w));
      await assert.rejects(g!.connection.request({ msg, op: 'nlctrl getfamily', attrs: ctrlAttrs }), (e: unknown) => {
        assert.ok(e instanceof KernelError, String(e));
        assert.equal(e.errno, 22);
        assert.equal(e.code, 'EINVAL');
        assert.ok(e.extMessage && e.extMessage.length > 0, 'the kernel sent its message');
        assert.equal(e.offset, 28);
        assert.equal(e.attrPath, '.family-name');
        assert.ok(e.message.startsWith(e.extMessage));
        return true;
      });
    });

    it('CTRL_ATTR_FAMILY_ID shorter than its NLA_U16 policy: refused at .family-id', async () => {
      const w = startRequest(GENL_ID_CTRL, NLM_F_REQUEST_ACK, CTRL_CMD_GETFAMILY, 1);
      w.putU8(1, GENL_ID_CTRL); // 1 byte where the policy wants 2
      const msg = Buffer.from(finishRequest(w));
      await assert.rejects(g!.connection.request({ msg, op: 'nlctrl getfamily', attrs: ctrlAttrs }), (e: unknown) => {
        assert.ok(e instanceof KernelError, String(e));
        assert.ok(e.errno === 34 || e.errno === 22, `errno ${e.errno}`); // ERANGE from nla_attr_minlen on 6.x
        assert.ok(e.extMessage && e.extMessage.length > 0);
        assert.equal(e.offset, 20);
        assert.equal(e.attrPath, '.family-id');
        return true;
      });
    });
  });

  it('500 concurrent lookups (refresh: true) of a mix of names are all matched to their own replies', async () => {
    const names = ['nlctrl', 'ethtool', 'netdev', 'thermal', 'tcp_metrics', 'TASKSTATS'].filter(
      (n) => listed.length === 0 ? n === 'nlctrl' : listed.some((f) => f.name === n),
    );
    const serial = new Map<string, Family>();
    for (const n of names) serial.set(n, await g!.family(n, { refresh: true }));
    const before_ = { ...g!.connection.stats };
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => g!.family(names[i % names.length], { refresh: true })));
    results.forEach((f, i) => assert.deepEqual(f, serial.get(names[i % names.length]), `lookup #${i}`));
    const s = g!.connection.stats;
    assert.equal(s.sent - before_.sent, 500);
    assert.equal(s.droppedSeq, before_.droppedSeq);
    assert.equal(s.droppedSender, before_.droppedSender);
    assert.equal(s.malformed, before_.malformed);
    assert.equal(s.overruns, before_.overruns);
  });
});
