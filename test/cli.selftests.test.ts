// What the kernel's netdevsim devlink selftests (scripts/uml/selftests.sh) ask of the
// command line beyond the basics, on the simulator; each expected text is iproute2 6.1's
// (checked against it on netdevsim in the kernel tier).
import assert from 'node:assert/strict';
import { PF0, SimSession, simSession } from './cli.helpers';

describe('cli: what the kernel selftests parse', () => {
  let s: SimSession;
  beforeEach(async () => {
    s = await simSession();
  });
  afterEach(async () => {
    await s.close();
  });

  it('trap show -v lists the metadata (devlink_trap.sh: devlink -jv trap show ... | jq .metadata)', async () => {
    const args = ['trap', 'show', PF0, 'trap', 'dmac_filter'];
    const text = await s.cli(['-v', ...args]);
    assert.equal(text.code, 0, text.err);
    assert.equal(text.out, [
      `${PF0}:`,
      '  name dmac_filter type drop generic true action drop group l2_drops',
      '    metadata:',
      '      input_port',
      '',
    ].join('\n'));
    const json = await s.cli(['-jv', ...args]);
    assert.equal(json.out, `{"trap":{"${PF0}":[{"name":"dmac_filter","type":"drop","generic":true,"action":"drop","group":"l2_drops",` +
      '"metadata":["input_port"]}]}}\n');
    // without -v: no metadata
    assert.doesNotMatch((await s.cli(['-j', ...args])).out, /metadata/);
  });
});
