/**
 * apply FILE [--dry-run] [--prune] [--concurrency N] [--timeout MS]
 *
 * A desired state (YAML or JSON, `-` for stdin) is compared with the kernel's: the plan
 * (create, change, delete, unchanged) is printed as a table, then carried out with
 * bounded concurrency, with a progress bar on a terminal or one line per item
 * otherwise. Applying the same file twice changes nothing the second time. When an item
 * fails the others still run; a summary names each failure and the exit status is 1.
 */
import { promises as fs } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { strerror } from '../genl/errno';
import { ApplyResult, DesiredState, parseDesiredState, PlanItem, planApply, runPlan } from '../devlink/apply';
import { sfName } from '../devlink/lifecycle-spec';
import { Args, matches, nextUint, parseUint, UsageError } from './args';
import { describeError, Reported } from './errors';
import { interruptionOf, StopSignal } from './signals';
import { table } from './output';
import type { Session } from './session';
import { FN_CAP_NAMES, FN_CAP_WORDS } from '../devlink/constants';

interface ApplyArgs {
  file: string;
  dryRun: boolean;
  prune: boolean;
  concurrency?: number;
  timeoutMs?: number;
}

const FLAGS = ['dry-run', 'prune', 'concurrency', 'timeout'] as const;

/** Flags may be written --dry-run or dry-run (iproute2 style), before or after FILE. */
function parseArgs(a: Args): ApplyArgs {
  let file: string | undefined;
  const r: Omit<ApplyArgs, 'file'> = { dryRun: false, prune: false };
  while (!a.empty) {
    const w = a.next() ?? '';
    let flag: (typeof FLAGS)[number] | undefined;
    let value: string | undefined;
    if (w.startsWith('--')) {
      const [name, v] = w.slice(2).split('=', 2);
      flag = FLAGS.find((k) => k === name) ?? FLAGS.find((k) => name.length > 0 && k.startsWith(name));
      value = v;
    } else if (file === undefined) {
      file = w;
      continue;
    } else {
      flag = FLAGS.find((k) => matches(w, k));
    }
    if (flag === undefined) throw new UsageError(`Unknown option "${w}"`);
    if (flag === 'dry-run' || flag === 'prune') {
      if (value !== undefined) throw new UsageError(`Option "--${flag}" takes no value`);
      if (flag === 'dry-run') r.dryRun = true;
      else r.prune = true;
      continue;
    }
    const n = value !== undefined ? parseUint(value) : nextUint(a);
    if (n === undefined) throw new UsageError(`"${value}" is not a number or not within range`);
    if (flag === 'concurrency') {
      if (n < 1) throw new UsageError('"concurrency" must be at least 1');
      r.concurrency = n;
    } else {
      r.timeoutMs = n;
    }
  }
  if (file === undefined) throw new UsageError('apply: a desired-state file is expected (YAML or JSON; - for stdin)');
  return { file, ...r };
}

async function readInput(s: Session, file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).errno;
      throw new UsageError(`Cannot open file "${file}" for reading: ${errno !== undefined ? strerror(Math.abs(errno)) : (e as Error).message}`);
    }
  }
  let text = '';
  for await (const chunk of s.io.stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/** What a create sets, in the words of `port function set`. */
function createDetails(i: PlanItem): string[] {
  const sp = i.spec;
  if (!sp) return [];
  const d: string[] = [];
  if (sp.hwAddr !== undefined) d.push(`hw_addr ${sp.hwAddr}`);
  for (const k of FN_CAP_NAMES) {
    const v = sp.caps?.[k];
    if (v !== undefined) d.push(`${FN_CAP_WORDS[k]} ${v ? 'enable' : 'disable'}`);
  }
  if (sp.maxIoEqs !== undefined) d.push(`max_io_eqs ${sp.maxIoEqs}`);
  d.push(`state ${sp.activate === false ? 'inactive' : 'active'}`);
  return d;
}

export function planTable(plan: readonly PlanItem[]): string {
  const rows = plan.map((i) => [
    i.action, i.dev, String(i.pfnum), String(i.sfnum), i.current?.handle ?? '-',
    (i.action === 'create' ? createDetails(i) : i.changes ?? []).join(', '),
  ]);
  return table([['ACTION', 'DEVICE', 'PFNUM', 'SFNUM', 'PORT', 'DETAILS'], ...rows]);
}

function count(plan: readonly PlanItem[], action: PlanItem['action']): number {
  return plan.filter((i) => i.action === action).length;
}

export function planSummary(plan: readonly PlanItem[]): string {
  return `Plan: ${count(plan, 'create')} to create, ${count(plan, 'change')} to change, `
    + `${count(plan, 'delete')} to delete, ${count(plan, 'unchanged')} unchanged.\n`;
}

const PAST: Record<PlanItem['action'], string> = { create: 'created', change: 'changed', delete: 'deleted', unchanged: 'unchanged' };

/** Progress: a bar redrawn in place on a terminal, else one line per finished item. */
function progress(s: Session, total: number): { update(done: number, item: PlanItem, error?: unknown): void; end(): void } {
  const tty = s.io.stdout.isTTY === true && !s.json;
  let drawn = false;
  return {
    update(done, item, error) {
      if (s.json) return;
      const what = error === undefined ? PAST[item.action] : interruptionOf(error) !== undefined ? `interrupted: ${item.action}` : `failed to ${item.action}`;
      if (!tty) {
        s.out(`[${done}/${total}] ${what} ${sfName(item)}\n`);
        return;
      }
      const width = 24;
      const filled = Math.round((done / total) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${what} ${sfName(item)}`;
      const cols = s.io.stdout.columns ?? 80;
      s.out(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
      drawn = true;
    },
    end() {
      if (drawn) s.out('\n');
    },
  };
}

function errorText(e: unknown): string {
  return (describeError(e) ?? `${e instanceof Error ? e.message : String(e)}\n`).trimEnd();
}

/** The plan and the result, within the "apply" section. */
function printJson(s: Session, file: string, plan: readonly PlanItem[], result?: ApplyResult, stop?: Stopped): void {
  const p = s.printer;
  p.str('file', '', file);
  p.jsonArrayOpen('plan');
  for (const i of plan) {
    p.jsonOpen();
    p.str('action', '', i.action);
    p.str('dev', '', i.dev);
    p.uint('controller', '', i.controller);
    p.uint('pfnum', '', i.pfnum);
    p.uint('sfnum', '', i.sfnum);
    if (i.current) p.str('port', '', i.current.handle);
    const details = i.action === 'create' ? createDetails(i) : i.changes ?? [];
    p.jsonArrayOpen('details');
    for (const d of details) p.str(undefined, '', d);
    p.jsonArrayClose();
    p.jsonClose();
  }
  p.jsonArrayClose();
  if (result) {
    p.jsonOpen('result');
    p.uint('created', '', result.created);
    p.uint('changed', '', result.changed);
    p.uint('deleted', '', result.deleted);
    p.uint('unchanged', '', count(plan, 'unchanged'));
    p.jsonArrayOpen('failed');
    for (const f of result.failed) {
      p.jsonOpen();
      p.str('action', '', f.item.action);
      p.str('dev', '', f.item.dev);
      p.uint('pfnum', '', f.item.pfnum);
      p.uint('sfnum', '', f.item.sfnum);
      p.str('error', '', errorText(f.error).split('\n').join('; '));
      p.jsonClose();
    }
    p.jsonArrayClose();
    if (stop !== undefined) {
      p.str('interrupted', '', stop.signal);
      p.jsonArrayOpen('not_started');
      for (const i of stop.notStarted) {
        p.jsonOpen();
        p.str('action', '', i.action);
        p.str('dev', '', i.dev);
        p.uint('pfnum', '', i.pfnum);
        p.uint('sfnum', '', i.sfnum);
        p.jsonClose();
      }
      p.jsonArrayClose();
    }
    p.jsonClose();
  }
}

/** What a SIGINT or SIGTERM during the run stopped: the items it kept from starting. */
interface Stopped {
  readonly signal: StopSignal;
  readonly notStarted: readonly PlanItem[];
}

/** runPlan's default: SFs worked on at once. */
const CONCURRENCY = 8;

/** What a run has got to, for a second signal to name what may be left. */
interface RunState {
  /** The items to carry out (the plan less the unchanged), once planned. */
  todo: readonly PlanItem[];
  readonly finished: Set<PlanItem>;
  readonly limit: number;
}

/** The items under way: runPlan's workers take items in order, each a new one as soon as one finishes. */
function underWay(r: RunState): string {
  return r.todo.slice(0, r.finished.size + r.limit).filter((i) => !r.finished.has(i)).map(sfName).join(', ');
}

/**
 * The run, stoppable: the first SIGINT or SIGTERM aborts the items in progress (each rolls
 * back what it made) and keeps the others from starting; the report says which were done.
 */
export async function applyCmd(s: Session, a: Args): Promise<void> {
  const o = parseArgs(a);
  const text = await readInput(s, o.file);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new UsageError(`Error: ${o.file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const desired = parseDesiredState(doc);
  const r: RunState = { todo: [], finished: new Set(), limit: o.concurrency ?? CONCURRENCY };
  const guard = s.interruptible(() => (underWay(r) !== '' ? `the sub-functions being worked on (${underWay(r)})` : ''));
  // with -j the "apply" wrapper is open while it works: a failure still writes it
  const body = (): Promise<void> => apply(s, o, desired, r, guard.signal);
  try {
    await (s.json ? s.printer.section('apply', body) : body());
  } finally {
    guard.dispose();
  }
}

async function apply(s: Session, o: ApplyArgs, desired: DesiredState, r: RunState, signal: AbortSignal | undefined): Promise<void> {
  const dl = await s.devlink();
  const plan = await planApply(dl, desired, { prune: o.prune, ...(signal ? { signal } : {}) });
  const todo = (r.todo = plan.filter((i) => i.action !== 'unchanged'));
  if (!s.json) {
    if (plan.length > 0) s.out(planTable(plan));
    s.out(planSummary(plan));
  }
  if (o.dryRun || todo.length === 0) {
    if (s.json) printJson(s, o.file, plan);
    else s.out(o.dryRun ? 'Dry run: nothing was changed.\n' : 'Nothing to do.\n');
    return;
  }
  const bar = progress(s, todo.length);
  const notStarted: PlanItem[] = [];
  const result = await runPlan(dl, todo, {
    sysfsRoot: await s.sysfsRoot(),
    concurrency: r.limit,
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(signal ? { signal } : {}),
    onProgress: (done, _total, item, error) => {
      r.finished.add(item);
      // an item the signal kept from starting fails with the signal's reason itself
      if (error !== undefined && error === signal?.reason && interruptionOf(error) !== undefined) notStarted.push(item);
      else bar.update(done, item, error);
    },
  });
  bar.end();
  const failed = result.failed.filter((f) => !notStarted.includes(f.item));
  const stop = s.interruptedBy !== undefined ? { signal: s.interruptedBy, notStarted } : undefined;
  if (s.json) {
    printJson(s, o.file, plan, { ...result, failed }, stop);
  } else {
    const counts = `${result.created} created, ${result.changed} changed, ${result.deleted} deleted`;
    s.out(stop === undefined
      ? `Applied: ${counts}, ${count(plan, 'unchanged')} unchanged, ${failed.length} failed.\n`
      : `Interrupted by ${stop.signal}: ${counts}, ${failed.length} stopped or failed, ${notStarted.length} not started.\n`);
  }
  for (const f of failed) {
    const head = interruptionOf(f.error) !== undefined ? `Stopped: ${f.item.action}` : `Failed to ${f.item.action}`;
    s.err(`${head} ${sfName(f.item)}:\n${errorText(f.error).replace(/^/gm, '  ')}\n`);
  }
  if (stop !== undefined && notStarted.length > 0 && !s.json) s.err(`Not started: ${notStarted.map(sfName).join('; ')}\n`);
  if (failed.length > 0 || stop !== undefined) throw new Reported(`${failed.length} of ${todo.length} items failed`);
}
