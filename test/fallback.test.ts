/**
 * The fallback transport (the `netlink` npm package) against this machine's kernel,
 * and openSocketTransport's choice between it and the native addon. Expected bytes
 * are built by hand here, not with the project's codec.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { addonLoadError, loadAddon, NO_ADDON_ENV } from '../src/genl/addon';
import { openSocketTransport, NO_ADDON_WARNING_CODE } from '../src/genl/open-transport';
import { fromPackageError, isSystemError, TransportFeatureError } from '../src/genl/sockerr';
import { FallbackTransport } from '../src/genl/transport-fallback';
import { NativeTransport } from '../src/genl/transport-native';
import type { RecvInfo, TransportHandlers } from '../src/genl/transport';

// <linux/netlink.h>, <linux/genetlink.h>
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLMSG_ERROR = 0x2;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;

/** nlmsghdr + genlmsghdr + CTRL_ATTR_FAMILY_NAME "<name>\0", by hand. */
function getFamily(name: string, seq: number): Buffer {
  const value = Buffer.from(`${name}\0`);
  const attrLen = 4 + value.length;
  const total = 16 + 4 + ((attrLen + 3) & ~3);
  const b = Buffer.alloc(total);
  b.writeUInt32LE(total, 0);
  b.writeUInt16LE(GENL_ID_CTRL, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt8(CTRL_CMD_GETFAMILY, 16);
  b.writeUInt8(1, 17);
  b.writeUInt16LE(attrLen, 20);
  b.writeUInt16LE(CTRL_ATTR_FAMILY_NAME, 22);
  value.copy(b, 24);
  return b;
}

interface Msg {
  readonly type: number;
  readonly seq: number;
  readonly body: Buffer;
  readonly from: RecvInfo;
}

function collect(): { handlers: TransportHandlers; msgs: Msg[]; overruns: () => number; errors: Error[] } {
  const msgs: Msg[] = [];
  const errors: Error[] = [];
  let overruns = 0;
  const handlers: TransportHandlers = {
    message(d, from) {
      for (let off = 0; off + 16 <= d.length; ) {
        const len = d.readUInt32LE(off);
        msgs.push({ type: d.readUInt16LE(off + 4), seq: d.readUInt32LE(off + 8), body: d.subarray(off + 16, off + len), from });
        off += (len + 3) & ~3;
      }
    },
    overrun() {
      overruns++;
    },
    error(err) {
      errors.push(err);
    },
  };
  return { handlers, msgs, overruns: () => overruns, errors };
}

async function until(done: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The u16 CTRL_ATTR_FAMILY_ID in a CTRL_CMD_NEWFAMILY reply body. */
function familyId(body: Buffer): number | undefined {
  for (let off = 4; off + 4 <= body.length; ) {
    const len = body.readUInt16LE(off);
    if (len < 4) break;
    if (body.readUInt16LE(off + 2) === CTRL_ATTR_FAMILY_ID) return body.readUInt16LE(off + 4);
    off += (len + 3) & ~3;
  }
  return undefined;
}

function withNoAddon<T>(f: () => T): T {
  const saved = process.env[NO_ADDON_ENV];
  process.env[NO_ADDON_ENV] = '1';
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env[NO_ADDON_ENV];
    else process.env[NO_ADDON_ENV] = saved;
  }
}

const distSrc = path.resolve(__dirname, '..', 'src', 'genl');

describe('fallback transport (netlink npm package)', function () {
  let t: FallbackTransport | undefined;
  afterEach(function () {
    t?.close();
    t = undefined;
  });

  it('opens with every feature off and a bound port', function () {
    t = FallbackTransport.open();
    assert.equal(t.name, 'netlink-npm');
    assert.deepEqual({ ...t.features }, { extAck: false, capAck: false, strictCheck: false, netns: false });
    assert.ok(t.localPort !== 0);
    assert.equal(t.peerPort, 0);
  });

  it('gets the nlctrl family id and an ack from the event loop; poll() is a no-op', async function () {
    t = FallbackTransport.open();
    const { handlers, msgs, errors } = collect();
    t.start(handlers);
    t.send([getFamily('nlctrl', 11)]);
    t.poll();
    await until(() => msgs.length >= 2);
    assert.equal(msgs[0]!.type, GENL_ID_CTRL);
    assert.equal(familyId(msgs[0]!.body), GENL_ID_CTRL);
    assert.deepEqual(msgs[0]!.from, { port: 0, group: 0 });
    assert.equal(msgs[1]!.type, NLMSG_ERROR);
    assert.equal(msgs[1]!.seq, 11);
    assert.equal(msgs[1]!.body.readInt32LE(0), 0);
    assert.deepEqual(errors, []);
  });

  it('sends several buffers as one datagram', async function () {
    t = FallbackTransport.open();
    const { handlers, msgs } = collect();
    t.start(handlers);
    const req = getFamily('nlctrl', 12);
    t.send([req.subarray(0, 5), req.subarray(5, 20), req.subarray(20)]);
    await until(() => msgs.length >= 2);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.seq]),
      [
        [GENL_ID_CTRL, 12],
        [NLMSG_ERROR, 12],
      ],
    );
  });

  it('delivers what arrived before start() once started', async function () {
    t = FallbackTransport.open();
    t.send([getFamily('nlctrl', 13)]);
    await new Promise((r) => setTimeout(r, 100));
    const { handlers, msgs } = collect();
    t.start(handlers);
    await until(() => msgs.length >= 2);
    assert.equal(msgs[1]!.seq, 13);
  });

  it('reports ENOBUFS from the package\'s receive loop as an overrun, and keeps working', async function () {
    t = FallbackTransport.open();
    const { handlers, msgs, overruns, errors } = collect();
    t.start(handlers);
    // What the package emits when recvmsg() returns ENOBUFS inside its read loop.
    const pkgSocket = (t as unknown as { sock: EventEmitter }).sock;
    pkgSocket.emit('error', Object.assign(new Error('Error when receiving Netlink message: No buffer space available'),
      { errno: 105, code: 'ENOBUFS', syscall: 'recvmsg' }));
    assert.equal(overruns(), 1);
    t.send([getFamily('nlctrl', 16)]);
    await until(() => msgs.length >= 2);
    assert.deepEqual(errors, []);
  });

  it('KNOWN LIMITATION: an overrun seen by the event loop aborts the process (netlink@0.3.0)', function () {
    // libuv reports POLLERR (pending ENOBUFS) as a poll error, and the package builds
    // that error with a NULL syscall name, which throws a C++ exception nobody catches.
    // When this starts failing, the package is fixed: update transport-fallback.ts.
    this.timeout(30000);
    const mod = JSON.stringify(path.join(distSrc, 'transport-fallback.js'));
    const request = getFamily('nlctrl', 1).toString('hex');
    const script = `
      const { FallbackTransport } = require(${mod});
      const t = FallbackTransport.open({ rcvbuf: 0 });
      t.start({ message() {}, overrun() { process.stdout.write('overrun;'); }, error(e) { process.stdout.write('error;'); } });
      const req = Buffer.from('${request}', 'hex');
      t.send(Array.from({ length: 200 }, () => req));
      setTimeout(() => { t.close(); process.stdout.write('survived'); }, 500);
    `;
    const r = spawnSync(process.execPath, ['-e', script], { timeout: 20000, encoding: 'utf8' });
    assert.equal(r.signal, 'SIGABRT', `stdout: ${r.stdout}`);
    assert.match(r.stderr, /Napi::Error/);
  });

  it('refuses a network namespace with a TransportFeatureError, before opening anything', function () {
    assert.throws(
      () => FallbackTransport.open({ netns: '/var/run/netns/x' }),
      (err: unknown) => {
        assert.ok(err instanceof TransportFeatureError);
        assert.equal(err.code, 'ERR_DEVLINK_SF_TRANSPORT_FEATURE');
        assert.equal(err.feature, 'netns');
        assert.match(err.message, /network namespace \/var\/run\/netns\/x/);
        return true;
      },
    );
  });

  it('is closed idempotently; send after close throws sendmsg EBADF; nothing is delivered after', async function () {
    t = FallbackTransport.open();
    const { handlers, msgs } = collect();
    t.start(handlers);
    t.send([getFamily('nlctrl', 14)]);
    t.close();
    t.close();
    assert.throws(
      () => t!.send([getFamily('nlctrl', 15)]),
      (err: unknown) => isSystemError(err, 'EBADF') && err.syscall === 'sendmsg' && err.errno === -9,
    );
    assert.throws(() => t!.addMembership(1), (err: unknown) => isSystemError(err, 'EBADF'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(msgs.length, 0);
  });

  it('reports a send error (ECONNREFUSED) through handlers.error and closes', async function () {
    const rx = FallbackTransport.open();
    t = FallbackTransport.open({ peerPort: rx.localPort });
    rx.close();
    const { handlers, errors } = collect();
    t.start(handlers);
    t.send([Buffer.from('x')]);
    await until(() => errors.length > 0);
    const err = errors[0];
    assert.ok(isSystemError(err, 'ECONNREFUSED'));
    assert.equal(err.syscall, 'sendmsg');
    assert.equal(err.errno, -111);
    assert.throws(() => t!.send([Buffer.from('x')]), (e: unknown) => isSystemError(e, 'EBADF'));
  });

  it('converts the package errors to the Node-like shape', function () {
    const pkg = Object.assign(new Error('Error when receiving Netlink message: no buffer space available'), {
      errno: 105,
      code: 'ENOBUFS',
      syscall: 'recvmsg',
    });
    const err = fromPackageError(pkg);
    assert.equal(err.errno, -105);
    assert.equal(err.code, 'ENOBUFS');
    assert.equal(err.syscall, 'recvmsg');
    assert.equal(err.message, 'recvmsg ENOBUFS');
    assert.equal(err.cause, pkg);
  });

  it('lets the process exit once closed', function () {
    this.timeout(30000);
    const mod = JSON.stringify(path.join(distSrc, 'transport-fallback.js'));
    const script = `
      const { FallbackTransport } = require(${mod});
      const t = FallbackTransport.open();
      t.start({ message() {}, overrun() {}, error() {} });
      t.close();
      process.stdout.write('closed');
    `;
    const r = spawnSync(process.execPath, ['-e', script], { timeout: 10000, encoding: 'utf8' });
    assert.equal(r.stdout, 'closed');
    assert.equal(r.signal, null);
    assert.equal(r.status, 0);
  });
});

describe('openSocketTransport', function () {
  it('opens the native transport when the addon loads', function () {
    if (loadAddon() === null) this.skip();
    const t = openSocketTransport();
    try {
      assert.ok(t instanceof NativeTransport);
      assert.equal(t.features.extAck, true);
    } finally {
      t.close();
    }
  });

  it('treats the addon as absent under DEVLINK_SF_NO_ADDON=1, and says so', function () {
    withNoAddon(() => {
      assert.equal(loadAddon(), null);
      assert.match(addonLoadError()?.message ?? '', /DEVLINK_SF_NO_ADDON=1/);
    });
  });

  it('falls back to the netlink package with one warning per process, and refuses netns there', function () {
    this.timeout(30000);
    // A fresh process, so that no earlier test has used up the one warning.
    const mod = JSON.stringify(path.join(distSrc, 'open-transport.js'));
    const script = `
      const { openSocketTransport } = require(${mod});
      const warnings = [];
      process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));
      const names = [];
      for (let i = 0; i < 3; i++) { const t = openSocketTransport(); names.push(t.name, JSON.stringify(t.features)); t.close(); }
      let netns;
      try { openSocketTransport({ netns: '/var/run/netns/x' }); } catch (e) { netns = { name: e.name, code: e.code, message: e.message }; }
      setImmediate(() => process.stdout.write(JSON.stringify({ names, warnings, netns })));
    `;
    const r = spawnSync(process.execPath, ['--no-warnings', '-e', script], {
      timeout: 20000,
      encoding: 'utf8',
      env: { ...process.env, [NO_ADDON_ENV]: '1' },
    });
    assert.equal(r.status, 0, r.stderr);
    interface Out {
      names: string[];
      warnings: Array<{ name: string; code: string; message: string }>;
      netns: { name: string; code: string; message: string };
    }
    const out = JSON.parse(r.stdout) as Out;
    const off = JSON.stringify({ extAck: false, capAck: false, strictCheck: false, netns: false });
    assert.deepEqual(out.names, ['netlink-npm', off, 'netlink-npm', off, 'netlink-npm', off]);
    assert.equal(out.warnings.length, 1);
    const [w] = out.warnings;
    assert.equal(w!.code, NO_ADDON_WARNING_CODE);
    for (const lost of [/ext-ack/, /attribute offsets/, /strict checking/, /capped acks/, /network namespaces/, /DEVLINK_SF_NO_ADDON=1/]) {
      assert.match(w!.message, lost);
    }
    // Without the addon a network namespace is refused, saying why.
    assert.equal(out.netns.name, 'TransportFeatureError');
    assert.equal(out.netns.code, 'ERR_DEVLINK_SF_TRANSPORT_FEATURE');
    assert.match(out.netns.message, /network namespace \/var\/run\/netns\/x.*native addon did not load: DEVLINK_SF_NO_ADDON=1/);
  });
});
