/**
 * Target (b): the whole engine. Each case opens a Devlink on a FuzzKernel, starts
 * monitor(), launches a few calls (requests, dumps, a streamed dump left early, an
 * aborted call), injects mutated notifications and sometimes an overrun, and then checks:
 *
 * - every call settles (each has a timeout; a watchdog far beyond it calls it a hang),
 *   and whatever rejects is a NetlinkError;
 * - the monitor still runs (a genuine PORT_NEW sent afterwards comes out of it) or ended
 *   with a NetlinkError; it stops when its signal aborts;
 * - nothing was thrown out of the engine's receive handler;
 * - close() closes the transport, also after a failed open.
 */
import { Devlink } from '../../src/devlink/devlink';
import { Cmd } from '../../src/devlink/constants';
import { devlinkRequest } from '../../src/devlink/requests';
import type { DevlinkEvent } from '../../src/devlink/types';
import { genlmsg, nla, strz, u32 } from '../helpers/bytes';
import { EnginePools, FuzzKernel, GROUP_ID } from './fuzz-kernel';
import { below, inputRng } from './mutate';
import { describeError, Finding, FindingKind, Tally } from './tally';

export interface EngineOptions {
  /** Every call's timeoutMs (and the connection's, which the monitor's resync uses). */
  readonly timeoutMs: number;
  /** How long past everything's timeout a call may stay unsettled before it is a hang. */
  readonly watchdogMs: number;
}

const PF = 'pci/0000:06:00.0';
/** The sentinel notification's port index (no seed has it). */
const SENTINEL_INDEX = 0xbeef;

type Call = (dl: Devlink, o: { timeoutMs: number; signal?: AbortSignal }) => Promise<unknown>;

/** The calls a case draws from, by name (each takes the call options). */
const CALLS: readonly [string, Call][] = [
  ['devices', (dl, o) => dl.devices(o)],
  ['ports', (dl, o) => dl.ports(o)],
  ['ports(dev)', (dl, o) => dl.ports({ dev: PF, ...o })],
  ['device', (dl, o) => dl.device(PF, o)],
  ['port', (dl, o) => dl.port(`${PF}/1`, o)],
  ['port(netdev)', (dl, o) => dl.port('eth0', o)],
  ['eswitch', (dl, o) => dl.eswitch(PF, o)],
  ['info', (dl, o) => dl.info(PF, o)],
  ['params', (dl, o) => dl.params(o)],
  ['rates', (dl, o) => dl.rates(o)],
  ['rate', (dl, o) => dl.rate(`${PF}/1`, o)],
  ['setPortFunction', (dl, o) => dl.setPortFunction(`${PF}/1`, { state: 'active', hwAddr: '00:00:00:00:00:11' }, o)],
  ['addPort', (dl, o) => dl.addPort(PF, { flavour: 'pcisf', pfnum: 0, sfnum: 5 }, o)],
  ['deletePort', (dl, o) => dl.deletePort(`${PF}/2`, o)],
  ['families', (dl, o) => dl.genl.families(o)],
  ['findSubfunction', (dl, o) => dl.findSubfunction({ dev: PF, pfnum: 0, sfnum: 5 }, o)],
  ['dumpStream', async (dl, o) => {
    // a streamed dump whose consumer leaves after the first message
    const msg = devlinkRequest(dl.family.id, Cmd.PORT_GET, {}, true);
    for await (const m of dl.genl.connection.dumpStream({ msg, op: 'fuzz port dump', ...o })) return m;
    return undefined;
  }],
];

/**
 * A genuine PORT_NEW notification, built from <linux/devlink.h> (the engine must still
 * deliver it), in the family id the (possibly mutated) nlctrl answer gave.
 */
function sentinel(familyId: number): Buffer {
  // DEVLINK_ATTR_BUS_NAME 1, DEV_NAME 2, PORT_INDEX 3; DEVLINK_CMD_PORT_NEW 7
  return genlmsg({ type: familyId, seq: 0, pid: 0 }, 7, 1, [nla(1, strz('pci')), nla(2, strz('0000:06:00.0')), nla(3, u32(SENTINEL_INDEX))]);
}

const isSentinel = (ev: DevlinkEvent): boolean => ev.type === 'port-new' && ev.port.index === SENTINEL_INDEX;

/** Resolves true once `done()` holds, false after `ms` (checked every event-loop turn). */
function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  return new Promise((resolve) => {
    const step = (): void => {
      if (done()) resolve(true);
      else if (performance.now() > end) resolve(false);
      else setTimeout(step, 1);
    };
    step();
  });
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** One case: input `index` under `seed`. */
export async function engineCase(pools: EnginePools, seed: number, index: number, o: EngineOptions, t: Tally): Promise<void> {
  const rand = inputRng(seed, index);
  const fk = new FuzzKernel(rand, pools);
  const find = (kind: FindingKind, where: string, error: unknown): void => {
    const f: Finding = { kind, target: 'engine', seed, index, where, error: describeError(error), inputs: fk.log };
    t.find(f);
  };
  const typed = (where: string, e: unknown): void => {
    if (!t.error(e)) find('untyped-error', where, e);
  };
  t.inputs++;
  let dl: Devlink | undefined;
  let opened = false;
  Devlink.open({ transport: fk, timeoutMs: o.timeoutMs }).then(
    (x) => void ((dl = x), (opened = true)),
    (e: unknown) => void (typed('Devlink.open', e), (opened = true)),
  );
  if (!(await until(() => opened, o.timeoutMs * 3 + o.watchdogMs))) find('hang', 'Devlink.open', new Error('Devlink.open() with a timeout never settled'));
  if (dl) await exercise(dl, fk, rand, o, typed, find);
  t.datagrams += fk.log.length;
  for (const e of fk.escaped) find('escaped-receive', 'Connection receive handler', e);
  if (opened && !fk.closed) find('transport-left-open', dl ? 'Devlink.close' : 'Devlink.open failure', new Error('the transport was not closed'));
}

async function exercise(
  dl: Devlink, fk: FuzzKernel, rand: () => number, o: EngineOptions,
  typed: (where: string, e: unknown) => void, find: (k: FindingKind, where: string, e: unknown) => void,
): Promise<void> {
  // the monitor, consumed until its signal aborts
  const stop = new AbortController();
  const mon = { ended: false, error: undefined as unknown, failed: false, sentinel: false, events: 0, resyncs: 0 };
  const monDone = (async () => {
    try {
      for await (const ev of dl.monitor({ signal: stop.signal })) {
        mon.events++;
        if (isSentinel(ev)) mon.sentinel = true;
        if (ev.type === 'resync') mon.resyncs++;
      }
    } catch (e) {
      mon.failed = true;
      mon.error = e;
    }
    mon.ended = true;
  })();
  await turn();

  // calls: a first wave in one tick (one batched send), notifications, a second wave
  const calls: { name: string; settled: boolean; p: Promise<void> }[] = [];
  const launch = (): void => {
    const [name, call] = CALLS[below(rand, CALLS.length)];
    const ac = rand() < 0.1 ? new AbortController() : undefined;
    const c = { name, settled: false, p: Promise.resolve() };
    c.p = call(dl, { timeoutMs: o.timeoutMs, ...(ac ? { signal: ac.signal } : {}) }).then(
      () => void (c.settled = true),
      (e: unknown) => {
        c.settled = true;
        typed(name, e);
      },
    );
    if (ac) setImmediate(() => ac.abort());
    calls.push(c);
  };
  for (let n = 1 + below(rand, 4); n > 0; n--) launch();
  for (let n = below(rand, 6); n > 0; n--) {
    fk.notify();
    await turn();
  }
  if (rand() < 0.1) fk.overrun();
  for (let n = below(rand, 3); n > 0; n--) launch();
  if (!(await until(() => calls.every((c) => c.settled), o.timeoutMs * 3 + o.watchdogMs))) {
    find('hang', calls.filter((c) => !c.settled).map((c) => c.name).join(', '), new Error('a call with a timeout never settled'));
  }

  // the monitor still delivers, or it ended with a typed error. A notification that comes
  // while a resync reads the state is dropped by design (the dump shows its effect), so the
  // sentinel is sent again after each resync that overtook it, a few times.
  const deadline = performance.now() + o.timeoutMs * 3 + o.watchdogMs;
  for (let tries = 0; tries < 5 && !mon.sentinel && !mon.ended && performance.now() < deadline; tries++) {
    const resyncs = mon.resyncs;
    fk.inject(sentinel(dl.family.id), { port: 0, group: GROUP_ID });
    await until(() => mon.sentinel || mon.ended || mon.resyncs > resyncs, deadline - performance.now());
  }
  if (!mon.sentinel && !mon.ended) {
    find('hang', 'monitor', new Error('the monitor neither delivered a genuine notification (sent up to 5 times) nor ended'));
  } else if (mon.failed) typed('monitor', mon.error);
  else if (mon.ended) find('monitor-stopped', 'monitor', new Error('the monitor ended without an error while the connection was open'));

  stop.abort();
  if (!(await until(() => mon.ended, o.watchdogMs))) find('hang', 'monitor after abort', new Error('the monitor did not stop when its signal aborted'));
  let closed = false;
  void dl.close().then(() => void (closed = true));
  if (!(await until(() => closed, o.watchdogMs))) find('hang', 'Devlink.close', new Error('close() never resolved'));
  void monDone;
}

/** Cases [start, start + count), `concurrency` at a time. */
export async function fuzzEngine(pools: EnginePools, seed: number, start: number, count: number, o: EngineOptions, t: Tally, concurrency = 8): Promise<void> {
  let next = start;
  const worker = async (): Promise<void> => {
    while (next < start + count) await engineCase(pools, seed, next++, o, t);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
