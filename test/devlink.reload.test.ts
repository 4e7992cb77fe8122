// Reload into another network namespace: the request's bytes written out by hand from
// <linux/devlink.h> (NETNS_FD 138, NETNS_PID 139, NETNS_ID 140, RELOAD_ACTION 153,
// RELOAD_LIMITS 155) in iproute2 6.1's dl_opts_put order, the validation before anything
// is sent, the descriptor a path was opened for closed after the answer, and the move on
// the simulator (the instance leaves this namespace's view with PARAM_DEL..., DEL).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError } from '../src/devlink/errors';
import { parseDevHandle } from '../src/devlink/handle';
import { reloadRequest } from '../src/devlink/reload';
import { devlinkRequest } from '../src/devlink/requests';
import type { DevlinkEvent } from '../src/devlink/types';
import { Simulator } from '../src/sim';
import { cat, genlmsg, nla, strz } from './helpers/bytes';
import { isRoot, suiteNetns } from './helpers/netns';
import { PF0, PF1, simSession } from './cli.helpers';

const FAMILY = 0x1f;
const RELOAD = 37;
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const HANDLE = [nla(1, strz('pci')), nla(2, strz('0000:06:00.0'))];
const expected = (...attrs: Buffer[]): string =>
  genlmsg({ type: FAMILY, flags: 0x05, seq: 0, pid: 0 }, RELOAD, 1, [...HANDLE, ...attrs]).toString('hex');

describe('devlink reload netns: request bytes', () => {
  const dev = parseDevHandle(PF0);
  const bytesOf = (o: Parameters<typeof reloadRequest>[1]): { hex: string; fd?: number } => {
    const r = reloadRequest(dev, o);
    try {
      return { hex: devlinkRequest(FAMILY, RELOAD, r.attrs).toString('hex'), ...(r.attrs.netnsFd !== undefined ? { fd: r.attrs.netnsFd } : {}) };
    } finally {
      r.close();
    }
  };

  it('{ pid }: NETNS_PID u32 after the handle', () => {
    assert.equal(bytesOf({ netns: { pid: 4321 } }).hex, expected(nla(139, le32(4321))));
  });

  it('{ id } with action and limit: NETNS_ID, then RELOAD_ACTION u8, then RELOAD_LIMITS bitfield32', () => {
    const hex = bytesOf({ netns: { id: 7 }, action: 'driver_reinit', limit: 'no_reset' }).hex;
    // limits: value BIT(no_reset) = 2, selector DEVLINK_RELOAD_LIMITS_VALID_MASK = 3
    assert.equal(hex, expected(nla(140, le32(7)), nla(153, [1]), nla(155, cat(le32(2), le32(3)))));
  });

  it('{ fd }: NETNS_FD carries the caller\'s descriptor as it is', () => {
    assert.equal(bytesOf({ netns: { fd: 9 } }).hex, expected(nla(138, le32(9))));
  });

  it('a path: opened read-only, sent as NETNS_FD, closed by close()', () => {
    const r = reloadRequest(dev, { netns: '/proc/self/ns/net' });
    const fd = r.attrs.netnsFd;
    assert.equal(typeof fd, 'number');
    assert.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), fs.readlinkSync('/proc/self/ns/net'));
    assert.equal(devlinkRequest(FAMILY, RELOAD, r.attrs).toString('hex'), expected(nla(138, le32(fd!))));
    r.close();
    r.close(); // twice is harmless: the descriptor number may already belong to someone else
    assert.throws(() => fs.fstatSync(fd!), /EBADF/);
  });

  const refused: [string, unknown, string][] = [
    ['a bare number (fd or PID?)', 1234, 'netns'],
    ['two ways at once', { pid: 1, fd: 3 }, 'netns'],
    ['none of fd, pid, id', {}, 'netns'],
    ['a misspelt key', { pdi: 1 }, 'netns.pdi'],
    ['a negative PID', { pid: -1 }, 'netns.pid'],
    ['an id beyond u32', { id: 2 ** 32 }, 'netns.id'],
    ['an empty name', '', 'netns'],
    ['a name with NUL', 'a\0b', 'netns'],
    ['"..", which would leave /var/run/netns', '..', 'netns'],
    ['a namespace that does not exist', 'devlink-sf-no-such-ns', 'netns'],
    ['a path that does not exist', '/nonexistent/ns', 'netns'],
  ];
  for (const [what, netns, field] of refused) {
    it(`refused before sending: ${what}`, () => {
      assert.throws(() => reloadRequest(dev, { netns: netns as never }), (e: unknown) => e instanceof ValidationError && e.field === field);
    });
  }
});

describe('devlink reload netns on the simulator', function () {
  this.timeout(10_000);
  const ns = suiteNetns('dlsf-reload');
  let sim: Simulator;
  let dl: Devlink;
  beforeEach(async () => {
    sim = new Simulator({ devices: [
      { handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'legacy' },
      { handle: PF1, driver: 'mlx5_core', pfnum: 1, eswitch: 'legacy' },
    ] });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
  });

  it('into the namespace it is in: an ordinary reload, the instance stays', async () => {
    await dl.reload(PF1, { netns: { pid: process.pid } });
    assert.deepEqual((await dl.devices()).map((d) => d.handle), [PF0, PF1]);
  });

  it('into another namespace by name: PARAM_DEL for each param, then DEL; gone from this view', async () => {
    const params = (await dl.params({ dev: PF1 })).length;
    assert.ok(params > 0);
    const mon = dl.monitor();
    await mon.ready;
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    await dl.reload(PF1, { netns: ns.name });
    assert.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'the namespace descriptor is closed');
    const seen: DevlinkEvent[] = [];
    for await (const e of mon) {
      seen.push(e);
      if (e.type === 'dev-del') break;
    }
    assert.equal(seen.filter((e) => e.type === 'other' && e.cmd === 'param-del').length, params);
    assert.equal(seen.at(-1)?.type, 'dev-del');
    assert.deepEqual((await dl.devices()).map((d) => d.handle), [PF0]);
    await assert.rejects(dl.device(PF1), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
    await assert.rejects(dl.params({ dev: PF1 }), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
  });

  it('a PID that names no process: EINVAL with the kernel\'s "Unknown network namespace"', async () => {
    await assert.rejects(dl.reload(PF1, { netns: { pid: 0x7ffffff0 } }), (e: unknown) =>
      e instanceof DevlinkError && e.code === 'EINVAL' && /Unknown network namespace$/.test(e.extMessage ?? ''));
    await assert.rejects(dl.reload(PF1, { netns: { id: 3 } }), (e: unknown) => e instanceof DevlinkError && e.code === 'EINVAL');
    // a descriptor that is not a namespace's
    const fd = fs.openSync('/dev/null', 'r');
    try {
      await assert.rejects(dl.reload(PF1, { netns: { fd } }), (e: unknown) => e instanceof DevlinkError && e.code === 'EINVAL');
    } finally {
      fs.closeSync(fd);
    }
    assert.deepEqual((await dl.devices()).map((d) => d.handle), [PF0, PF1]);
  });
});

describe('cli dev reload netns', function () {
  const ns = suiteNetns('dlsf-cli-reload');
  it('a name, a PID, and a word that is neither', async function () {
    if (!isRoot()) this.skip();
    const s = await simSession();
    try {
      assert.deepEqual(await s.cli(['dev', 'reload', PF1, 'netns', String(process.pid)]), { code: 0, out: '', err: '' });
      assert.deepEqual(await s.cli(['dev', 'reload', PF1, 'netns', 'devlink-sf-no-such-ns']),
        { code: 1, out: '', err: '"devlink-sf-no-such-ns" is not a number or not within range\n' });
      assert.deepEqual(await s.cli(['dev', 'reload', PF1, 'netns', ns.name]), { code: 0, out: '', err: '' });
      assert.deepEqual(await s.cli(['dev', 'show']), { code: 0, out: `${PF0}\n`, err: '' });
    } finally {
      await s.close();
    }
  });
});
