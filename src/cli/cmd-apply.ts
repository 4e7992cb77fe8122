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
import { ApplyResult, parseDesiredState, PlanItem, planApply, runPlan } from '../devlink/apply';
import { Args, matches, nextUint, parseUint, UsageError } from './args';
import { describeError, Reported } from './errors';
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

function sfName(i: PlanItem): string {
  return `${i.dev}${i.controller ? ` controller ${i.controller}` : ''} pfnum ${i.pfnum} sfnum ${i.sfnum}`;
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
      const what = error === undefined ? PAST[item.action] : `failed to ${item.action}`;
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

function printJson(s: Session, file: string, plan: readonly PlanItem[], result?: ApplyResult): void {
  const p = s.printer;
  p.section('apply', () => {
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
      p.jsonClose();
    }
  });
}

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
  const dl = await s.devlink();
  const plan = await planApply(dl, desired, { prune: o.prune, ...(s.signal ? { signal: s.signal } : {}) });
  const todo = plan.filter((i) => i.action !== 'unchanged');
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
  const result = await runPlan(dl, todo, {
    sysfsRoot: await s.sysfsRoot(),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(s.signal ? { signal: s.signal } : {}),
    onProgress: (done, _total, item, error) => bar.update(done, item, error),
  });
  bar.end();
  if (s.json) {
    printJson(s, o.file, plan, result);
  } else {
    s.out(`Applied: ${result.created} created, ${result.changed} changed, ${result.deleted} deleted, ` +
      `${count(plan, 'unchanged')} unchanged, ${result.failed.length} failed.\n`);
  }
  if (result.failed.length === 0) return;
  for (const f of result.failed) {
    s.err(`Failed to ${f.item.action} ${sfName(f.item)}:\n${errorText(f.error).replace(/^/gm, '  ')}\n`);
  }
  throw new Reported(`${result.failed.length} of ${todo.length} items failed`);
}
