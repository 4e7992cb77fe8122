// Flash updates: the request's bytes by hand (FLASH_UPDATE_FILE_NAME 122, COMPONENT 123,
// OVERWRITE_MASK 152 bitfield32 with selector SETTINGS|IDENTIFIERS), validation, the
// progress as an async iterable on the simulator (mlxfw's steps on a PF, EOPNOTSUPP
// between begin and end on an SF, the kernel's refusals), and dev flash's output.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ValidationError } from '../src/attrs/errors';
import { Devlink } from '../src/devlink/devlink';
import { DevlinkError } from '../src/devlink/errors';
import { flashAttrs } from '../src/devlink/flash';
import { parseDevHandle } from '../src/devlink/handle';
import { devlinkRequest } from '../src/devlink/requests';
import type { FlashEvent } from '../src/devlink/types';
import { Simulator } from '../src/sim';
import { cat, genlmsg, nla, strz, u32 } from './helpers/bytes';
import { PF0, simSession } from './cli.helpers';

const FAMILY = 0x1f;

describe('devlink flash: request bytes and validation', () => {
  const h = parseDevHandle(PF0);
  it('file, component, overwrite in iproute2\'s order', () => {
    const b = devlinkRequest(FAMILY, 58, flashAttrs(h, { file: 'mlx/fw.mfa2', component: 'fw.mgmt', overwrite: ['identifiers'] }));
    const want = genlmsg({ type: FAMILY, flags: 0x05 }, 58, 1, [
      nla(1, strz('pci')), nla(2, strz('0000:06:00.0')), nla(122, strz('mlx/fw.mfa2')), nla(123, strz('fw.mgmt')), nla(152, cat(u32(2), u32(3))),
    ]);
    assert.equal(b.toString('hex'), want.toString('hex'));
  });

  const refused: [string, unknown, string][] = [
    ['no file', {}, 'file'],
    ['an empty file name', { file: '' }, 'file'],
    ['an unknown overwrite section', { file: 'x', overwrite: ['all'] }, 'overwrite[0]'],
    ['overwrite not a list', { file: 'x', overwrite: 'settings' }, 'overwrite'],
  ];
  for (const [what, o, field] of refused) {
    it(`refused before sending: ${what}`, () => {
      assert.throws(() => flashAttrs(h, o as never), (e: unknown) => e instanceof ValidationError && e.field === field);
    });
  }
});

describe('devlink flash on the simulator', function () {
  this.timeout(10_000);
  let dir: string;
  let sim: Simulator;
  let dl: Devlink;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlsf-fw-'));
    fs.mkdirSync(path.join(dir, 'mlx'));
    fs.writeFileSync(path.join(dir, 'mlx', 'fw.mfa2'), Buffer.alloc(4000));
    sim = new Simulator({
      devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }],
      firmwareDir: dir,
      timing: { attachMs: 1, detachMs: 1, freeMs: 1 },
    });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  afterEach(async () => {
    await dl.close();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const collect = async (it: AsyncIterable<FlashEvent>): Promise<{ events: FlashEvent[]; error?: unknown }> => {
    const events: FlashEvent[] = [];
    try {
      for await (const e of it) events.push(e);
      return { events };
    } catch (error) {
      return { events, error };
    }
  };
  const line = (e: FlashEvent): string => (e.phase === 'status' ? `${e.component ?? '-'} ${e.message} ${e.done}/${e.total}` : e.phase);

  it('a PF: begin, mlxfw\'s steps with the download\'s progress, end; done resolves', async () => {
    const u = dl.flash(PF0, { file: 'mlx/fw.mfa2' });
    const { events, error } = await collect(u);
    assert.equal(error, undefined);
    await u.done;
    assert.deepEqual(events.map(line), [
      'begin',
      '- Initializing firmware flash process 0/0',
      '0 Updating component 0/0',
      '0 Downloading component 0/4000', '0 Downloading component 1000/4000', '0 Downloading component 2000/4000',
      '0 Downloading component 3000/4000', '0 Downloading component 4000/4000',
      '0 Verifying component 0/0',
      '- Activating image 0/0',
      '- Firmware flash done 0/0',
      'end',
    ]);
  });

  it('an SF: the op exists but the device cannot flash: begin, end, then EOPNOTSUPP from both the iteration and done', async () => {
    const sf = await dl.createSubfunction({ dev: PF0, pfnum: 0, sfnum: 3 });
    const u = dl.flash(sf.devlink!, { file: 'mlx/fw.mfa2' });
    const { events, error } = await collect(u);
    assert.deepEqual(events.map(line), ['begin', 'end']);
    assert.ok(error instanceof DevlinkError && error.code === 'EOPNOTSUPP');
    await assert.rejects(u.done, (e: unknown) => e instanceof DevlinkError && e.code === 'EOPNOTSUPP');
  });

  it('the kernel\'s refusals before it begins: no progress, its message', async () => {
    const missing = await collect(dl.flash(PF0, { file: 'mlx/none.mfa2' }));
    assert.deepEqual(missing.events, []);
    assert.ok(missing.error instanceof DevlinkError && missing.error.code === 'ENOENT' &&
      missing.error.extMessage === 'failed to locate the requested firmware file');
    const comp = await collect(dl.flash(PF0, { file: 'mlx/fw.mfa2', component: 'fw.mgmt' }));
    assert.ok(comp.error instanceof DevlinkError && comp.error.extMessage === 'component update is not supported by this device');
    const ow = await collect(dl.flash(PF0, { file: 'mlx/fw.mfa2', overwrite: ['settings'] }));
    assert.ok(ow.error instanceof DevlinkError && ow.error.extMessage === 'overwrite settings are not supported by this device');
  });

  it('a monitor sees the same progress', async () => {
    const mon = dl.monitor({ dev: PF0 });
    await mon.ready;
    await dl.flash(PF0, { file: 'mlx/fw.mfa2' }).done;
    let n = 0;
    for await (const e of mon) {
      if (e.type !== 'flash') continue;
      n++;
      if (e.phase === 'end') break;
    }
    assert.equal(n, 12);
  });
});

describe('cli dev flash', () => {
  it('one line per step (not a terminal: no percentages), iproute2\'s words for a missing file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlsf-fw-'));
    fs.writeFileSync(path.join(dir, 'fw.bin'), Buffer.alloc(100));
    const s = await simSession({ firmwareDir: dir });
    try {
      assert.deepEqual(await s.cli(['dev', 'flash', PF0, 'file', 'fw.bin']), {
        code: 0, err: '',
        out: 'Initializing firmware flash process\n[0] Updating component\n[0] Downloading component\n' +
          '[0] Verifying component\nActivating image\nFirmware flash done\n',
      });
      assert.deepEqual(await s.cli(['dev', 'flash', PF0]), { code: 1, out: '', err: 'BUG: unknown argument required but not found\n' });
      assert.deepEqual(await s.cli(['dev', 'flash', PF0, 'file', 'x', 'overwrite', 'all']), { code: 1, out: '', err: 'Unknown overwrite section "all"\n' });
      const r = await s.cli(['dev', 'flash', PF0, 'file', 'nope.bin']);
      assert.equal(r.code, 1);
      // as iproute2 (seen on netdevsim): the kernel's message, no "kernel answers" line
      assert.equal(r.err, 'Error: failed to locate the requested firmware file.\n');
    } finally {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
