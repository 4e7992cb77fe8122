/**
 * What one `Devlink.port()` costs the library itself, without a kernel: CPU time and bytes
 * allocated per get, on a transport that answers every DEVLINK_CMD_PORT_GET at once with a
 * reply captured from a real 6.1 kernel (fixtures/kernel/port-show-one.json, its sequence
 * number patched), so only the library's own work is measured.
 *
 *   npx tsc -p . && node dist/bench/get-cost.js            # CPU and bytes per get, awaited and in flight
 *   node dist/bench/get-cost.js sample                      # plus the allocation sites (sampling heap profiler)
 *   GETS=20000 node --cpu-prof dist/bench/get-cost.js cpu   # a CPU profile of the gets only
 *   node dist/bench/get-cost.js burst                       # 10,000 gets in flight at once, default heap: CPU and GC per round
 *
 * Bytes per get: the heap's growth over a run made between two GCs, with a young
 * generation large enough (--max-semi-space-size, set below by re-running node) that no GC
 * happens during the run (checked; the run is discarded otherwise).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { Devlink } from '../src/devlink/devlink';
import type { RecvInfo, Transport, TransportHandlers } from '../src/genl/transport';

const GETS = Number(process.env.GETS ?? 5000);
const RUNS = 7;
const HANDLE = 'netdevsim/netdevsim10/0';

interface Captured { readonly dir: string; readonly hex: string; readonly summary: { readonly type: number; readonly flags: number } }
const fixture = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'kernel', 'port-show-one.json'), 'utf8')) as {
  messages: Captured[];
};
const replies = fixture.messages.filter((m) => m.dir === 'reply').map((m) => Buffer.from(m.hex, 'hex'));
// [family reply, its ACK, port reply, its ACK]
const FAMILY = Buffer.concat([replies[0], replies[1]]);
const PORT = replies[2];
const FROM: RecvInfo = { port: 0, group: 0 };

/** Answers nlctrl's GETFAMILY with the captured family and every other request with the captured port. */
class CannedKernel implements Transport {
  readonly name = 'canned';
  readonly features = { extAck: true, capAck: true, strictCheck: true, netns: false };
  readonly localPort = 1;
  readonly peerPort = 0;
  private h: TransportHandlers | undefined;
  private readonly out: Buffer[] = [];
  start(h: TransportHandlers): void { this.h = h; }
  send(buffers: readonly Buffer[]): void {
    for (const b of buffers) {
      for (let p = 0; p < b.length; p += (b.readUInt32LE(p) + 3) & ~3) {
        const seq = b.readUInt32LE(p + 8);
        const reply = b.readUInt16LE(p + 4) === 0x10 ? Buffer.from(FAMILY) : Buffer.from(PORT);
        reply.writeUInt32LE(seq, 8);
        if (reply.length > PORT.length) reply.writeUInt32LE(seq, replies[0].length + 8);
        this.out.push(reply);
      }
    }
  }
  poll(until?: () => boolean): void {
    while (this.out.length > 0) {
      this.h!.message(this.out.shift()!, FROM);
      if (until?.()) return;
    }
  }
  addMembership(): void {}
  dropMembership(): void {}
  close(): void {}
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

async function eachRun(dl: Devlink, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await dl.port(HANDLE);
}
async function flightRun(dl: Devlink, n: number): Promise<void> {
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) all.push(dl.port(HANDLE));
  await Promise.all(all);
}

/** Median CPU µs per get and bytes per get (heap growth between two GCs, no GC inside). */
async function measure(dl: Devlink, run: (dl: Devlink, n: number) => Promise<void>): Promise<{ us: number[]; bytes: number[] }> {
  const us: number[] = [], bytes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    global.gc!();
    await tick();
    const g0 = gcs, h0 = process.memoryUsage().heapUsed, c0 = cpuMs();
    await run(dl, GETS);
    const c1 = cpuMs(), h1 = process.memoryUsage().heapUsed;
    await tick();
    us.push(((c1 - c0) * 1000) / GETS);
    if (gcs === g0) bytes.push((h1 - h0) / GETS);
  }
  return { us: us.sort((a, b) => a - b), bytes: bytes.sort((a, b) => a - b) };
}

const med = (xs: number[]): number => xs[xs.length >> 1];
const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');

/** The sampling heap profiler with collected objects kept: bytes per get by allocating function. */
async function sample(dl: Devlink): Promise<void> {
  const s = new Session();
  s.connect();
  const post = (m: string, p?: object): Promise<any> => new Promise((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 64, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await eachRun(dl, GETS);
  const { profile } = await post('HeapProfiler.stopSampling');
  const sites = new Map<string, number>();
  const walk = (n: any, stack: string[]): void => {
    const f = n.callFrame;
    let name = `${f.functionName || '(anon)'} ${path.basename(f.url)}:${f.lineNumber + 1}`;
    // Node's own frames are named with the first of ours that called them
    if (!f.url.includes('/dist/') && stack.length > 0) name += ` < ${[...stack].reverse().find((s) => s.includes('.js:') && !s.startsWith('(')) ?? ''}`;
    else stack = [...stack, name];
    if (n.selfSize > 0) sites.set(name, (sites.get(name) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, stack);
  };
  walk(profile.head, []);
  const total = [...sites.values()].reduce((a, b) => a + b, 0);
  console.log(`sampled allocation while awaiting ${GETS} gets: ${(total / GETS).toFixed(0)} bytes/get, by site:`);
  for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(v / GETS).toFixed(0).padStart(6)}  ${k}`);
}

/**
 * `burst`: BURST (10,000) gets made at once and awaited together, as a daemon's poll of
 * every port would, in node's default heap: CPU and garbage collection per round (the
 * calls and their replies are alive together, so the young generation's collections copy
 * them: in UML that is most of the time of such a burst).
 */
async function burst(): Promise<void> {
  const n = Number(process.env.BURST ?? 10000);
  const dl = await Devlink.open({ transport: new CannedKernel() });
  let gcMs = 0;
  let gcCount = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  }).observe({ entryTypes: ['gc'] });
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${n} port() gets in flight per round`);
  for (let r = 0; r < 12; r++) {
    await tick();
    const g0 = gcMs, n0 = gcCount, c0 = cpuMs();
    await flightRun(dl, n);
    const c = cpuMs() - c0;
    await tick();
    console.log(`  round ${String(r).padStart(2)}: ${c.toFixed(1).padStart(6)} ms CPU, ${gcCount - n0} GCs ${(gcMs - g0).toFixed(1)} ms`);
  }
  await dl.close();
}

async function main(): Promise<void> {
  if (process.argv[2] === 'burst') return burst();
  if (!global.gc) {
    // re-run with a young generation no run fills and gc() exposed
    const args = ['--expose-gc', '--max-semi-space-size=128', '--min-semi-space-size=128', ...process.execArgv, __filename, ...process.argv.slice(2)];
    execFileSync(process.execPath, args, { stdio: 'inherit' });
    return;
  }
  const dl = await Devlink.open({ transport: new CannedKernel() });
  const port = await dl.port(HANDLE);
  if (port.handle !== HANDLE || port.flavour !== 'physical') throw new Error(`canned reply decoded wrong: ${JSON.stringify(port)}`);
  for (let i = 0; i < 5; i++) {
    await eachRun(dl, GETS);
    await flightRun(dl, GETS);
  }
  const mode = process.argv[2];
  if (mode === 'cpu') {
    for (let i = 0; i < 10; i++) await eachRun(dl, GETS);
    await dl.close();
    return;
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${GETS} port() gets per run, median of ${RUNS} runs (sorted runs after)`);
  for (const [label, run] of [['awaited one by one', eachRun], ['all in flight', flightRun]] as const) {
    const { us, bytes } = await measure(dl, run);
    console.log(`  ${label.padEnd(20)} ${med(us).toFixed(2).padStart(6)} µs CPU/get  [${list(us)}]`);
    const b = bytes.length ? med(bytes).toFixed(0).padStart(6) : '     ?';
    console.log(`  ${''.padEnd(20)} ${b} bytes/get    [${bytes.map((x) => x.toFixed(0)).join(' ')}] (${bytes.length} runs without GC)`);
  }
  if (mode === 'sample') await sample(dl);
  await dl.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
