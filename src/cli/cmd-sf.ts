/**
 * Our own sub-function commands, one call each into the library's lifecycle:
 *
 *   sf create DEV pfnum N sfnum N [controller N] [hw_addr MAC] [roce enable|disable]
 *             [migratable ...] [ipsec_crypto ...] [ipsec_packet ...] [max_io_eqs N]
 *             [param NAME VALUE]... [netns NAME|PATH|PID] [inactive] [nowait] [timeout MS]
 *   sf ensure  (the same arguments; converges an existing SF instead of failing)
 *   sf destroy DEV/INDEX | DEV pfnum N sfnum N [controller N] [timeout MS]
 *   sf list [DEV]
 *
 * Each SF is shown with its port, function state, and what the kernel made of it: the
 * auxiliary device, its devlink instance, netdev and RDMA device (found in sysfs).
 */
import type { Devlink } from '../devlink/devlink';
import { DevlinkError } from '../devlink/errors';
import { ENODEV_ERRNO } from '../genl/errno';
import { sfName } from '../devlink/lifecycle-spec';
import type { LifecycleOptions, Subfunction, SubfunctionSpec } from '../devlink/subfunction';
import { findSfDevices, SfDevices } from '../devlink/sysfs';
import type { DevlinkPort, ParamValue, PortFunctionCaps } from '../devlink/types';
import {
  Args, capKeywords, nextDevHandle, nextDevOrPort, nextStr, nextUint, parseKeywords, requireKeywords, UsageError,
} from './args';
import { nextNetns } from './cmd-dev';
import { table } from './output';
import type { Session } from './session';

export interface SfRow extends Partial<SfDevices> {
  readonly port: DevlinkPort;
  /** Where the SF's instance and netdev are, when the lifecycle moved them (Subfunction.netns). */
  readonly netns?: string;
}

const DASH = '-';

/** sf list's table: one row per SF. */
export function sfTable(rows: readonly SfRow[]): string {
  const head = ['PORT', 'PFNUM', 'SFNUM', 'HW_ADDR', 'STATE', 'OPSTATE', 'AUXDEV', 'NETDEV', 'RDMA', 'DEVLINK'];
  const body = rows.map(({ port: p, ...d }) => [
    p.handle, String(p.pfnum ?? DASH), String(p.sfnum ?? DASH), p.function?.hwAddr ?? DASH,
    String(p.function?.state ?? DASH), String(p.function?.opstate ?? DASH),
    d.auxDevice ?? DASH, d.netdev ?? DASH, d.rdmaDevice ?? DASH, d.devlink ?? DASH,
  ]);
  return table([head, ...body]);
}

/** One SF as JSON: "pci/0000:06:00.0/32768": {...}. */
export function printSfJson(s: Session, row: SfRow, extra: Record<string, boolean | string> = {}): void {
  const p = s.printer;
  const { port } = row;
  p.jsonOpen(port.handle);
  p.str('dev', '', `${port.bus}/${port.dev}`);
  if (port.controller !== undefined) p.uint('controller', '', port.controller);
  if (port.pfnum !== undefined) p.uint('pfnum', '', port.pfnum);
  if (port.sfnum !== undefined) p.uint('sfnum', '', port.sfnum);
  const f = port.function;
  if (f?.hwAddr !== undefined) p.str('hw_addr', '', f.hwAddr);
  if (f?.state !== undefined) p.str('state', '', String(f.state));
  if (f?.opstate !== undefined) p.str('opstate', '', String(f.opstate));
  if (port.netdev !== undefined) p.str('representor', '', port.netdev);
  if (row.auxDevice !== undefined) p.str('auxdev', '', row.auxDevice);
  if (row.devlink !== undefined) p.str('devlink', '', row.devlink);
  if (row.netdev !== undefined) p.str('netdev', '', row.netdev);
  if (row.rdmaDevice !== undefined) p.str('rdma', '', row.rdmaDevice);
  if (row.netns !== undefined) p.str('netns', '', row.netns);
  for (const [k, v] of Object.entries(extra)) {
    if (typeof v === 'boolean') p.bool(k, '', v);
    else p.str(k, '', v);
  }
  p.jsonClose();
}

/** The SFs of one device or of all, with what sysfs says of each. */
export async function listSfs(dl: Devlink, root: string, dev?: string): Promise<SfRow[]> {
  const ports = (await dl.ports(dev !== undefined ? { dev } : {})).filter((p) => p.flavour === 'pcisf');
  return Promise.all(ports.map(async (port) => {
    const found = port.sfnum !== undefined ? await findSfDevices(root, port.sfnum, port.bus === 'pci' ? port.dev : undefined) : undefined;
    return { port, ...(found ?? {}) };
  }));
}

/** sf list [DEV]. */
export async function sfList(s: Session, a: Args): Promise<void> {
  const dev = a.empty ? undefined : nextDevHandle(a);
  a.done();
  await sfSection(s, async () => {
    const dl = await s.devlink();
    const rows = await listSfs(dl, await s.sysfsRoot(), dev);
    if (!s.json) {
      if (rows.length > 0) s.printer.out(sfTable(rows));
      return;
    }
    for (const r of rows) printSfJson(s, r);
  });
}

/**
 * With -j, the command's "sf" wrapper is open while it works: a failure still writes
 * `{"sf":{}}`, as `port show` writes `{"port":{}}`.
 */
function sfSection<T>(s: Session, body: () => Promise<T>): Promise<T> {
  return s.json ? s.printer.section('sf', body) : body();
}

/** A param's VALUE word: true/false, a decimal number, else the string itself. */
function paramValue(word: string): ParamValue {
  if (word === 'true' || word === 'false') return word === 'true';
  return /^(0|[1-9]\d{0,14})$/.test(word) ? Number(word) : word;
}

type Spec = { -readonly [K in keyof SubfunctionSpec]: SubfunctionSpec[K] };

/** The arguments of sf create and sf ensure. */
function parseSpec(a: Args): { spec: Spec; timeoutMs?: number } {
  const dev = nextDevHandle(a);
  const spec: Spec = { dev, pfnum: 0, sfnum: 0 };
  const caps: { -readonly [K in keyof PortFunctionCaps]: boolean } = {};
  const params: Record<string, ParamValue> = {};
  let timeoutMs: number | undefined;
  const seen = parseKeywords(a, [
    ['pfnum', (x) => (spec.pfnum = nextUint(x, 0xffff))],
    ['sfnum', (x) => (spec.sfnum = nextUint(x))],
    ['controller', (x) => (spec.controller = nextUint(x))],
    ['hw_addr', (x) => (spec.hwAddr = nextStr(x))],
    ...capKeywords(caps),
    ['max_io_eqs', (x) => (spec.maxIoEqs = nextUint(x))],
    ['param', (x) => {
      const name = nextStr(x);
      params[name] = paramValue(nextStr(x));
    }],
    ['netns', (x) => (spec.netns = nextNetns(x) as SubfunctionSpec['netns'])],
    ['inactive', () => (spec.activate = false)],
    ['nowait', () => (spec.wait = 'none')],
    ['timeout', (x) => (timeoutMs = nextUint(x))],
  ]);
  requireKeywords(seen, [['pfnum', 'Port PCI PF number is expected.'], ['sfnum', 'Sub-function number is expected.']]);
  if (Object.keys(caps).length > 0) spec.caps = caps;
  if (Object.keys(params).length > 0) spec.params = params;
  return timeoutMs !== undefined ? { spec, timeoutMs } : { spec };
}

async function lifecycle(s: Session, signal: AbortSignal | undefined, timeoutMs?: number): Promise<LifecycleOptions> {
  return { sysfsRoot: await s.sysfsRoot(), ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(signal ? { signal } : {}) };
}

/** Run `body` with a signal that SIGINT or SIGTERM aborts (Session.interruptible); `sf` is what may be left. */
async function interruptible<T>(s: Session, sf: string, body: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const guard = s.interruptible(() => `the sub-function ${sf}`);
  try {
    return await body(guard.signal);
  } finally {
    guard.dispose();
  }
}

/** One SF's result, within sfSection. */
function report(s: Session, sf: Subfunction, what: string): void {
  if (s.json) {
    printSfJson(s, sf, { result: what });
    return;
  }
  const where = sf.netns !== undefined ? ` in network namespace ${sf.netns}` : '';
  s.printer.out(`${what} ${sf.port.handle} (${sf.port.bus}/${sf.port.dev} pfnum ${sf.port.pfnum ?? DASH} sfnum ${sf.port.sfnum ?? DASH})${where}\n`);
  s.printer.out(sfTable([sf]));
}

/** sf create: add, configure, activate, wait until attached. */
export async function sfCreate(s: Session, a: Args): Promise<void> {
  const { spec, timeoutMs } = parseSpec(a);
  await sfSection(s, async () => {
    const sf = await interruptible(s, sfName(spec), async (signal) => {
      const dl = await s.devlink();
      return dl.createSubfunction({ ...spec, ...(await lifecycle(s, signal, timeoutMs)) });
    });
    report(s, sf, 'created');
  });
}

/** sf ensure: create it, or converge the existing one; says which. */
export async function sfEnsure(s: Session, a: Args): Promise<void> {
  const { spec, timeoutMs } = parseSpec(a);
  await sfSection(s, async () => {
    const { sf, existed } = await interruptible(s, sfName(spec), async (signal) => {
      const dl = await s.devlink();
      const was = (await dl.findSubfunction(spec, signal ? { signal } : {})) !== undefined;
      return { sf: await dl.ensureSubfunction({ ...spec, ...(await lifecycle(s, signal, timeoutMs)) }), existed: was };
    });
    report(s, sf, !existed ? 'created' : sf.changed ? 'changed' : 'unchanged');
  });
}

/** A handle given to sf destroy must name an SF port (one that no longer exists is fine). */
async function checkSfPort(dl: Devlink, handle: string): Promise<void> {
  let port: DevlinkPort;
  try {
    port = await dl.port(handle);
  } catch (e) {
    if (e instanceof DevlinkError && e.errno === ENODEV_ERRNO) return;
    throw e;
  }
  if (port.flavour !== 'pcisf') {
    throw new UsageError(`${handle} is not a sub-function port (flavour ${String(port.flavour ?? 'unknown')}); nothing was changed`);
  }
}

/** sf destroy: deactivate, wait until detached, delete. Nothing to destroy is not an error. */
export async function sfDestroy(s: Session, a: Args): Promise<void> {
  const id = nextDevOrPort(a);
  if (id.kind === 'netdev') throw new UsageError('Expected "bus_name/dev_name/port_index" or "bus_name/dev_name pfnum N sfnum N".');
  let target: string | { dev: string; pfnum: number; sfnum: number; controller?: number } = id.handle;
  let timeoutMs: number | undefined;
  if (id.kind === 'dev') {
    const t = { dev: id.handle, pfnum: 0, sfnum: 0 } as { dev: string; pfnum: number; sfnum: number; controller?: number };
    const seen = parseKeywords(a, [
      ['pfnum', (x) => (t.pfnum = nextUint(x, 0xffff))],
      ['sfnum', (x) => (t.sfnum = nextUint(x))],
      ['controller', (x) => (t.controller = nextUint(x))],
      ['timeout', (x) => (timeoutMs = nextUint(x))],
    ]);
    requireKeywords(seen, [['pfnum', 'Port PCI PF number is expected.'], ['sfnum', 'Sub-function number is expected.']]);
    target = t;
  } else {
    parseKeywords(a, [['timeout', (x) => (timeoutMs = nextUint(x))]]);
  }
  const name = typeof target === 'string' ? target : `${target.dev} pfnum ${target.pfnum} sfnum ${target.sfnum}`;
  await sfSection(s, async () => {
    const destroyed = await interruptible(s, typeof target === 'string' ? target : sfName(target), async (signal) => {
      const dl = await s.devlink();
      if (typeof target === 'string') await checkSfPort(dl, target);
      return dl.destroySubfunction(target, await lifecycle(s, signal, timeoutMs));
    });
    if (s.json) {
      s.printer.jsonOpen(name);
      s.printer.bool('destroyed', '', destroyed);
      s.printer.jsonClose();
    } else {
      s.printer.out(destroyed ? `destroyed ${name}\n` : `${name}: no such sub-function, nothing to destroy\n`);
    }
  });
}
