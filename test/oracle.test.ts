// The byte-level oracle: iproute2's `devlink` and a real 6.1 kernel, captured with nlmon
// (fixtures/kernel, made by scripts/uml/capture.sh). The library's requests must equal
// iproute2's apart from sequence and port numbers, plus two things that are iproute2
// 6.1's own: it sends genl version 0 (fixed in iproute2 6.9; the uapi's
// DEVLINK_GENL_VERSION is 1) and leaves attribute padding unzeroed (libmnl 1.0.4 does not
// clear it). The kernel's answers must decode to what `devlink -j` printed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Cmd } from '../src/devlink/constants';
import { decodeMessage, eswitchFrom, portFrom, deviceFrom } from '../src/devlink/decode';
import { parseDevHandle, parsePortHandle } from '../src/devlink/handle';
import { addPortAttrs, devAttrs, devlinkRequest, eswitchAttrs, portAttrs, portFunctionAttrs, DevlinkRequestAttrs } from '../src/devlink/requests';
import { parseError } from '../src/genl/message';
import { getFamilyRequest, decodeFamily } from '../src/genl/nlctrl';
import { portAsIproute2 } from './kernel/helpers';
import { Fixture, masked, messagesOf } from './helpers/oracle';

const DIR = path.join(__dirname, '..', '..', 'fixtures', 'kernel');
const fixtures = new Map<string, Fixture>(
  readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'index.json')
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Fixture]),
);

function fixture(name: string): Fixture {
  const f = fixtures.get(name);
  if (!f) throw new Error(`fixture ${name} is missing from fixtures/kernel`);
  return f;
}

const messages = messagesOf;

/** The one devlink request of a capture (the family lookup is the other request). */
function iproute2Request(f: Fixture): Buffer {
  const reqs = messages(f, 'request').filter((m) => m.type === f.devlinkFamilyId);
  assert.equal(reqs.length, 1, `${f.name}: one devlink request expected`);
  const m = reqs[0];
  return m.buf.subarray(m.offset, m.offset + m.length);
}

const NSIM = parseDevHandle('netdevsim/netdevsim10');
const PORT0 = parsePortHandle('netdevsim/netdevsim10/0');
const VF0 = parsePortHandle('netdevsim/netdevsim10/128');

const cases: Array<[string, number, DevlinkRequestAttrs, boolean?]> = [
  ['port-add-pcisf', Cmd.PORT_NEW, addPortAttrs(NSIM, { flavour: 'pcisf', pfnum: 0, sfnum: 88 })],
  ['port-add-pcisf-controller', Cmd.PORT_NEW, addPortAttrs(NSIM, { flavour: 'pcisf', pfnum: 0, sfnum: 88, controller: 1 })],
  ['port-del', Cmd.PORT_DEL, portAttrs(PORT0)],
  ['port-function-set-hwaddr', Cmd.PORT_SET, portFunctionAttrs(PORT0, { hwAddr: '00:00:00:00:88:88' })],
  ['port-function-set-state', Cmd.PORT_SET, portFunctionAttrs(PORT0, { state: 'active' })],
  ['port-function-set-hwaddr-state', Cmd.PORT_SET, portFunctionAttrs(PORT0, { hwAddr: '00:00:00:00:88:88', state: 'active' })],
  ['port-function-set-hwaddr-vf', Cmd.PORT_SET, portFunctionAttrs(VF0, { hwAddr: '00:00:00:00:88:88' })],
  ['eswitch-set-switchdev', Cmd.ESWITCH_SET, eswitchAttrs(NSIM, { mode: 'switchdev' })],
  ['eswitch-set-legacy', Cmd.ESWITCH_SET, eswitchAttrs(NSIM, { mode: 'legacy' })],
  ['eswitch-show', Cmd.ESWITCH_GET, devAttrs(NSIM)],
  ['port-show-one', Cmd.PORT_GET, portAttrs(PORT0)],
  ['port-show-vf', Cmd.PORT_GET, portAttrs(VF0)],
  ['port-show-dump', Cmd.PORT_GET, {}, true],
  ['dev-show', Cmd.GET, {}, true],
];

describe('oracle: our requests are the bytes iproute2 sends (fixtures/kernel)', () => {
  for (const [name, cmd, attrs, dump] of cases) {
    it(`${name}: ${fixtures.get(name)?.command ?? '(missing fixture)'}`, () => {
      const f = fixture(name);
      const theirs = iproute2Request(f);
      const ours = devlinkRequest(f.devlinkFamilyId, cmd, attrs, dump === true);
      assert.equal(masked(ours), masked(theirs));
      // what is masked really is only seq, pid, version and padding: lengths agree exactly
      assert.equal(ours.length, theirs.length);
      assert.equal(theirs[17], 0, 'iproute2 6.1 sends genl version 0');
      assert.equal(ours[17], 1);
    });
  }

  it('the family lookup (CTRL_CMD_GETFAMILY "devlink")', () => {
    const f = fixture('ctrl-getfamily-devlink');
    const req = messages(f, 'request').find((m) => m.type === 0x10)!;
    assert.equal(masked(getFamilyRequest('devlink')), masked(req.buf.subarray(req.offset, req.offset + req.length)));
  });
});

describe('oracle: the kernel\'s answers decode to what `devlink -j` printed', () => {
  it('NEWFAMILY: devlink\'s id and the config group', () => {
    const f = fixture('ctrl-getfamily-devlink');
    const fam = decodeFamily(messages(f, 'reply').find((m) => m.type === 0x10)!);
    assert.equal(fam.name, 'devlink');
    assert.equal(fam.id, f.devlinkFamilyId);
    assert.equal(fam.maxAttr, 176);
    assert.ok(fam.ops.length > 50);
    assert.deepEqual(fam.groups.map((g) => g.name), ['config']);
  });

  for (const name of ['port-show-dump', 'port-show-dump-switchdev']) {
    it(`${name}: every port, field by field`, () => {
      const f = fixture(name);
      const ports = messages(f, 'reply').filter((m) => m.type === f.devlinkFamilyId).map((m) => portFrom(decodeMessage(m)));
      const theirs = f.devlinkJson!['devlink -j port show'].port as Record<string, Record<string, unknown>>;
      assert.deepEqual(ports.map((p) => p.handle).sort(), Object.keys(theirs).sort());
      for (const p of ports) assert.deepEqual(portAsIproute2(p), theirs[p.handle], p.handle);
    });
  }

  it('port-show-vf: a pcivf port (PORT_NEW reply to a get)', () => {
    const f = fixture('port-show-vf');
    const reply = messages(f, 'reply').find((m) => m.type === f.devlinkFamilyId)!;
    assert.equal(reply.buf[reply.offset + 16], Cmd.PORT_NEW);
    const p = portFrom(decodeMessage(reply));
    const key = Object.keys(f.devlinkJson!).find((k) => k.startsWith('devlink -j port show netdevsim'))!;
    const theirs = f.devlinkJson![key].port as Record<string, Record<string, unknown>>;
    assert.deepEqual(portAsIproute2(p), theirs[p.handle]);
    assert.equal(p.flavour, 'pcivf');
  });

  it('eswitch-show and dev-show', () => {
    const e = fixture('eswitch-show');
    const es = eswitchFrom(decodeMessage(messages(e, 'reply').find((m) => m.type === e.devlinkFamilyId)!));
    const theirs = e.devlinkJson!['devlink -j dev eswitch show netdevsim/netdevsim10'].dev as Record<string, Record<string, unknown>>;
    assert.equal(es.mode, theirs[es.handle].mode);
    const d = fixture('dev-show');
    const devs = messages(d, 'reply').filter((m) => m.type === d.devlinkFamilyId).map((m) => deviceFrom(decodeMessage(m)).handle);
    assert.deepEqual(devs, Object.keys(d.devlinkJson!['devlink -j dev show'].dev));
  });

  it('errors: EOPNOTSUPP with the core\'s ext-ack message, capped', () => {
    const expect: Array<[string, string | undefined]> = [
      ['port-add-pcisf', undefined],
      ['port-function-set-hwaddr', "Port doesn't support function attributes"],
      ['port-function-set-state', 'Function does not support state setting'],
    ];
    for (const [name, msg] of expect) {
      const f = fixture(name);
      const err = messages(f, 'reply').filter((m) => m.type === 2).map(parseError).find((a) => a.errno !== 0)!;
      assert.equal(err.errno, 95, name);
      if (msg === undefined) assert.equal(err.extMessage, undefined, name);
      else assert.match(err.extMessage ?? '', new RegExp(msg), name);
    }
  });
});
