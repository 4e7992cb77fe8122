/**
 * devlink port: show, add, del, set type, split, unsplit and function set, with
 * iproute2's arguments and output. A port may be named by its netdev, as in iproute2.
 */
import type { Devlink } from '../devlink/devlink';
import { NotFoundError } from '../devlink/devlink';
import type { PortFunctionSettings } from '../devlink/types';
import {
  Args, capKeywords, KeywordHandlers, nextDevOrPort, nextEnum, nextPortIdent, nextStr, nextUint, parseKeywords, PortIdent, requireKeywords, UsageError,
} from './args';
import { printPort } from './print';
import type { Session } from './session';

/** A port named by its handle or its netdev, as a handle ("Netdevice "x" not found" otherwise). */
export async function resolvePort(dl: Devlink, id: PortIdent): Promise<string> {
  if (id.kind === 'port') return id.handle;
  try {
    return (await dl.port(id.name)).handle;
  } catch (e) {
    if (e instanceof NotFoundError) throw new UsageError(`Netdevice "${id.name}" not found`);
    throw e;
  }
}

/** port show [DEV/INDEX | NETDEV | DEV]. */
export async function portShow(s: Session, a: Args): Promise<void> {
  const id = a.empty ? undefined : nextDevOrPort(a);
  a.done();
  const dl = await s.devlink();
  let handle: string | undefined;
  if (id?.kind === 'netdev') handle = await resolvePort(dl, id);
  else if (id?.kind === 'port') handle = id.handle;
  await s.printer.section('port', async () => {
    const ports = handle !== undefined ? [await dl.port(handle)] : await dl.ports(id?.kind === 'dev' ? { dev: id.handle } : {});
    for (const p of ports) printPort(s.printer, p);
  });
}

const FLAVOURS = ['physical', 'cpu', 'dsa', 'pcipf', 'pcivf', 'pcisf', 'virtual'] as const;

/** port add DEV[/INDEX] flavour F pfnum N [sfnum N] [controller N]: prints the new port. */
export async function portAdd(s: Session, a: Args): Promise<void> {
  const id = nextDevOrPort(a);
  if (id.kind === 'netdev') throw new UsageError('Wrong port identification string format.\nExpected "bus_name/dev_name" or "bus_name/dev_name/port_index".');
  let flavour: (typeof FLAVOURS)[number] = 'pcisf';
  let pfnum = 0;
  let sfnum: number | undefined;
  let controller: number | undefined;
  const seen = parseKeywords(a, [
    ['flavour', (x) => {
      const f = nextStr(x);
      if (!(FLAVOURS as readonly string[]).includes(f)) throw new UsageError(`Error: argument "${f}" is wrong: unknown flavour`);
      flavour = f as (typeof FLAVOURS)[number];
    }],
    ['pfnum', (x) => (pfnum = nextUint(x, 0xffff))],
    ['sfnum', (x) => (sfnum = nextUint(x))],
    ['controller', (x) => (controller = nextUint(x))],
  ]);
  requireKeywords(seen, [['flavour', 'Port flavour is expected.'], ['pfnum', 'Port PCI PF number is expected.']]);
  const parts = id.handle.split('/');
  const dev = `${parts[0]}/${parts[1]}`;
  const dl = await s.devlink();
  const port = await dl.addPort(dev, {
    flavour, pfnum, ...(sfnum !== undefined ? { sfnum } : {}), ...(controller !== undefined ? { controller } : {}),
    ...(id.kind === 'port' ? { index: Number(parts[2]) } : {}),
  });
  s.printer.section('port', () => {
    printPort(s.printer, port);
  });
}

/** port del DEV/INDEX. */
export async function portDel(s: Session, a: Args): Promise<void> {
  const id = nextPortIdent(a);
  a.done();
  const dl = await s.devlink();
  await dl.deletePort(await resolvePort(dl, id));
}

/** port set DEV/INDEX type eth|ib|auto. */
export async function portSet(s: Session, a: Args): Promise<void> {
  const id = nextPortIdent(a);
  let type: 'eth' | 'ib' | 'auto' = 'auto';
  const seen = parseKeywords(a, [['type', (x) => (type = nextEnum(x, ['auto', 'eth', 'ib'] as const, 'port type'))]]);
  requireKeywords(seen, [['type', 'Port type not set.']]);
  const dl = await s.devlink();
  await dl.setPortType(await resolvePort(dl, id), type);
}

/** port split DEV/INDEX count N. */
export async function portSplit(s: Session, a: Args): Promise<void> {
  const id = nextPortIdent(a);
  let count = 0;
  const seen = parseKeywords(a, [['count', (x) => (count = nextUint(x))]]);
  requireKeywords(seen, [['count', 'Port split count option expected.']]);
  const dl = await s.devlink();
  await dl.splitPort(await resolvePort(dl, id), count);
}

/** port unsplit DEV/INDEX. */
export async function portUnsplit(s: Session, a: Args): Promise<void> {
  const id = nextPortIdent(a);
  a.done();
  const dl = await s.devlink();
  await dl.unsplitPort(await resolvePort(dl, id));
}

/** The keywords of `port function set` (also used by `sf create`). */
export function functionKeywords(set: { -readonly [K in keyof PortFunctionSettings]: PortFunctionSettings[K] }): KeywordHandlers {
  return [
    ['hw_addr', (x) => (set.hwAddr = nextStr(x))],
    ['state', (x) => {
      const v = nextStr(x);
      if (v !== 'active' && v !== 'inactive') throw new UsageError(`Error: argument "${v}" is wrong: unknown state`);
      set.state = v;
    }],
    ...capKeywords(set),
    ['max_io_eqs', (x) => (set.maxIoEqs = nextUint(x))],
  ];
}

/** port function set DEV/INDEX [hw_addr MAC] [state S] [roce B] ... [max_io_eqs N]. */
export async function functionSet(s: Session, a: Args): Promise<void> {
  const id = nextPortIdent(a);
  const settings: { -readonly [K in keyof PortFunctionSettings]: PortFunctionSettings[K] } = {};
  const keywords = functionKeywords(settings);
  parseKeywords(a, keywords);
  // the library would name its own fields (hwAddr, maxIoEqs): name the keywords
  if (Object.keys(settings).length === 0) throw new UsageError(`Nothing to set: give ${keywords.map(([k]) => k).join(', ')}.`);
  const dl = await s.devlink();
  await dl.setPortFunction(await resolvePort(dl, id), settings);
}
