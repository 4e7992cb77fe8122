/**
 * devlink trap: show/set, group show/set, policer show/set, with iproute2 6.1's arguments,
 * messages and output (pr_out_trap, pr_out_trap_group, pr_out_trap_policer; with -s each
 * with its rx statistics).
 */
import type { DevlinkTrap, DevlinkTrapGroup, DevlinkTrapPolicer, TrapActionName, TrapStats } from '../devlink/traps';
import { Args, nextDevHandle, nextStr, nextU64, nextUint, parseKeywords, requireKeywords, UsageError } from './args';
import type { Printer } from './output';
import type { Session } from './session';

const ACTIONS: readonly TrapActionName[] = ['drop', 'trap', 'mirror'];

function nextAction(a: Args): TrapActionName {
  const s = nextStr(a);
  if (!(ACTIONS as readonly string[]).includes(s)) throw new UsageError(`Unknown trap action "${s}"`);
  return s as TrapActionName;
}

function u64(p: Printer, name: string, v: bigint): void {
  p.checkIndentNewline();
  p.uint(name, `${name} `, v);
}

/** pr_out_stats (only with -s). */
function printStats(s: Session, st: TrapStats): void {
  if (!s.opts.stats) return;
  const p = s.printer;
  p.objectStart('stats');
  p.objectStart('rx');
  if (st.rxBytes !== undefined) u64(p, 'bytes', st.rxBytes);
  if (st.rxPackets !== undefined) u64(p, 'packets', st.rxPackets);
  if (st.rxDropped !== undefined) u64(p, 'dropped', st.rxDropped);
  p.objectEnd();
  p.objectEnd();
}

/** With -v: the metadata the trap's packets carry, in the kernel's order (in port, flow action cookie). */
function printMetadata(s: Session, md: DevlinkTrap['metadata']): void {
  const p = s.printer;
  p.arrayStart('metadata');
  for (const [has, name] of [[md.inPort, 'input_port'], [md.faCookie, 'flow_action_cookie']] as const) {
    if (!has) continue;
    p.checkIndentNewline();
    p.str(undefined, '', name);
  }
  p.arrayEnd();
}

/** pr_out_trap; `array` false in the monitor. */
export function printTrap(s: Session, t: DevlinkTrap, array = true): void {
  const p = s.printer;
  p.handleStart(t.handle, true, array);
  p.checkIndentNewline();
  p.str('name', 'name ', t.name);
  p.str('type', ' type ', typeof t.type === 'string' ? t.type : '<unknown type>');
  p.bool('generic', ' generic ', t.generic);
  p.str('action', ' action ', typeof t.action === 'string' ? t.action : '<unknown action>');
  p.str('group', ' group ', t.group);
  if (s.opts.verbose) printMetadata(s, t.metadata);
  printStats(s, t.stats);
  p.handleEnd();
}

export function printGroup(s: Session, g: DevlinkTrapGroup, array = true): void {
  const p = s.printer;
  p.handleStart(g.handle, true, array);
  p.checkIndentNewline();
  p.str('name', 'name ', g.name);
  p.bool('generic', ' generic ', g.generic);
  if (g.policer !== undefined) p.uint('policer', ' policer ', g.policer);
  printStats(s, g.stats);
  p.handleEnd();
}

function printPolicer(s: Session, x: DevlinkTrapPolicer): void {
  const p = s.printer;
  p.handleStart(x.handle, true, true);
  p.checkIndentNewline();
  p.uint('policer', 'policer ', x.id);
  p.uint('rate', ' rate ', x.rate ?? 0n);
  p.uint('burst', ' burst ', x.burst ?? 0n);
  printStats(s, x.stats);
  p.handleEnd();
}

async function show<T>(s: Session, section: string, items: Promise<T[]>, print: (s: Session, x: T) => void): Promise<void> {
  const list = await items;
  s.printer.sectionStart(section);
  try {
    for (const x of list) print(s, x);
  } finally {
    s.printer.sectionEnd();
  }
}

/** DEV then `keyword NAME` (required, with iproute2's message). */
function target(a: Args, keyword: string, missing: string, more: [string, (x: Args) => void][] = []): { dev: string; name: string } {
  const dev = nextDevHandle(a);
  let name = '';
  requireKeywords(parseKeywords(a, [[keyword, (x) => (name = nextStr(x))], ...more]), [[keyword, missing]]);
  return { dev, name };
}

export async function trapShow(s: Session, a: Args): Promise<void> {
  const one = a.empty ? undefined : target(a, 'trap', "Trap's name is expected.");
  const dl = await s.devlink();
  await show(s, 'trap', one ? dl.trap(one.dev, one.name).then((t) => [t]) : dl.traps(), (x, t) => printTrap(x, t));
}

export async function trapSet(s: Session, a: Args): Promise<void> {
  let action: TrapActionName | undefined;
  const t = target(a, 'trap', "Trap's name is expected.", [['action', (x) => (action = nextAction(x))]]);
  const dl = await s.devlink();
  // without an action iproute2 sends a SET that changes nothing: the trap is looked up instead
  if (action === undefined) await dl.trap(t.dev, t.name);
  else await dl.setTrapAction(t.dev, t.name, action);
}

export async function trapGroupShow(s: Session, a: Args): Promise<void> {
  const one = a.empty ? undefined : target(a, 'group', "Trap group's name is expected.");
  const dl = await s.devlink();
  await show(s, 'trap_group', one ? dl.trapGroup(one.dev, one.name).then((g) => [g]) : dl.trapGroups(), (x, g) => printGroup(x, g));
}

export async function trapGroupSet(s: Session, a: Args): Promise<void> {
  let action: TrapActionName | undefined;
  let policer: number | null | undefined;
  const g = target(a, 'group', "Trap group's name is expected.", [
    ['action', (x) => (action = nextAction(x))],
    ['policer', (x) => (policer = nextUint(x))],
    ['nopolicer', () => (policer = null)],
  ]);
  const dl = await s.devlink();
  if (action === undefined && policer === undefined) await dl.trapGroup(g.dev, g.name);
  else await dl.setTrapGroup(g.dev, g.name, { ...(action !== undefined ? { action } : {}), ...(policer !== undefined ? { policer } : {}) });
}

export async function trapPolicerShow(s: Session, a: Args): Promise<void> {
  let one: { dev: string; id: number } | undefined;
  if (!a.empty) {
    const dev = nextDevHandle(a);
    let id: number | undefined;
    parseKeywords(a, [['policer', (x) => (id = nextUint(x))]]);
    if (id === undefined) throw new UsageError('BUG: unknown argument required but not found');
    one = { dev, id };
  }
  const dl = await s.devlink();
  await show(s, 'trap_policer', one ? dl.trapPolicer(one.dev, one.id).then((x) => [x]) : dl.trapPolicers(), printPolicer);
}

export async function trapPolicerSet(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  let id: number | undefined;
  let rate: bigint | undefined;
  let burst: bigint | undefined;
  parseKeywords(a, [['policer', (x) => (id = nextUint(x))], ['rate', (x) => (rate = nextU64(x))], ['burst', (x) => (burst = nextU64(x))]]);
  if (id === undefined) throw new UsageError('BUG: unknown argument required but not found');
  const dl = await s.devlink();
  if (rate === undefined && burst === undefined) await dl.trapPolicer(dev, id);
  else await dl.setTrapPolicer(dev, id, { ...(rate !== undefined ? { rate } : {}), ...(burst !== undefined ? { burst } : {}) });
}
