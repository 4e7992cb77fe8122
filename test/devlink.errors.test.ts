// Error branches of the Devlink class that need no kernel fault: a netdev no port has,
// a family the kernel lacks, a leaf given where a rate node is needed, an ACK without
// the data reply it should follow.
import assert from 'node:assert/strict';
import { NetlinkError } from '../src/attrs/errors';
import { Devlink, NotFoundError } from '../src/devlink/devlink';
import { Cmd } from '../src/devlink/constants';
import { FamilyNotFoundError } from '../src/genl/errors';
import type { Transport, TransportHandlers } from '../src/genl/transport';
import { Simulator } from '../src/sim';

const PF0 = 'pci/0000:06:00.0';

/** The simulator's endpoint, but the data replies of one devlink command come as bare ACKs. */
function withoutReplies(inner: Transport, familyId: number, cmd: number): Transport {
  return {
    name: inner.name, features: inner.features, localPort: inner.localPort, peerPort: inner.peerPort,
    start: (h: TransportHandlers) => inner.start({
      ...h,
      message: (buf, from) => {
        const isReply = buf.readUInt16LE(4) === familyId && buf[16] === cmd && buf.readUInt32LE(8) !== 0;
        if (!isReply) return h.message(buf, from);
        // a bare ACK in its place (NLMSG_ERROR, error 0, NLM_F_CAPPED, the request header not echoed here)
        const ack = Buffer.alloc(36);
        ack.writeUInt32LE(36, 0);
        ack.writeUInt16LE(2, 4);
        ack.writeUInt16LE(0x100, 6);
        ack.writeUInt32LE(buf.readUInt32LE(8), 8);
        h.message(ack, from);
      },
    }),
    send: (b) => inner.send(b), poll: (u) => inner.poll(u),
    addMembership: (g) => inner.addMembership(g), dropMembership: (g) => inner.dropMembership(g), close: () => inner.close(),
  };
}

describe('devlink error branches', () => {
  let sim: Simulator;
  let dl: Devlink;
  before(async () => {
    sim = new Simulator({ devices: [{ handle: PF0, driver: 'mlx5_core', pfnum: 0, eswitch: 'switchdev' }] });
    dl = await Devlink.open({ transport: sim.transport() });
  });
  after(async () => {
    await dl.close();
    await sim.close();
  });

  it('port(netdev) for a netdev no port has: NotFoundError (ENODEV)', async () => {
    await assert.rejects(dl.port('nosuch0'), (e: unknown) => e instanceof NotFoundError && e.code === 'ENODEV' && /nosuch0/.test(e.message));
  });

  it('addRateNode with a leaf (port) handle: refused before anything is sent', async () => {
    const before = dl.genl.connection.stats.sent;
    await assert.rejects(dl.addRateNode(`${PF0}/32768`), (e: unknown) => e instanceof NetlinkError && /names a leaf/.test(e.message));
    assert.equal(dl.genl.connection.stats.sent, before);
  });

  it('a get the kernel ACKs without its reply: a NetlinkError, not undefined fields', async () => {
    const port = (await dl.ports({ dev: PF0 }))[0];
    const bare = await Devlink.open({ transport: withoutReplies(sim.transport(), sim.familyId, Cmd.PORT_NEW) });
    try {
      await assert.rejects(bare.port(port.handle), (e: unknown) => e instanceof NetlinkError && /with no data/.test(e.message));
    } finally {
      await bare.close();
    }
  });
});

describe('Devlink.open on a kernel without devlink (this machine\'s own)', () => {
  it('FamilyNotFoundError saying what the kernel lacks', async function () {
    const err = await Devlink.open().then(async (dl) => {
      await dl.close();
      return undefined;
    }, (e: unknown) => e);
    if (err === undefined) this.skip(); // this kernel has devlink after all
    assert.ok(err instanceof FamilyNotFoundError, String(err));
    assert.equal(err.errno, 2);
    assert.match(err.message, /CONFIG_NET_DEVLINK/);
  });
});
