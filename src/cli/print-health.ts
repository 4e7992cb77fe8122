/**
 * health's output, in the order iproute2 6.1's pr_out_health and cmd_fmsg_object_cb
 * print: reporters grouped under their device or port handle, and formatted messages
 * as a stream of groups (objects and arrays open a new, indented line with "name:")
 * and "name: value" pairs.
 */
import type { FmsgValue } from '../devlink/fmsg';
import { FmsgObject } from '../devlink/fmsg';
import type { HealthReporter } from '../devlink/health';
import type { Printer } from './output';

const U64_MAX = (1n << 64n) - 1n;

/** pr_out_u64: a separating space, then `name value` ("unlimited" for U64_MAX). */
function u64(p: Printer, name: string, v: bigint): void {
  p.checkIndentNewline();
  if (v === U64_MAX) p.str(name, `${name} `, 'unlimited');
  else p.uint(name, `${name} `, v);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** strftime "%Y-%m-%d" and "%H:%M:%S" of a local time. */
function dateTime(d: Date): [string, string] {
  return [`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`, `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`];
}

/**
 * When the dump was taken: DUMP_TS_NS is wall-clock ns; the older DUMP_TS is ms since
 * boot, turned into a date through the uptime as iproute2 does.
 */
function dumpTime(r: HealthReporter, uptimeS: () => number): [string, string] | undefined {
  if (r.lastDumpNs !== undefined) return dateTime(new Date(Number(r.lastDumpNs / 1_000_000_000n) * 1000));
  if (r.lastDumpMs === undefined) return undefined;
  const now = Math.floor(Date.now() / 1000);
  return dateTime(new Date((now - Math.floor(uptimeS()) + Number(r.lastDumpMs / 1000n)) * 1000));
}

export function printReporter(p: Printer, r: HealthReporter, uptimeS: () => number): void {
  p.handleStart(r.handle, true, true);
  p.checkIndentNewline();
  p.str('reporter', 'reporter ', r.name);
  if (!p.json) {
    p.newline();
    p.indentInc();
  }
  p.checkIndentNewline();
  p.str('state', 'state ', typeof r.state === 'string' ? r.state : '<unknown state>');
  u64(p, 'error', r.errorCount);
  u64(p, 'recover', r.recoverCount);
  const t = dumpTime(r, uptimeS);
  if (t) {
    p.checkIndentNewline();
    p.str('last_dump_date', 'last_dump_date ', t[0]);
    p.str('last_dump_time', ' last_dump_time ', t[1]);
  }
  if (r.gracePeriodMs !== undefined) u64(p, 'grace_period', r.gracePeriodMs);
  if (r.autoRecover !== undefined) p.bool('auto_recover', ' auto_recover ', r.autoRecover);
  if (r.autoDump !== undefined) p.bool('auto_dump', ' auto_dump ', r.autoDump);
  p.indentDec();
  p.handleEnd();
}

/**
 * A formatted message, as cmd_fmsg_object_cb prints its stream. `name` is the pending
 * pair name (pr_out_fmsg_name prints and forgets it).
 */
export function printFmsg(p: Printer, root: FmsgObject): void {
  p.setNewlineCount(1); // cmd_fmsg_init: no newline before the first group
  printObject(p, root, undefined);
}

function pendingName(p: Printer, name: string | undefined): void {
  if (name === undefined) return;
  if (p.json) {
    p.jsonName(name);
    return;
  }
  p.spaceUnlessAtIndent();
  p.out(`${name}:`);
}

function groupStart(p: Printer, name: string | undefined, json: () => void): void {
  if (p.json) {
    pendingName(p, name);
    json();
    return;
  }
  p.newline();
  pendingName(p, name);
  p.newline();
  p.indentInc();
}

function groupEnd(p: Printer, json: () => void): void {
  if (p.json) {
    json();
    return;
  }
  p.newline();
  p.indentDec();
}

function printObject(p: Printer, o: FmsgObject, name: string | undefined): void {
  groupStart(p, name, () => p.jsonOpen());
  for (const [n, v] of o.entries) printValue(p, v, n);
  groupEnd(p, () => p.jsonClose());
}

function printValue(p: Printer, v: FmsgValue, name: string | undefined): void {
  if (v instanceof FmsgObject) {
    printObject(p, v, name);
  } else if (Array.isArray(v)) {
    groupStart(p, name, () => p.jsonArrayOpen());
    for (const item of v as readonly FmsgValue[]) printValue(p, item, undefined);
    groupEnd(p, () => p.jsonArrayClose());
  } else {
    pendingName(p, name);
    printScalar(p, v as Exclude<FmsgValue, FmsgObject | readonly FmsgValue[]>);
  }
}

/** fmsg_value_show; binary as pr_out_binary_value: "%02x " each, 16 to a line. */
function printScalar(p: Printer, v: boolean | number | bigint | string | Buffer): void {
  p.checkIndentNewline();
  if (typeof v === 'boolean') p.bool(undefined, '', v);
  else if (typeof v === 'number' || typeof v === 'bigint') p.uint(undefined, '', v);
  else if (typeof v === 'string') p.str(undefined, '', v);
  else if (p.json) {
    p.jsonArrayOpen();
    for (const b of v) p.uint(undefined, '', b);
    p.jsonArrayClose();
  } else {
    for (let i = 0; i < v.length; i++) {
      p.out(`${v[i].toString(16).padStart(2, '0')} `);
      if ((i + 1) % 16 === 0) p.newline();
    }
    if (v.length % 16 !== 0) p.newline();
  }
}
