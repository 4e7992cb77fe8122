/**
 * health's output, in the order iproute2 6.1's pr_out_health and cmd_fmsg_object_cb
 * print: reporters grouped under their device or port handle, and formatted messages
 * as a stream of groups (objects and arrays open a new, indented line with "name:")
 * and "name: value" pairs.
 */
import type { FmsgItem, FmsgScalar } from '../devlink/fmsg';
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
 * A formatted message's stream, printed as cmd_fmsg_object_cb prints it: objects and
 * arrays open groups, pairs only carry the name the next value or group prints. An end
 * without a start (a driver's unbalanced stream: netdevsim's "dummy" reporter on 6.1)
 * stops the printing there, as it stops iproute2's; false then.
 */
export function printFmsgItems(p: Printer, items: readonly FmsgItem[]): boolean {
  p.setNewlineCount(1); // cmd_fmsg_init: no newline before the first group
  const stack: ('obj' | 'pair' | 'arr')[] = [];
  let name: string | undefined;
  const takeName = (): string | undefined => {
    const n = name;
    name = undefined;
    return n;
  };
  for (const it of items) {
    switch (it.kind) {
      case 'obj': stack.push('obj'); groupStart(p, takeName(), () => p.jsonOpen()); break;
      case 'arr': stack.push('arr'); groupStart(p, takeName(), () => p.jsonArrayOpen()); break;
      case 'pair': stack.push('pair'); break;
      case 'end': {
        const top = stack.pop();
        if (top === undefined) return false;
        if (top === 'obj') groupEnd(p, () => p.jsonClose());
        else if (top === 'arr') groupEnd(p, () => p.jsonArrayClose());
        break;
      }
      case 'name': name = it.name; break;
      case 'value':
        pendingName(p, takeName());
        printScalar(p, it.value);
        break;
    }
  }
  return true;
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

/** fmsg_value_show; binary as pr_out_binary_value: "%02x " each, 16 to a line (JSON: the bytes, no array of their own). */
function printScalar(p: Printer, v: FmsgScalar): void {
  p.checkIndentNewline();
  if (typeof v === 'boolean') p.bool(undefined, '', v);
  else if (typeof v === 'number' || typeof v === 'bigint') p.uint(undefined, '', v);
  else if (typeof v === 'string') p.str(undefined, '', v);
  else if (p.json) {
    for (const b of v) p.uint(undefined, '', b);
  } else {
    for (let i = 0; i < v.length; i++) {
      p.out(`${v[i].toString(16).padStart(2, '0')} `);
      if ((i + 1) % 16 === 0) p.newline();
    }
    if (v.length % 16 !== 0) p.newline();
  }
}
