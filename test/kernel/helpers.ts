// Shared by the real-kernel tests: they run inside the User-Mode Linux guest that
// `npm run test:kernel` boots with netdevsim, and use iproute2 as the oracle.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Devlink } from '../../src/devlink/devlink';
import type { DevlinkEvent, DevlinkPort } from '../../src/devlink/types';

/** The kernel the tier runs on: test-kernel.sh sets DEVLINK_SF_UML_KERNEL (6.1 or 6.12). */
export const KERNEL: '6.1' | '6.12' = process.env.DEVLINK_SF_UML_KERNEL === '6.12' ? '6.12' : '6.1';
/** Linux 6.12's devlink core (6.8+ reply commands, 6.6+ filtered dumps, per-port ops, caps). */
export const IS_612 = KERNEL === '6.12';

/** A describe title that says which kernel it runs on: "[6.12] ...". */
export function onKernel(title: string): string {
  return `[${KERNEL}] ${title}`;
}

export const NSIM_ID = process.env.DEVLINK_SF_NSIM_ID ?? '10';
export const DEV = `netdevsim/netdevsim${NSIM_ID}`;
export const NSIM_SYSFS = `/sys/bus/netdevsim/devices/netdevsim${NSIM_ID}`;

/** Fail loudly outside the guest: these tests need the real devlink kernel. */
export function requireGuest(): void {
  if (!existsSync(NSIM_SYSFS)) {
    throw new Error(`${NSIM_SYSFS} is missing: the kernel tests run inside User-Mode Linux, through \`npm run test:kernel\``);
  }
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
}

export function devlinkJson<T = Record<string, unknown>>(...args: string[]): T {
  return JSON.parse(sh('devlink', ['-j', ...args])) as T;
}

/** devlink's stderr and exit status for a command that is expected to fail. */
export function devlinkFails(...args: string[]): { stderr: string; status: number } {
  try {
    execFileSync('devlink', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (e) {
    const err = e as { stderr?: string; status?: number };
    return { stderr: err.stderr ?? '', status: err.status ?? -1 };
  }
  throw new Error(`devlink ${args.join(' ')} succeeded where it was expected to fail`);
}

export function writeSysfs(path: string, value: string): void {
  writeFileSync(path, value);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Our port in the shape `devlink -j port show` prints it, for a field-by-field comparison. */
export function portAsIproute2(p: DevlinkPort): Record<string, unknown> {
  const o: Record<string, unknown> = { type: p.type };
  if (p.netdev !== undefined) o.netdev = p.netdev;
  if (p.ibdev !== undefined) o.ibdev = p.ibdev;
  if (p.flavour !== undefined) o.flavour = p.flavour;
  if (p.flavour === 'pcipf' || p.flavour === 'pcivf' || p.flavour === 'pcisf') {
    if (p.controller !== undefined) o.controller = p.controller;
    if (p.pfnum !== undefined) o.pfnum = p.pfnum;
    if (p.vfnum !== undefined) o.vfnum = p.vfnum;
    if (p.sfnum !== undefined) o.sfnum = p.sfnum;
    if (p.external !== undefined) o.external = p.external;
  }
  if (p.number !== undefined) o.port = p.number;
  if (p.splitGroup !== undefined) o.split_group = p.splitGroup;
  if (p.splittable !== undefined) o.splittable = p.splittable;
  if (p.lanes !== undefined) o.lanes = p.lanes;
  if (p.function !== undefined) {
    const f: Record<string, unknown> = {};
    if (p.function.hwAddr !== undefined) f.hw_addr = p.function.hwAddr;
    if (p.function.state !== undefined) f.state = p.function.state;
    if (p.function.opstate !== undefined) f.opstate = p.function.opstate;
    o.function = f;
  }
  return o;
}

/** Wait until `cond` holds (polled every 20 ms); past `ms`, throw naming `what`. Returns the ms it took. */
export async function until(what: string, cond: () => boolean, ms = 15_000): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
  return Date.now() - t0;
}

/**
 * How long a collection goes on after the events a test waits for have come: long enough
 * for an extra event the kernel sends at once to show in the assertion. No test waits a
 * fixed time for an event any more (a loaded CI host made UML miss such a deadline).
 */
const SETTLE_MS = 200;
/** How long a collection waits for the events a test expects before the test's own assertion shows what came. */
const EVENTS_MS = 15_000;

/**
 * The library's events while `work` runs: the monitor is in the group before `work` starts
 * (its `ready`), and the collection ends once `complete(events)` holds (then SETTLE_MS more),
 * or after EVENTS_MS, when the test's assertion shows what did come.
 */
export async function eventsWhile(dl: Devlink, work: (events: readonly DevlinkEvent[]) => Promise<void>, complete: (events: DevlinkEvent[]) => boolean,
  o: { dev?: string } = {}): Promise<DevlinkEvent[]> {
  const ac = new AbortController();
  const events: DevlinkEvent[] = [];
  const m = dl.monitor({ ...o, signal: ac.signal });
  const run = (async () => {
    for await (const ev of m) events.push(ev);
  })();
  try {
    await m.ready;
    // the work may wait for an event before its next step (what came so far, as it comes)
    await work(events);
    await until('the events the test expects', () => complete(events), EVENTS_MS).catch(() => undefined);
    await sleep(SETTLE_MS);
  } finally {
    ac.abort();
    await run;
  }
  return events;
}

/**
 * Whether process `pid` has a generic netlink socket in a multicast group: /proc/net/netlink
 * lists each socket's protocol (16), port id (the process's pid for its first socket) and
 * its first 32 groups (devlink's `config` group is among them on these kernels).
 */
export function inGenlGroup(pid: number): boolean {
  return readFileSync('/proc/net/netlink', 'utf8').split('\n').slice(1).some((line) => {
    const f = line.trim().split(/\s+/);
    return f[1] === '16' && f[2] === String(pid) && f[3] !== undefined && !/^0+$/.test(f[3]);
  });
}

export type MonitorLine = { command: string; object: string; handle: string };

/**
 * Collect `devlink -j monitor` events while `work` runs; the independent record of event order.
 * `work` starts once devlink's socket is in the group (not after a fixed sleep); collection
 * ends once `complete(events)` holds (then SETTLE_MS more), or after EVENTS_MS.
 */
export async function iproute2Monitor(objects: string[], work: () => Promise<void>,
  complete: (events: MonitorLine[]) => boolean): Promise<MonitorLine[]> {
  const child = spawn('devlink', ['-j', 'monitor', ...objects], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  // {"mon":[{"command":"new","port":{"netdevsim/netdevsim20/0":{...}}},...]}
  const parse = (): MonitorLine[] => {
    const events: MonitorLine[] = [];
    const re = /\{"command":"(\w+)","(\w+)":\{"([^"]+)"/g;
    for (let m = re.exec(out); m; m = re.exec(out)) events.push({ command: m[1], object: m[2], handle: m[3] });
    return events;
  };
  try {
    await until(`devlink monitor (pid ${child.pid}) in its multicast group`, () => inGenlGroup(child.pid!));
    await work();
    await until('the events the test expects from devlink monitor', () => complete(parse()), EVENTS_MS).catch(() => undefined);
    await sleep(SETTLE_MS);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  }
  return parse();
}

/** Poll a port until its function's opstate is `want` (6.1 sends no event for it). */
export async function waitOpstate(dl: Devlink, handle: string, want: 'attached' | 'detached', ms = 5000): Promise<DevlinkPort> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await dl.port(handle);
    if (p.function?.opstate === want) return p;
    if (Date.now() > deadline) throw new Error(`${handle}: opstate still ${String(p.function?.opstate)} after ${ms} ms`);
    await sleep(20);
  }
}
