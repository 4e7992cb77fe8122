// The newer uapi: traffic-class bandwidths of rates (RATE_TC_BWS 180 with RATE_TC_INDEX 181
// and RATE_TC_BW 182, Linux 6.16), REGION_DIRECT (179), and NOTIFY_FILTER_SET (84, 6.9),
// the kernel-side notification filter. Expected bytes are built here by hand.
import assert from 'node:assert/strict';
import { ValidationError } from '../src/attrs/errors';
import { Cmd } from '../src/devlink/constants';
import { decodeMessage, rateFrom } from '../src/devlink/decode';
import { Devlink } from '../src/devlink/devlink';
import { devlinkRequest, rateSettingsAttrs } from '../src/devlink/requests';
import { devlinkAttrs } from '../src/devlink/schema';
import { forEachMessage, NlMsg } from '../src/genl/message';
import { Simulator } from '../src/sim';
import { nest, nla, strz, u32, u8 } from './helpers/bytes';

const PF0 = 'pci/0000:06:00.0';
const PF1 = 'pci/0000:06:00.1';

describe('the newer devlink uapi', () => {
  it('the numbers: REGION_DIRECT 179, RATE_TC_BWS 180, RATE_TC_INDEX 181, RATE_TC_BW 182, NOTIFY_FILTER_SET 84', () => {
    assert.equal(devlinkAttrs.byKey.get('regionDirect')?.id, 179);
    assert.equal(devlinkAttrs.byKey.get('rateTcBws')?.id, 180);
    assert.equal(devlinkAttrs.byKey.get('rateTcIndex')?.id, 181);
    assert.equal(devlinkAttrs.byKey.get('rateTcBw')?.id, 182);
    assert.equal(Cmd.NOTIFY_FILTER_SET, 84);
  });

  it('tcBws encode as one RATE_TC_BWS nest per class, NLA_F_NESTED set, each with its u8 index and u32 bw', () => {
    const msg = devlinkRequest(0x15, Cmd.RATE_SET,
      { busName: 'pci', devName: 'd', portIndex: 1, ...rateSettingsAttrs({ tcBws: [{ index: 0, bw: 20 }, { index: 3, bw: 80 }] }) });
    const NESTED = 0x8000;
    const want = Buffer.concat([
      nla(1, strz('pci')), nla(2, strz('d')), nla(3, u32(1)),
      nest(180 | NESTED, [nla(181, u8(0)), nla(182, u32(20))]),
      nest(180 | NESTED, [nla(181, u8(3)), nla(182, u32(80))]),
    ]);
    assert.equal(msg.subarray(20).toString('hex'), want.toString('hex'));
  });

  it('a rate reply with tcBws decodes to { index, bw } in order', () => {
    const body = Buffer.concat([nla(1, strz('pci')), nla(2, strz('d')), nla(3, u32(1)), nest(180, [nla(181, u8(2)), nla(182, u32(7))])]);
    const m = Buffer.alloc(20 + body.length);
    m.writeUInt32LE(m.length, 0);
    m[16] = Cmd.RATE_NEW;
    body.copy(m, 20);
    let msg: NlMsg | undefined;
    forEachMessage(m, (x) => (msg = x));
    assert.deepEqual(rateFrom(decodeMessage(msg!)).tcBws, [{ index: 2, bw: 7 }]);
  });

  it('tcBws are refused before sending where the family knows fewer attributes (6.1: maxattr 176)', async () => {
    const sim = new Simulator({ devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }] });
    const dl = await Devlink.open({ transport: sim.transport() });
    try {
      const before = dl.genl.connection.stats.sent;
      await assert.rejects(dl.setRate(`${PF0}/65535`, { tcBws: [{ index: 0, bw: 1 }] }),
        (e: unknown) => e instanceof ValidationError && e.field === 'tcBws' && /up to 176/.test(e.message));
      assert.equal(dl.genl.connection.stats.sent, before);
    } finally {
      await dl.close();
      await sim.close();
    }
  });

  it('setNotifyFilter narrows this connection\'s notifications to one device in the kernel (6.9+); without arguments, all again', async () => {
    const sim = new Simulator({
      kernel: 'current',
      devices: [{ handle: PF0, pfnum: 0, eswitch: 'switchdev' }, { handle: PF1, pfnum: 1, eswitch: 'switchdev' }],
    });
    const dl = await Devlink.open({ transport: sim.transport() });
    const actor = await Devlink.open({ transport: sim.transport() });
    try {
      const seen: string[] = [];
      const mon = dl.monitor();
      await mon.ready;
      const reading = (async () => {
        for await (const e of mon) if (e.type === 'port-new' || e.type === 'port-del') seen.push(`${e.port.bus}/${e.port.dev}`);
      })();
      await dl.setNotifyFilter({ dev: PF1 });
      await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 1 });
      await actor.addPort(PF1, { flavour: 'pcisf', pfnum: 1, sfnum: 1 });
      await sim.settle();
      await dl.devices();
      assert.ok(seen.length > 0 && seen.filter((d) => d !== PF1).length === 0, `only PF1's: ${seen.join(', ')}`);
      seen.length = 0;
      await dl.setNotifyFilter();
      await actor.addPort(PF0, { flavour: 'pcisf', pfnum: 0, sfnum: 2 });
      await sim.settle();
      await dl.devices();
      assert.ok(seen.includes(PF0), 'PF0 again after the filter is cleared');
      await mon.return();
      await reading;
    } finally {
      await actor.close();
      await dl.close();
      await sim.close();
    }
  });
});
