/**
 * The soak: minutes of concurrent sub-function lifecycle calls (createSubfunction,
 * ensureSubfunction, destroySubfunction) with monitor() consumers, on a simulator of
 * three mlx5 PFs with realistic timings, through the public API only (src/index.ts,
 * src/sim/index.ts), so it keeps working when the lifecycle's internals change.
 *
 *   npm run soak                       # 180 s
 *   SOAK_SECONDS=120 npm run soak      # or: npm run soak -- --seconds 120
 *
 * It measures at two quiet points, after a warm-up and at the end (no SF left, the
 * simulator settled, a full GC): heap used, RSS, VmSize, open descriptors, active
 * handles by type, and requests still waiting for their answer on each connection
 * (counted from the bytes by bench/soak-pending.ts), and exits 1 if anything grew
 * beyond the tolerances in TOLERANCE, a call failed with something other than a
 * NetlinkError, a monitor stopped, or the simulator's invariants broke.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Devlink, DevlinkEvent, NetlinkError } from '../src/index';
import { Simulator } from '../src/sim/index';
import { prng } from '../test/helpers/prng';
import { PendingCounter } from './soak-pending';

const MiB = 1024 * 1024;
/** How much each figure may grow from the warm-up's quiet point to the end's. */
const TOLERANCE = { heapUsed: 8 * MiB, heapTotal: 32 * MiB, external: 8 * MiB, rss: 48 * MiB, vmSize: 128 * MiB, fds: 0, handles: 0, pending: 0 };

const PFS = ['pci/0000:06:00.0', 'pci/0000:07:00.0', 'pci/0000:08:00.0'];
const TIMING = { attachMs: 30, detachMs: 20, freeMs: 60 };
const WORKERS = 6;
/** Each worker's own sfnums (on every PF): worker k uses k*10 .. k*10+SFNUMS-1. */
const SFNUMS = 4;
const CALL_TIMEOUT_MS = 10_000;
/** Injected faults (sim.faults): an overrun of two notifications, a request refused with EBUSY. */
const FAULTS = { overrunEveryMs: 3000, failEveryMs: 2000 };

function arg(name: string, env: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : process.env[env];
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} / ${env}: expected a positive number, got "${v}"`);
  return n;
}

const seconds = arg('seconds', 'SOAK_SECONDS', 180);
const warmupSeconds = Math.min(20, Math.max(3, seconds / 10));

interface Sample {
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
  vmSize: number;
  fds: number;
  handles: Map<string, number>;
  pending: number;
}

function vmSize(): number {
  const m = /^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function handles(): Map<string, number> {
  const by = new Map<string, number>();
  for (const h of process.getActiveResourcesInfo()) by.set(h, (by.get(h) ?? 0) + 1);
  return by;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) for (let i = 0; i < 3; i++) g();
}

function sample(counters: readonly PendingCounter[]): Sample {
  gc();
  const m = process.memoryUsage();
  return {
    heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, rss: m.rss, vmSize: vmSize(), fds: readdirSync('/proc/self/fd').length,
    handles: handles(), pending: counters.reduce((n, c) => n + c.pending, 0),
  };
}

const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
const handleText = (h: Map<string, number>): string => [...h].sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none';

/** What the workers did. */
class Outcomes {
  readonly ok = new Map<string, number>();
  readonly typed = new Map<string, number>();
  readonly untyped: string[] = [];
  calls = 0;
  count(op: string, e?: unknown): void {
    this.calls++;
    if (e === undefined) this.ok.set(op, (this.ok.get(op) ?? 0) + 1);
    else if (e instanceof NetlinkError) {
      const k = `${op}: ${e.constructor.name}${(e as { errno?: number }).errno ? ` errno ${(e as { errno?: number }).errno}` : ''}`;
      this.typed.set(k, (this.typed.get(k) ?? 0) + 1);
    } else this.untyped.push(`${op}: ${e instanceof Error ? e.stack : String(e)}`);
  }
}

/** One worker: random lifecycle calls on its own sfnums until `stop()`. */
async function worker(dl: Devlink, k: number, root: string, stop: () => boolean, out: Outcomes): Promise<void> {
  const rand = prng(0x50a4 + k);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  while (!stop()) {
    const pf = Math.floor(rand() * PFS.length);
    const sf = { dev: PFS[pf], pfnum: pf, sfnum: k * 10 + Math.floor(rand() * SFNUMS) };
    const hw = `00:00:00:${(0x10 + pf).toString(16)}:${k.toString(16).padStart(2, '0')}:${Math.floor(rand() * 256).toString(16).padStart(2, '0')}`;
    const o = { sysfsRoot: root, timeoutMs: CALL_TIMEOUT_MS };
    const op = pick(['create', 'ensure', 'destroy', 'destroy', 'ports'] as const);
    try {
      if (op === 'create') await dl.createSubfunction({ ...sf, hwAddr: hw, activate: rand() < 0.7, ...o });
      else if (op === 'ensure') await dl.ensureSubfunction({ ...sf, hwAddr: hw, ...o });
      else if (op === 'destroy') await dl.destroySubfunction(sf, o);
      else await dl.ports({ dev: sf.dev, timeoutMs: CALL_TIMEOUT_MS });
      out.count(op);
    } catch (e) {
      out.count(op, e);
    }
  }
}

interface Consumer {
  readonly name: string;
  events: number;
  resyncs: number;
  /** Times monitor() ended with a NetlinkError (a failed resync) and was started again, as a daemon would. */
  restarts: number;
  readonly restartErrors: Map<string, number>;
  /** It ended for good: its signal aborted, or something other than a NetlinkError came out. */
  ended: boolean;
  /** Not a NetlinkError, or undefined. */
  error: unknown;
  readonly stop: AbortController;
}

function consume(dl: Devlink, name: string, dev?: string): Consumer {
  const c: Consumer = { name, events: 0, resyncs: 0, restarts: 0, restartErrors: new Map(), ended: false, error: undefined, stop: new AbortController() };
  void (async () => {
    while (!c.stop.signal.aborted) {
      try {
        for await (const ev of dl.monitor({ signal: c.stop.signal, ...(dev ? { dev } : {}) }) as AsyncIterable<DevlinkEvent>) {
          c.events++;
          if (ev.type === 'resync') c.resyncs++;
        }
        if (!c.stop.signal.aborted) c.error = new Error('monitor() ended without an error while its signal was not aborted');
        break;
      } catch (e) {
        if (!(e instanceof NetlinkError)) {
          c.error = e;
          break;
        }
        c.restarts++;
        const k = e.message.replace(/\d+/g, 'N');
        c.restartErrors.set(k, (c.restartErrors.get(k) ?? 0) + 1);
      }
    }
    c.ended = true;
  })();
  return c;
}

/** Run the workers for `ms`, then leave nothing behind: every SF destroyed, the simulator settled. */
async function phase(dl: Devlink, sim: Simulator, root: string, ms: number, out: Outcomes): Promise<void> {
  const end = performance.now() + ms;
  // faults, so the error paths run as often as the others: lost notifications (the
  // monitors resync, the lifecycle's waits fall back to polling) and refused requests
  // (the lifecycle rolls back)
  const overruns = setInterval(() => sim.faults.overrun({ count: 2 }), FAULTS.overrunEveryMs);
  const refusals = setInterval(() => sim.faults.failNext(16, { message: 'soak: injected EBUSY' }), FAULTS.failEveryMs);
  try {
    await Promise.all(Array.from({ length: WORKERS }, (_, k) => worker(dl, k, root, () => performance.now() > end, out)));
  } finally {
    clearInterval(overruns);
    clearInterval(refusals);
    sim.faults.clear();
  }
  for (const p of await dl.ports()) {
    if (p.flavour === 'pcisf' && p.pfnum !== undefined && p.sfnum !== undefined) {
      await dl.destroySubfunction({ dev: `${p.bus}/${p.dev}`, pfnum: p.pfnum, sfnum: p.sfnum }, { sysfsRoot: root });
    }
  }
  await sim.settle();
  await new Promise((r) => setTimeout(r, 200));
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'dlsf-soak-'));
  const sim = new Simulator({
    sysfsRoot: root, timing: TIMING,
    devices: PFS.map((handle, pfnum) => ({ handle, pfnum, eswitch: 'switchdev' as const, maxSfs: 64 })),
  });
  const counters = [new PendingCounter(sim.transport()), new PendingCounter(sim.transport())];
  const dl = await Devlink.open({ transport: counters[0] });
  const watcher = await Devlink.open({ transport: counters[1] });
  const consumers = [consume(dl, 'monitor (same connection)'), consume(dl, `monitor ${PFS[0]}`, PFS[0]), consume(watcher, 'monitor (own connection)')];
  const out = new Outcomes();
  const first = sample(counters);
  const gcState = typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'exposed' : 'NOT exposed (run with --expose-gc)';
  console.log(`soak: ${seconds} s after a ${warmupSeconds} s warm-up; ${WORKERS} workers, ${PFS.length} PFs, ` +
    `timings ${JSON.stringify(TIMING)}, faults ${JSON.stringify(FAULTS)}; gc ${gcState}`);

  await phase(dl, sim, root, warmupSeconds * 1000, out);
  const before = sample(counters);
  const t0 = performance.now();
  // per interval: calls finished, and CPU time per call (less sensitive to a busy machine than calls per second)
  let last = { calls: out.calls, cpu: process.cpuUsage() };
  const ticker = setInterval(() => {
    gc(); // the heap figure is what survives a full GC, so a trend shows through the churn
    const m = process.memoryUsage();
    const cpu = process.cpuUsage(last.cpu);
    const calls = out.calls - last.calls;
    last = { calls: out.calls, cpu: process.cpuUsage() };
    const perCall = calls ? ((cpu.user + cpu.system) / 1000 / calls).toFixed(2) : '-';
    const pending = counters.reduce((n, c) => n + c.pending, 0);
    console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${calls} calls (${perCall} CPU-ms each); ` +
      `heap after gc ${mib(m.heapUsed)}, rss ${mib(m.rss)}, fds ${readdirSync('/proc/self/fd').length}, pending ${pending}, ` +
      `events ${consumers.map((c) => c.events).join('/')}`);
  }, 15_000);
  await phase(dl, sim, root, seconds * 1000, out);
  clearInterval(ticker);
  const after = sample(counters);

  const failures: string[] = [];
  const total = (h: Map<string, number>): number => [...h.values()].reduce((a, b) => a + b, 0);
  const row = (what: string, get: (x: Sample) => number, tol: number, fmt: (n: number) => string = String): void => {
    const grew = get(after) - get(before);
    const bad = grew > tol;
    if (bad) failures.push(`${what} grew by ${fmt(grew)} (tolerance ${fmt(tol)})`);
    const cols = [first, before, after].map((x) => fmt(get(x)).padStart(12)).join(' ');
    console.log(`  ${what.padEnd(16)}${cols}   ${grew >= 0 ? '+' : ''}${fmt(grew)} (tolerance ${fmt(tol)})${bad ? '   TOO MUCH' : ''}`);
  };
  console.log(`\nafter ${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
    'quiet points (no SF, simulator settled, gc): at the start, after the warm-up, at the end');
  console.log(`  ${''.padEnd(16)}${['start', 'warmed up', 'end'].map((h) => h.padStart(12)).join(' ')}   growth since the warm-up`);
  row('heap used', (x) => x.heapUsed, TOLERANCE.heapUsed, mib);
  row('heap total', (x) => x.heapTotal, TOLERANCE.heapTotal, mib);
  row('external', (x) => x.external, TOLERANCE.external, mib);
  row('rss', (x) => x.rss, TOLERANCE.rss, mib);
  row('VmSize', (x) => x.vmSize, TOLERANCE.vmSize, mib);
  row('open fds', (x) => x.fds, TOLERANCE.fds);
  row('active handles', (x) => total(x.handles), TOLERANCE.handles);
  row('pending calls', (x) => x.pending, TOLERANCE.pending);
  console.log(`  handles before: ${handleText(before.handles)}\n  handles after:  ${handleText(after.handles)}`);
  console.log(`  requests sent: ${counters.map((c) => c.requests).join(' + ')}`);

  console.log(`calls that succeeded: ${[...out.ok].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`refused with a NetlinkError: ${[...out.typed].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  for (const u of out.untyped.slice(0, 5)) console.log(`NOT a NetlinkError: ${u}`);
  if (out.untyped.length) failures.push(`${out.untyped.length} calls failed with something other than a NetlinkError`);

  for (const c of consumers) {
    console.log(`${c.name}: ${c.events} events, ${c.resyncs} resyncs, ${c.restarts} restarts${c.ended ? `, ENDED ${String(c.error)}` : ', running'}`);
    for (const [k, n] of c.restartErrors) console.log(`    restarted after ${k}: ${n}`);
    if (c.ended) failures.push(`${c.name} stopped: ${String(c.error)}`);
    if (c.events === 0) failures.push(`${c.name} saw no event`);
    c.stop.abort();
  }
  const leftovers = (await dl.ports()).filter((p) => p.flavour === 'pcisf').length;
  if (leftovers) failures.push(`${leftovers} SF ports left behind`);
  try {
    sim.checkInvariants();
  } catch (e) {
    failures.push(`simulator invariants: ${String(e)}`);
  }
  await new Promise((r) => setTimeout(r, 50));
  for (const c of consumers) if (!c.ended) failures.push(`${c.name} did not stop when its signal aborted`);
  await dl.close();
  await watcher.close();
  await sim.close();
  rmSync(root, { recursive: true, force: true });

  console.log(failures.length ? `\nFAIL:\n  ${failures.join('\n  ')}` : '\nOK: nothing grew beyond the tolerances');
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 2;
});
