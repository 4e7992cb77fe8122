// The library against the real devlink core of Linux 6.1 and 6.12 (User-Mode Linux) with
// netdevsim, compared field by field with what iproute2's `devlink -j` and `genl`
// print for the same objects.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Devlink } from '../../src/devlink/devlink';
import { DevlinkError } from '../../src/devlink/errors';
import { devlinkAttrs } from '../../src/devlink/schema';
import { makeDevlinkError } from '../../src/devlink/errors';
import { Cmd } from '../../src/devlink/constants';
import { finishRequest, startRequest } from '../../src/genl/message';
import { NLM_F_ACK, NLM_F_REQUEST } from '../../src/genl/constants';
import type { DevlinkEvent } from '../../src/devlink/types';
import {
  DEV, devlinkFails, eventsWhile, IS_612, devlinkJson, iproute2Monitor, type MonitorLine, NSIM_SYSFS, onKernel, portAsIproute2, requireGuest, sh, sleep,
  writeSysfs,
} from './helpers';

describe(onKernel('real kernel (UML + netdevsim): devlink'), function () {
  let dl: Devlink;

  before(async function () {
    requireGuest();
    dl = await Devlink.open();
  });
  after(async () => dl?.close());

  it('uses the native socket (ext-ack available)', () => {
    assert.equal(dl.transportName, 'native');
  });

  it('resolves the devlink family like `genl ctrl get name devlink`', async () => {
    const text = sh('genl', ['ctrl', 'get', 'name', 'devlink']);
    const id = Number(/ID: (0x[0-9a-f]+)/.exec(text)![1]);
    const version = Number(/Version: (0x[0-9a-f]+)/.exec(text)![1]);
    const maxattr = Number(/max attribs: (\d+)/.exec(text)![1]);
    // genl 6.1 prints no capabilities for devlink's ops: ids (in order) from genl, flags checked below
    const opIds = [...text.split('multicast groups')[0].matchAll(/#\d+:\s+ID-(0x[0-9a-f]+)/g)].map((m) => Number(m[1]));
    const groups = [...text.matchAll(/ID-(0x[0-9a-f]+)\s+name: (\S+)/g)].map((m) => ({ name: m[2], id: Number(m[1]) }));
    const f = dl.family;
    assert.equal(f.name, 'devlink');
    assert.equal(f.id, id);
    assert.equal(f.version, version);
    assert.equal(f.maxAttr, maxattr);
    assert.deepEqual(f.ops.map((o) => o.id), opIds);
    // <linux/devlink.h>: GETs marked "can dump" dump; SET/NEW/DEL need CAP_NET_ADMIN (GENL_ADMIN_PERM)
    const flagsOf = (cmd: number): number => f.ops.find((o) => o.id === cmd)!.flags;
    for (const cmd of [Cmd.GET, Cmd.PORT_GET, Cmd.PARAM_GET, Cmd.INFO_GET, Cmd.RATE_GET]) assert.ok(flagsOf(cmd) & 0x4, `cmd ${cmd} dumps`);
    for (const cmd of [Cmd.PORT_SET, Cmd.PORT_NEW, Cmd.PORT_DEL, Cmd.ESWITCH_SET, Cmd.RATE_NEW]) {
      assert.ok(flagsOf(cmd) & 0x1, `cmd ${cmd} needs CAP_NET_ADMIN`);
    }
    assert.equal(flagsOf(Cmd.GET) & 0x1, 0, 'GET is unprivileged');
    assert.deepEqual(f.groups, groups);
    assert.ok(f.groups.some((g) => g.name === 'config'));
    if (IS_612) assert.equal(f.maxAttr, 0, '6.12 has split ops with per-op policies: nlctrl reports maxattr 0');
    else assert.equal(f.maxAttr, 176, '6.1 has DEVLINK_ATTR_SELFTESTS (176) as its last attribute');
  });

  it('devices equal `devlink -j dev show`', async () => {
    const ours = (await dl.devices()).map((d) => d.handle).sort();
    const theirs = Object.keys(devlinkJson<{ dev: Record<string, unknown> }>('dev', 'show').dev).sort();
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes(DEV));
    assert.equal((await dl.device(DEV)).handle, DEV);
  });

  it('the port dump equals `devlink -j port show`, field by field', async () => {
    const theirs = devlinkJson<{ port: Record<string, Record<string, unknown>> }>('port', 'show').port;
    const ours = await dl.ports();
    assert.deepEqual(ours.map((p) => p.handle).sort(), Object.keys(theirs).sort());
    for (const p of ours) assert.deepEqual(portAsIproute2(p), theirs[p.handle], p.handle);
  });

  it('one port by index and by netdev name; a device filter', async () => {
    const all = await dl.ports({ dev: DEV });
    assert.ok(all.length >= 4);
    const p0 = all[0];
    const byIndex = await dl.port(p0.handle);
    assert.deepEqual(byIndex, p0);
    assert.ok(p0.netdev, 'netdevsim ports have netdevs');
    const byName = await dl.port(p0.netdev!);
    assert.equal(byName.handle, p0.handle);
    const theirs = devlinkJson<{ port: Record<string, Record<string, unknown>> }>('port', 'show', p0.netdev!).port;
    assert.deepEqual(portAsIproute2(byName), theirs[p0.handle]);
  });

  it('unknown device: ENODEV; unknown port index: ENODEV', async () => {
    await assert.rejects(dl.device('netdevsim/netdevsim999'), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
    await assert.rejects(dl.port(`${DEV}/9999`), (e: unknown) => e instanceof DevlinkError && e.code === 'ENODEV');
  });

  it('device info equals `devlink -j dev info`', async () => {
    const info = await dl.info(DEV);
    const theirs = devlinkJson<{ info: Record<string, Record<string, unknown>> }>('dev', 'info', DEV).info[DEV];
    assert.equal(info.driver, theirs.driver);
    const versions = (theirs.versions ?? {}) as Record<string, Record<string, string>>;
    assert.deepEqual(info.versions.fixed, versions.fixed ?? {});
    assert.deepEqual(info.versions.running, versions.running ?? {});
    assert.deepEqual(info.versions.stored, versions.stored ?? {});
  });

  it('params get and set equal `devlink -j dev param show`', async () => {
    const ours = await dl.params({ dev: DEV });
    const theirs = devlinkJson<{
      param: Record<string, Array<{ name: string; type: string; values: Array<{ cmode: string; value: unknown }> }>>;
    }>('dev', 'param', 'show').param[DEV];
    assert.deepEqual(ours.map((p) => p.name).sort(), theirs.map((p) => p.name).sort());
    for (const t of theirs) {
      const o = ours.find((p) => p.name === t.name)!;
      assert.equal(o.generic ? 'generic' : 'driver-specific', t.type);
      assert.deepEqual(o.values.map((v) => ({ cmode: v.cmode, value: v.value })), t.values);
    }
    const maxMacs = ours.find((p) => p.name === 'max_macs');
    if (maxMacs) {
      await dl.setParam(DEV, 'max_macs', 16, { cmode: 'driverinit' });
      const after = devlinkJson<{
        param: Record<string, Array<{ values: Array<{ cmode: string; value: unknown }> }>>;
      }>('dev', 'param', 'show', DEV, 'name', 'max_macs').param[DEV][0];
      assert.deepEqual(after.values.find((v) => v.cmode === 'driverinit')?.value, 16);
      assert.deepEqual((await dl.param(DEV, 'max_macs')).values.find((v) => v.cmode === 'driverinit')?.value, 16);
    }
  });

  it('reload (driver_reinit) reports the actions performed, like `devlink -j dev reload`', async () => {
    const r = await dl.reload(DEV, { action: 'driver_reinit' });
    assert.deepEqual(r.actionsPerformed, ['driver_reinit']);
    const theirs = devlinkJson<{ reload: { reload_actions_performed: string[] } }>('dev', 'reload', DEV, 'action', 'driver_reinit');
    assert.deepEqual(theirs.reload.reload_actions_performed, r.actionsPerformed);
  });

  it('eswitch: set switchdev and back, each compared with `devlink -j dev eswitch show`', async () => {
    for (const mode of ['switchdev', 'legacy'] as const) {
      await dl.setEswitch(DEV, { mode });
      const e = await dl.eswitch(DEV);
      const theirs = devlinkJson<{ dev: Record<string, Record<string, unknown>> }>('dev', 'eswitch', 'show', DEV).dev[DEV];
      assert.equal(e.mode, mode);
      assert.equal(e.mode, theirs.mode);
      if (theirs['inline-mode'] !== undefined) assert.equal(e.inlineMode, theirs['inline-mode']);
      if (theirs['encap-mode'] !== undefined) assert.equal(e.encapMode, theirs['encap-mode']);
    }
  });

  describe('switchdev with VFs', () => {
    before(async () => {
      await dl.setEswitch(DEV, { mode: 'switchdev' });
      writeSysfs(`${NSIM_SYSFS}/sriov_numvfs`, '2');
    });
    after(async () => {
      writeSysfs(`${NSIM_SYSFS}/sriov_numvfs`, '0');
      await dl.setEswitch(DEV, { mode: 'legacy' });
    });

    it('pcipf and pcivf ports (pfnum, vfnum, external, controller) equal devlink -j', async () => {
      const theirs = devlinkJson<{ port: Record<string, Record<string, unknown>> }>('port', 'show').port;
      const ours = await dl.ports({ dev: DEV });
      const vfs = ours.filter((p) => p.flavour === 'pcivf');
      assert.equal(vfs.length, 2);
      assert.deepEqual(vfs.map((p) => p.vfnum).sort(), [0, 1]);
      for (const p of ours) assert.deepEqual(portAsIproute2(p), theirs[p.handle], p.handle);
      assert.ok(vfs.every((p) => p.pfnum === 0 && p.external === false && p.controller === 0));
    });

    it('rate leaf and node objects: show, add a node, parent a leaf, delete', async () => {
      const leaves = await dl.rates({ dev: DEV });
      const theirs = devlinkJson<{ rate: Record<string, Record<string, unknown>> }>('port', 'function', 'rate', 'show').rate;
      assert.deepEqual(leaves.map((r) => r.handle).sort(), Object.keys(theirs).filter((h) => h.startsWith(DEV + '/')).sort());
      await dl.addRateNode(`${DEV}/group1`, { txShare: 1_250_000n });
      const leaf = leaves.find((r) => r.type === 'leaf')!;
      await dl.setRate(leaf.handle, { txMax: 12_500_000n, parent: 'group1' });
      const after = devlinkJson<{ rate: Record<string, Record<string, unknown>> }>('port', 'function', 'rate', 'show').rate;
      const node = await dl.rate(`${DEV}/group1`);
      assert.equal(node.type, 'node');
      assert.equal(node.txShare, 1_250_000n);
      assert.equal(after[`${DEV}/group1`].tx_share, 1_250_000);
      const l = await dl.rate(leaf.handle);
      assert.equal(l.parent, 'group1');
      assert.equal(l.txMax, 12_500_000n);
      assert.equal(after[leaf.handle].parent, 'group1');
      assert.equal(after[leaf.handle].tx_max, 12_500_000);
      await dl.setRate(leaf.handle, { parent: '' });
      await dl.deleteRateNode(`${DEV}/group1`);
      assert.ok(!(await dl.rates({ dev: DEV })).some((r) => r.handle === `${DEV}/group1`));
    });
  });

  it('port split and unsplit behave as `devlink port split` does on netdevsim', async () => {
    const p = (await dl.ports({ dev: DEV })).find((x) => x.flavour === 'physical')!;
    let ours: unknown;
    try {
      await dl.splitPort(p.handle, 2);
    } catch (e) {
      ours = e;
    }
    if (ours instanceof DevlinkError) {
      const theirs = devlinkFails('port', 'split', p.handle, 'count', '2');
      assert.match(theirs.stderr, new RegExp(`kernel answers: ${ours.strerror}`));
      return;
    }
    assert.equal(ours, undefined);
    const split = (await dl.ports({ dev: DEV })).filter((x) => x.splitGroup === p.number);
    assert.equal(split.length, 2);
    await dl.unsplitPort(split[0].handle);
  });

  describe('sub-function requests in legacy mode (netdevsim refuses SF ports there, as mlx5 does)', () => {
    it('port add pcisf: the kernel validates our attributes, then EOPNOTSUPP like devlink', async () => {
      const err = await dl.addPort(DEV, { flavour: 'pcisf', pfnum: 0, sfnum: 88 }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DevlinkError);
      assert.equal(err.code, 'EOPNOTSUPP');
      const theirs = devlinkFails('port', 'add', DEV, 'flavour', 'pcisf', 'pfnum', '0', 'sfnum', '88');
      assert.match(theirs.stderr, /kernel answers: Operation not supported/);
    });

    it('port function set hw_addr and state: the same answer as devlink', async () => {
      const p = (await dl.ports({ dev: DEV }))[0];
      for (const [settings, args] of [
        [{ hwAddr: '00:00:00:00:88:88' }, ['hw_addr', '00:00:00:00:88:88']],
        [{ state: 'active' }, ['state', 'active']],
        [{ hwAddr: '00:00:00:00:88:88', state: 'active' }, ['hw_addr', '00:00:00:00:88:88', 'state', 'active']],
      ] as const) {
        const err = await dl.setPortFunction(p.handle, settings).then(() => undefined, (e: unknown) => e);
        const theirs = devlinkFails('port', 'function', 'set', p.handle, ...args);
        assert.ok(err instanceof DevlinkError, `${JSON.stringify(settings)} should fail on netdevsim`);
        assert.match(theirs.stderr, new RegExp(`kernel answers: ${err.strerror}`));
        if (err.extMessage) assert.match(theirs.stderr, new RegExp(`Error: ${err.extMessage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
    });

    // 6.1 validates the nest by the family policy ("NLA_F_NESTED is missing"); 6.12's op
    // policy is liberal and the core's strict parse of the nest fails later, with its own message
    it('a PORT_FUNCTION nest without NLA_F_NESTED: EINVAL, the kernel\'s message, and the offset resolved to .port-function', async () => {
      const p = (await dl.ports({ dev: DEV }))[0];
      const w = startRequest(dl.family.id, NLM_F_REQUEST | NLM_F_ACK, Cmd.PORT_SET, 1);
      w.putString(1, p.bus);
      w.putString(2, p.dev);
      w.putU32(3, p.index);
      const nest = w.nestStart(145, false);
      w.putBinary(1, Buffer.from('000000008888', 'hex'));
      w.nestEnd(nest);
      const err = await dl.genl.connection
        .request({ msg: finishRequest(w), op: 'devlink port-set', attrs: devlinkAttrs, makeError: makeDevlinkError })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DevlinkError);
      assert.equal(err.errno, 22);
      assert.match(err.extMessage ?? '', IS_612 ? /^Fail to parse port function attributes$/ : /NLA_F_NESTED is missing/);
      assert.equal(err.attrPath, '.port-function');
    });

    // 6.1 parses PORT_NEW strictly: EINVAL naming the attribute. 6.12's per-op policy is
    // liberal: the attribute is ignored and the request reaches the driver, which wants an sfnum.
    it(IS_612 ? 'a port new with an attribute past maxattr (liberal parsing): ignored, the driver answers'
      : 'a port new with an attribute past maxattr (strict parsing): EINVAL naming it', async () => {
      const w = startRequest(dl.family.id, NLM_F_REQUEST | NLM_F_ACK, Cmd.PORT_NEW, 1);
      w.putString(1, 'netdevsim');
      w.putString(2, `netdevsim${DEV.split('netdevsim')[2]}`);
      w.putU16(77, 7);
      w.putU16(127, 0);
      w.putU32(200, 1);
      const err = await dl.genl.connection
        .request({ msg: finishRequest(w), op: 'devlink port-new', attrs: devlinkAttrs, makeError: makeDevlinkError })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DevlinkError);
      if (IS_612) {
        assert.equal(err.errno, 95);
        assert.match(err.extMessage ?? '', /^netdevsim: User must provide unique sfnum/);
        assert.equal(err.attrPath, undefined);
        return;
      }
      assert.equal(err.errno, 22);
      assert.ok(err.extMessage, 'the kernel says why');
      assert.equal(err.attrPath, '.attr-200');
    });

    // 6.1 asks whether the driver has port_del before it looks for the index; netdevsim
    // has one since scripts/uml/patches/6.1/netdevsim-sf.patch, so the core's own check
    // answers (sf.test.ts covers the driver's SF answers). 6.12 looks the port up first
    // (pre_doit, DEVLINK_NL_FLAG_NEED_PORT): EINVAL without a message or a missing type.
    it('port del without a port index: EINVAL from the core, naming the missing attribute (6.1) or not (6.12)', async () => {
      const w = startRequest(dl.family.id, NLM_F_REQUEST | NLM_F_ACK, Cmd.PORT_DEL, 1);
      w.putString(1, 'netdevsim');
      w.putString(2, DEV.split('/')[1]);
      const err = await dl.genl.connection
        .request({ msg: finishRequest(w), op: 'devlink port-del', attrs: devlinkAttrs, makeError: makeDevlinkError })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof DevlinkError);
      assert.equal(err.errno, 22);
      if (IS_612) {
        assert.equal(err.extMessage, undefined);
        assert.equal(err.missingType, undefined);
        return;
      }
      assert.match(err.extMessage ?? '', /Port index is not specified$/);
      assert.equal(err.missingType, 3, 'NLMSGERR_ATTR_MISS_TYPE: DEVLINK_ATTR_PORT_INDEX');
    });

    it('EPERM for a caller without CAP_NET_ADMIN, with the hint', function () {
      if (!existsSync('/usr/bin/setpriv')) this.skip();
      const script = `
        const { Devlink } = require(${JSON.stringify(process.cwd() + '/dist/src/index.js')});
        (async () => {
          const dl = await Devlink.open();
          try { await dl.setEswitch(${JSON.stringify(DEV)}, { mode: 'switchdev' }); console.log('no error'); }
          catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, message: e.message })); }
          await dl.close();
        })();`;
      const out = sh('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', script]);
      const r = JSON.parse(out) as { name: string; code: string; errno: number; message: string };
      assert.equal(r.name, 'DevlinkError');
      assert.equal(r.code, 'EPERM');
      assert.match(r.message, /CAP_NET_ADMIN/);
    });
  });

  describe('events', () => {
    const NEW_ID = '20';
    const NEW_DEV = `netdevsim/netdevsim${NEW_ID}`;

    function brief(evs: DevlinkEvent[]): Array<{ command: string; object: string; handle: string }> {
      const out: Array<{ command: string; object: string; handle: string }> = [];
      for (const e of evs) {
        if (e.type === 'dev-new' || e.type === 'dev-del') out.push({ command: e.type.slice(4), object: 'dev', handle: e.device.handle });
        if (e.type === 'port-new' || e.type === 'port-del') out.push({ command: e.type.slice(5), object: 'port', handle: e.port.handle });
      }
      return out;
    }

    it('device new and del, port new and del, in the order the kernel sends them (devlink monitor as the oracle)', async () => {
      const devDel = (e: MonitorLine): boolean => e.object === 'dev' && e.command === 'del' && e.handle === NEW_DEV;
      let ours: DevlinkEvent[] = [];
      const theirs = await iproute2Monitor(['dev', 'port'], async () => {
        ours = await eventsWhile(dl, async () => {
          writeSysfs('/sys/bus/netdevsim/new_device', `${NEW_ID} 2`);
          await sleep(200);
          writeSysfs(`/sys/bus/netdevsim/devices/netdevsim${NEW_ID}/new_port`, '5');
          await sleep(100);
          writeSysfs(`/sys/bus/netdevsim/devices/netdevsim${NEW_ID}/del_port`, '5');
          await sleep(100);
          writeSysfs('/sys/bus/netdevsim/del_device', NEW_ID);
        }, (evs) => brief(evs).some(devDel));
      }, (evs) => evs.some(devDel));
      const mine = brief(ours).filter((e) => e.handle.startsWith(NEW_DEV));
      const iproute2 = theirs.filter((e) => e.handle.startsWith(NEW_DEV));
      assert.ok(mine.some((e) => e.object === 'dev' && e.command === 'new'));
      assert.ok(mine.some((e) => e.object === 'port' && e.command === 'new' && e.handle === `${NEW_DEV}/5`));
      assert.ok(mine.some((e) => e.object === 'port' && e.command === 'del' && e.handle === `${NEW_DEV}/5`));
      assert.ok(mine.some((e) => e.object === 'dev' && e.command === 'del'));
      assert.deepEqual(mine, iproute2);
      const port5 = ours.find((e) => e.type === 'port-new' && e.port.index === 5);
      assert.ok(port5 && port5.type === 'port-new' && port5.port.flavour === 'physical', 'the port in the event is decoded');
    });

    it('a device filter keeps only that device\'s events', async () => {
      const seen = await eventsWhile(dl, async () => {
        writeSysfs('/sys/bus/netdevsim/new_device', `${NEW_ID} 1`);
        await sleep(200);
        writeSysfs(`${NSIM_SYSFS}/new_port`, '7');
        await sleep(100);
        writeSysfs(`${NSIM_SYSFS}/del_port`, '7');
        writeSysfs('/sys/bus/netdevsim/del_device', NEW_ID);
      }, (evs) => evs.some((e) => e.type === 'dev-del'), { dev: NEW_DEV });
      assert.ok(seen.length > 0);
      for (const e of seen) {
        if (e.type === 'port-new' || e.type === 'port-del') assert.equal(`${e.port.bus}/${e.port.dev}`, NEW_DEV);
        if (e.type === 'dev-new' || e.type === 'dev-del') assert.equal(e.device.handle, NEW_DEV);
      }
    });
  });
});
