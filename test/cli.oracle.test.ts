// The command line against iproute2 6.1 itself: the fixtures in fixtures/kernel hold what
// a real 6.1 kernel (netdevsim in User-Mode Linux) answered to iproute2's `devlink`, and
// what `devlink` printed. Here the kernel's captured answers are replayed to our command
// line and its output must be iproute2's, byte for byte (text), or the same JSON.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FakeKernel, FakeRequest } from './helpers/fake-kernel';
import { run, until } from './cli.helpers';

interface Fixture {
  name: string;
  devlinkFamilyId: number;
  families: { devlink: { mcastGroups: { config: number } } };
  messages: Array<{ dir: 'request' | 'reply' | 'notification'; hex: string }>;
  steps: Array<{ command: string; exitCode?: number; stdout?: string; stderr?: string }>;
  devlinkJson?: Record<string, unknown>;
}

const DIR = path.join(__dirname, '..', '..', 'fixtures', 'kernel');

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Fixture;
}

/** The captured exchanges: each request with the replies that followed it. */
function exchanges(f: Fixture): Array<{ type: number; cmd: number; replies: Buffer[] }> {
  const out: Array<{ type: number; cmd: number; replies: Buffer[] }> = [];
  for (const m of f.messages) {
    const b = Buffer.from(m.hex, 'hex');
    if (m.dir === 'request') out.push({ type: b.readUInt16LE(4), cmd: b[16], replies: [] });
    else if (m.dir === 'reply' && out.length > 0) out[out.length - 1].replies.push(b);
  }
  return out;
}

/** Every message of a datagram re-addressed to our request (its sequence and port). */
function readdress(datagram: Buffer, req: FakeRequest): Buffer {
  const b = Buffer.from(datagram);
  for (let p = 0; b.length - p >= 16;) {
    const len = b.readUInt32LE(p);
    b.writeUInt32LE(req.seq, p + 8);
    b.writeUInt32LE(req.pid, p + 12);
    p += (len + 3) & ~3;
  }
  return b;
}

/** A kernel that answers each request as the real one answered iproute2's of the same kind. */
function replay(f: Fixture): FakeKernel {
  const ex = exchanges(f);
  return new FakeKernel({
    handler: (req) => {
      const hit = ex.find((e) => e.type === req.type && e.cmd === req.cmd);
      if (!hit) throw new Error(`${f.name}: no captured answer to type ${req.type} cmd ${req.cmd}`);
      return hit.replies.map((r) => readdress(r, req));
    },
  });
}

async function cli(f: Fixture, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return run(argv, { transport: () => replay(f) });
}

const argvOf = (command: string): string[] => command.replace(/^devlink /, '').split(' ');

describe('cli against iproute2 6.1 and a real 6.1 kernel (replayed captures)', () => {
  for (const name of ['dev-show', 'port-show-dump', 'port-show-one', 'eswitch-show', 'port-show-dump-switchdev', 'port-show-vf']) {
    it(`${name}: the same text`, async () => {
      const f = fixture(name);
      const step = f.steps[0];
      const r = await cli(f, argvOf(step.command));
      assert.equal(r.err, step.stderr ?? '');
      assert.equal(r.out, step.stdout);
      assert.equal(r.code, step.exitCode ?? 0);
    });
  }

  for (const [name, json] of [
    ['dev-show', 'devlink -j dev show'],
    ['port-show-dump', 'devlink -j port show'],
    ['eswitch-show', 'devlink -j dev eswitch show netdevsim/netdevsim10'],
    ['port-show-dump-switchdev', 'devlink -j port show'],
  ] as const) {
    it(`${name}: the same JSON as \`${json}\``, async () => {
      const f = fixture(name);
      const r = await cli(f, ['-j', ...argvOf(json.replace('-j ', ''))]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), (f.devlinkJson as Record<string, unknown>)[json]);
    });
  }

  for (const name of ['port-add-pcisf', 'port-add-pcisf-controller', 'port-del', 'port-function-set-hwaddr', 'port-function-set-state',
    'port-function-set-hwaddr-state', 'port-function-set-hwaddr-vf', 'eswitch-set-switchdev', 'eswitch-set-legacy']) {
    it(`${name}: the same messages and exit status`, async () => {
      const f = fixture(name);
      const step = f.steps[0];
      const r = await cli(f, argvOf(step.command));
      assert.equal(r.err, step.stderr ?? '');
      assert.equal(r.out, step.stdout ?? '');
      assert.equal(r.code, step.exitCode ?? 0);
    });
  }

  it('-j with a failing command: the JSON stream still ends with its newline', async () => {
    const r = await cli(fixture('port-del'), ['-j', 'port', 'del', 'netdevsim/netdevsim10/0']);
    assert.equal(r.code, 1);
    assert.equal(r.out, '\n');
    assert.equal(r.err, 'kernel answers: Operation not supported\n');
  });

  it('monitor dev port: the notifications printed as iproute2 printed them', async () => {
    const f = fixture('notify-eswitch-vfs');
    const group = f.families.devlink.mcastGroups.config;
    const fake = replay(f);
    const stop = new AbortController();
    let listening = false;
    const done = run(['monitor', 'dev', 'port'], { transport: () => fake, signal: stop.signal, onListening: () => (listening = true) });
    await until(() => listening, 5000, 'the monitor to listen');
    for (const m of f.messages.filter((x) => x.dir === 'notification')) fake.inject(Buffer.from(m.hex, 'hex'), { port: 0, group });
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const r = await done;
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, f.steps[0].stdout);
  });

  it('monitor -j: one JSON stream, closed when the monitor stops; rate events printed too', async () => {
    const f = fixture('notify-eswitch-vfs');
    const group = f.families.devlink.mcastGroups.config;
    const fake = replay(f);
    const stop = new AbortController();
    let listening = false;
    const done = run(['-j', 'monitor'], { transport: () => fake, signal: stop.signal, onListening: () => (listening = true) });
    await until(() => listening, 5000, 'the monitor to listen');
    for (const m of f.messages.filter((x) => x.dir === 'notification')) fake.inject(Buffer.from(m.hex, 'hex'), { port: 0, group });
    await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const r = await done;
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { mon: Array<Record<string, unknown>> };
    assert.equal(doc.mon.length, 12);
    assert.deepEqual(doc.mon[0], {
      command: 'new',
      port: { 'netdevsim/netdevsim10/128': { type: 'notset', flavour: 'pcivf', controller: 0, pfnum: 0, vfnum: 0, external: false, splittable: false } },
    });
    assert.deepEqual(Object.keys(doc.mon[1]), ['command', 'rate']);
    assert.deepEqual(doc.mon[1], { command: 'new', rate: { 'netdevsim/netdevsim10/128': { type: 'leaf' } } });
  });
});
