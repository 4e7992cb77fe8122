// monitor's health, trap and flash notifications on the simulator, printed as iproute2
// 6.1's cmd_mon_show_cb prints them ([health,status], [trap,new], [trap-group,new],
// [flash,begin|status|end]); `monitor trap` leaves the others out.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PF0, SimSession, simSession } from './cli.helpers';

describe('cli monitor: health, trap, flash', () => {
  let s: SimSession;
  let dir: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlsf-mon-'));
    fs.writeFileSync(path.join(dir, 'fw.bin'), Buffer.alloc(8));
    s = await simSession({ firmwareDir: dir });
  });
  afterEach(async () => {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });


  it('all of them, each in its iproute2 form', async () => {
    const r = await s.monitor(['monitor'], async () => {
      assert.equal(s.sim.reportHealth(PF0, 'fw_fatal'), 0);
      assert.equal((await s.cli(['trap', 'set', PF0, 'trap', 'dmac_filter', 'action', 'trap'])).code, 0);
      assert.equal((await s.cli(['dev', 'flash', PF0, 'file', 'fw.bin'])).code, 0);
    });
    const lines = r.out.split('\n');
    // iproute2 keeps its "last handle" across a monitor's events: a second event of the same
    // device prints no handle, and the indent it left stays (the kernel tier checks this
    // against iproute2 with netdevsim's break_health)
    assert.deepEqual(lines.slice(0, 4), [
      `[health,status] ${PF0}:`,
      '  reporter fw_fatal',
      '    state error error 1 recover 0 grace_period 60000 auto_recover true auto_dump true',
      '  [health,status]  reporter fw_fatal',
    ]);
    assert.match(lines[4],
      /^ {4}state healthy error 1 recover 1 last_dump_date \d{4}-\d\d-\d\d last_dump_time \d\d:\d\d:\d\d grace_period 60000 auto_recover true auto_dump true$/);
    assert.equal(lines[5], `  [trap,new] ${PF0}: name dmac_filter type drop generic true action trap group l2_drops`);
    assert.equal(lines[6], `  [flash,begin] ${PF0}:`);
    assert.equal(lines[7], `  [flash,status] ${PF0}: msg Initializing firmware flash process done 0 total 0`);
    assert.ok(lines.includes(`  [flash,status] ${PF0}: msg Downloading component component 0 done 8 total 8`));
    assert.equal(lines.filter((l) => l.startsWith('  [flash,end]')).length, 1);
  });

  it('monitor trap: only the traps', async () => {
    const r = await s.monitor(['monitor', 'trap'], async () => {
      s.sim.reportHealth(PF0, 'fw_fatal');
      await s.cli(['trap', 'group', 'set', PF0, 'group', 'l2_drops', 'action', 'trap']);
    });
    assert.deepEqual(r.out.split('\n').filter((l) => l).map((l) => l.split(' ')[0]), ['[trap,new]', '[trap,new]']);
  });
});
