/**
 * devlink health: show, recover, diagnose, dump show, dump clear, set, with iproute2's
 * arguments ({ DEV | DEV/PORT_INDEX | NETDEV } reporter NAME [ grace_period MSEC ]
 * [ auto_recover BOOL ] [ auto_dump BOOL ]), messages and output.
 */
import * as os from 'os';
import type { Devlink } from '../devlink/devlink';
import type { FmsgItem } from '../devlink/fmsg';
import { health, HealthReporterSettings } from '../devlink/health';
import { Args, nextBool, nextDevOrPort, nextStr, nextU64, parseKeywords, requireKeywords } from './args';
import { resolvePort } from './cmd-port';
import { printFmsgItems, printReporter } from './print-health';
import type { Session } from './session';

interface Target {
  readonly dl: Devlink;
  readonly handle: string;
  readonly reporter: string;
  readonly settings: HealthReporterSettings;
}

/** The handle, then `reporter NAME` and, where `settings`, the three settings. */
async function parseTarget(s: Session, a: Args, settings = false): Promise<Target> {
  const id = nextDevOrPort(a);
  let reporter = '';
  const set: { -readonly [K in keyof HealthReporterSettings]: HealthReporterSettings[K] } = {};
  const handlers: [string, (x: Args) => void][] = [['reporter', (x) => (reporter = nextStr(x))]];
  if (settings) {
    handlers.push(
      ['grace_period', (x) => (set.gracePeriodMs = nextU64(x))],
      ['auto_recover', (x) => (set.autoRecover = nextBool(x))],
      ['auto_dump', (x) => (set.autoDump = nextBool(x))],
    );
  }
  requireKeywords(parseKeywords(a, handlers), [['reporter', "Reporter's name is expected."]]);
  const dl = await s.devlink();
  const handle = id.kind === 'dev' ? id.handle : await resolvePort(dl, id);
  return { dl, handle, reporter, settings: set };
}

/** health show [ { DEV | DEV/PORT_INDEX } reporter NAME ]. */
export async function healthShow(s: Session, a: Args): Promise<void> {
  const one = a.empty ? undefined : await parseTarget(s, a);
  const dl = one?.dl ?? (await s.devlink());
  const reporters = one ? [await dl.healthReporter(one.handle, one.reporter)] : await dl.healthReporters();
  s.printer.sectionStart('health');
  try {
    for (const r of reporters) printReporter(s.printer, r, os.uptime);
  } finally {
    s.printer.sectionEnd();
  }
}

export async function healthRecover(s: Session, a: Args): Promise<void> {
  const t = await parseTarget(s, a);
  await t.dl.recoverHealthReporter(t.handle, t.reporter);
}

/** An unbalanced stream stops the output where iproute2's stops, with its words and status. */
function printStream(s: Session, items: readonly FmsgItem[]): void {
  if (!printFmsgItems(s.printer, items)) s.err('kernel answers: Success\n');
}

export async function healthDiagnose(s: Session, a: Args): Promise<void> {
  const t = await parseTarget(s, a);
  printStream(s, await health.diagnoseItems(t.dl, t.handle, t.reporter, {}));
}

export async function healthDumpShow(s: Session, a: Args): Promise<void> {
  const t = await parseTarget(s, a);
  printStream(s, await health.dumpItems(t.dl, t.handle, t.reporter, {}));
}

export async function healthTest(s: Session, a: Args): Promise<void> {
  const t = await parseTarget(s, a);
  await t.dl.testHealthReporter(t.handle, t.reporter);
}

export async function healthDumpClear(s: Session, a: Args): Promise<void> {
  const t = await parseTarget(s, a);
  await t.dl.clearHealthReporterDump(t.handle, t.reporter);
}

/** health set: with no setting iproute2 sends a SET that changes nothing; the reporter is looked up instead. */
export async function healthSet(s: Session, a: Args): Promise<void> {
  const t = await parseTarget(s, a, true);
  if (Object.keys(t.settings).length === 0) await t.dl.healthReporter(t.handle, t.reporter);
  else await t.dl.setHealthReporter(t.handle, t.reporter, t.settings);
}
