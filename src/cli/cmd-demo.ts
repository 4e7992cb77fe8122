/**
 * demo [DEV] [--yes]: a narrated sub-function lifecycle, the README's main example.
 *
 *   devices -> switchdev -> a monitor printing events as they arrive -> three SFs created
 *   at once (activated, waited for until attached) -> sf list -> port show -> a desired
 *   state applied with its plan, then applied again (nothing changes) -> teardown -> summary
 *
 * Meant for --sim. On a real machine it runs only where a devlink device exists, never
 * switches an eswitch mode without --yes, and never prunes SFs it did not create.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDesiredState, planApply, runPlan } from '../devlink/apply';
import type { Devlink } from '../devlink/devlink';
import type { DevlinkDevice, DevlinkEvent, DevlinkPort, EswitchInfo } from '../devlink/types';
import { Args, nextDevHandle, UsageError } from './args';
import { planSummary, planTable } from './cmd-apply';
import { listSfs, sfTable } from './cmd-sf';
import { describeError } from './errors';
import { Printer } from './output';
import { printEvent } from './events';
import { printDev, printEswitch, printPort } from './print';
import type { Session } from './session';

const SFS = [
  { sfnum: 88, hwAddr: '00:00:00:00:88:88' },
  { sfnum: 89, hwAddr: '00:00:00:00:89:89' },
  { sfnum: 90, hwAddr: '00:00:00:00:90:90' },
];

/** examples/sfs.yaml, used when the file is not beside the package (an npm install). */
const BUILTIN_STATE = `devices:
  pci/0000:06:00.0:
    pfnum: 0
    subfunctions:
      - sfnum: 88
        hw_addr: "00:00:00:00:88:88"
      - sfnum: 89
        hw_addr: "00:00:00:00:89:89"
        state: inactive
      - sfnum: 91
        hw_addr: "00:00:00:00:91:91"
`;

const EXAMPLE = path.resolve(__dirname, '..', '..', '..', 'examples', 'sfs.yaml');

const PAST = { create: 'created', change: 'changed', delete: 'deleted', unchanged: 'unchanged' } as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One monitor event in iproute2's text form. */
function formatEvent(ev: DevlinkEvent): string | undefined {
  const p = new Printer({ json: false, pretty: false });
  return printEvent(p, ev) ? p.take() : undefined;
}

class Narrator {
  private step = 0;
  constructor(private readonly s: Session) {}
  title(t: string): void {
    this.s.out(`\n== ${++this.step}. ${t}\n`);
  }
  say(t: string): void {
    this.s.out(`${t}\n`);
  }
  /** The command a user would type for this step. */
  cmd(t: string): void {
    this.s.out(`$ devlink-sf${this.s.simulated ? ' --sim' : ''} ${t}\n`);
  }
}

function parseArgs(a: Args): { dev?: string; yes: boolean } {
  let dev: string | undefined;
  let yes = false;
  while (!a.empty) {
    if (a.peek() === '--yes' || a.match('yes')) {
      a.next();
      yes = true;
    } else if (dev === undefined && (a.peek() ?? '').includes('/')) {
      dev = nextDevHandle(a);
    } else {
      throw new UsageError(`Unknown option "${a.peek()}"`);
    }
  }
  return dev !== undefined ? { dev, yes } : { yes };
}

async function devicePfnum(dl: Devlink, dev: string): Promise<number> {
  const ports = await dl.ports({ dev });
  return ports.find((p) => (p.flavour === 'physical' || p.flavour === 'pcipf') && p.pfnum !== undefined && p.external !== true)?.pfnum ?? 0;
}

async function desiredState(dev: string): Promise<{ text: string; from: string }> {
  let text = BUILTIN_STATE;
  let from = 'built-in copy of examples/sfs.yaml';
  try {
    text = await fs.readFile(EXAMPLE, 'utf8');
    from = path.relative(process.cwd(), EXAMPLE) || EXAMPLE;
  } catch {
    // not beside the package: the built-in copy
  }
  // the example names the simulator's first PF; the demo's device may be another
  return { text: dev === 'pci/0000:06:00.0' ? text : text.replace(/pci\/0000:06:00\.0/g, dev), from };
}

/** What the acts share: the session, the device, what was seen and done. */
interface Demo {
  readonly s: Session;
  readonly dl: Devlink;
  readonly n: Narrator;
  readonly p: Printer;
  readonly dev: string;
  readonly root: string;
  readonly yes: boolean;
  readonly stats: { events: Map<string, number>; created: number; destroyed: number };
}

/** Act 1: the devices and the eswitch mode of the one the demo uses. */
async function showDevices(d: Demo, devices: readonly DevlinkDevice[]): Promise<EswitchInfo> {
  const { n, s, p, dl, dev } = d;
  n.title('The devlink devices');
  n.cmd('dev show');
  for (const x of devices) printDev(p, x);
  s.out(p.take());
  n.cmd(`dev eswitch show ${dev}`);
  const esw = await dl.eswitch(dev);
  printEswitch(p, esw);
  s.out(p.take());
  return esw;
}

/** Act 2: switchdev (only with --yes on a real device). True when the demo switched it. */
async function switchdev(d: Demo, esw: EswitchInfo): Promise<boolean> {
  const { n, s, p, dl, dev } = d;
  n.title(`Switch ${dev} to switchdev mode (SFs exist only there)`);
  if (esw.mode === 'switchdev') {
    n.say(`${dev} is already in switchdev mode.`);
    return false;
  }
  if (!s.simulated && !d.yes) {
    throw new UsageError(`demo: ${dev} is in ${String(esw.mode)} mode. Switching a real device to switchdev removes its VFs' ` +
      'netdevs and changes its traffic; rerun with --yes to allow it, or use --sim.');
  }
  n.cmd(`dev eswitch set ${dev} mode switchdev`);
  await dl.setEswitch(dev, { mode: 'switchdev' });
  printEswitch(p, await dl.eswitch(dev));
  s.out(p.take());
  return true;
}

/** Act 3: a monitor printing events as they arrive, until stop() (which waits for it to end). */
async function startMonitor(d: Demo): Promise<{ stop(): Promise<void> }> {
  d.n.title('A monitor prints devlink events as the kernel sends them');
  d.n.cmd('monitor');
  const mon = new AbortController();
  const events = d.dl.monitor({ signal: mon.signal });
  await events.ready;
  const watching = (async () => {
    for await (const ev of events) {
      d.stats.events.set(ev.type, (d.stats.events.get(ev.type) ?? 0) + 1);
      const text = formatEvent(ev);
      if (text) d.s.out(text);
    }
  })();
  return {
    stop: async () => {
      mon.abort();
      await watching.catch(() => undefined);
    },
  };
}

/** Act 4: SFS created at once, each activated and waited for. */
async function createSfs(d: Demo, pfnum: number): Promise<void> {
  const { n, dl, dev } = d;
  n.title(`Create ${SFS.length} sub-functions at once: add the port, set the MAC, activate, wait until attached`);
  for (const sf of SFS) n.cmd(`sf create ${dev} pfnum ${pfnum} sfnum ${sf.sfnum} hw_addr ${sf.hwAddr}`);
  const results = await Promise.all(SFS.map(async (sf) => {
    const t0 = Date.now();
    const r = await dl.createSubfunction({ dev, pfnum, sfnum: sf.sfnum, hwAddr: sf.hwAddr, sysfsRoot: d.root });
    return { r, ms: Date.now() - t0 };
  }));
  d.stats.created += results.length;
  await sleep(10);
  for (const { r, ms } of results) {
    n.say(`sfnum ${r.port.sfnum}: ${r.port.handle} ${String(r.port.function?.opstate)} after ${ms} ms` +
      ` (auxiliary device ${r.auxDevice ?? '-'}, netdev ${r.netdev ?? '-'}, RDMA ${r.rdmaDevice ?? '-'})`);
  }
}

/** Act 5: the SFs as sf list shows them, then their ports as port show does. */
async function showSfs(d: Demo): Promise<void> {
  const { n, s, p, dl, dev } = d;
  n.title('The SFs, with what the kernel made of them');
  n.cmd(`sf list ${dev}`);
  s.out(sfTable(await listSfs(dl, d.root, dev)));
  n.title('The ports, as iproute2 prints them');
  n.cmd(`port show ${dev}`);
  for (const port of await dl.ports({ dev })) printPort(p, port);
  s.out(p.take());
}

/** Act 6: a desired state applied twice (the second run changes nothing). Returns its SF numbers. */
async function applyState(d: Demo): Promise<number[]> {
  const { n, s, dl, dev } = d;
  const prune = s.simulated || d.yes;
  const { text, from } = await desiredState(dev);
  n.title(`Apply a desired state (${from})`);
  s.out(text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).map((l) => `    ${l}\n`).join(''));
  const desired = parseDesiredState(parseYaml(text));
  for (const round of [1, 2]) {
    n.cmd(`apply ${from.startsWith('built-in') ? 'sfs.yaml' : from}${prune ? ' --prune' : ''}`);
    const plan = await planApply(dl, desired, { prune });
    s.out(planTable(plan));
    s.out(planSummary(plan));
    const todo = plan.filter((i) => i.action !== 'unchanged');
    if (todo.length === 0) {
      n.say(round === 2 ? 'Nothing to do: applying the same state again changes nothing.' : 'Nothing to do.');
      continue;
    }
    const result = await runPlan(dl, todo, {
      sysfsRoot: d.root,
      onProgress: (done, total, item, error) => {
        const what = error === undefined ? PAST[item.action] : `failed to ${item.action}`;
        s.out(`apply: ${done}/${total} ${what} sfnum ${item.sfnum}\n`);
      },
    });
    d.stats.created += result.created;
    d.stats.destroyed += result.deleted;
    for (const f of result.failed) s.err(describeError(f.error) ?? `${String(f.error)}\n`);
    await sleep(10);
    n.say(`Applied: ${result.created} created, ${result.changed} changed, ${result.deleted} deleted, ${result.failed.length} failed.`);
    if (result.failed.length > 0) throw new UsageError('demo: the desired state could not be applied');
  }
  return Object.values(desired.devices).flatMap((x) => x.subfunctions.map((sf) => sf.sfnum));
}

/** Act 7: every SF of the demo destroyed (all of them on the simulator), the eswitch mode put back. */
async function tearDown(d: Demo, ours: ReadonlySet<number>, switched: boolean): Promise<void> {
  const { n, s, dl, dev } = d;
  n.title('Tear down: deactivate, wait until detached, delete');
  const sfPorts = (await dl.ports({ dev })).filter((x: DevlinkPort) => x.flavour === 'pcisf' && (s.simulated || ours.has(x.sfnum ?? -1)));
  for (const x of sfPorts) n.cmd(`sf destroy ${x.handle}`);
  const gone = await Promise.all(sfPorts.map((x) => dl.destroySubfunction(x.handle, { sysfsRoot: d.root })));
  d.stats.destroyed += gone.filter(Boolean).length;
  if (switched) {
    n.cmd(`dev eswitch set ${dev} mode legacy`);
    await dl.setEswitch(dev, { mode: 'legacy' });
  }
}

/** Act 8: what was done and seen, and whether anything is left. */
async function summary(d: Demo, ours: ReadonlySet<number>, started: number): Promise<void> {
  const { n, dl, dev, stats } = d;
  n.title('Summary');
  const seen = [...stats.events.entries()].map(([k, v]) => `${v} ${k.replace('-', ' ')}`).join(', ');
  n.say(`${stats.created} sub-functions created and ${stats.destroyed} destroyed on ${dev} in ${((Date.now() - started) / 1000).toFixed(1)} s;`);
  n.say(`the monitor saw ${seen || 'no events'}.`);
  const left = (await dl.ports({ dev })).filter((x) => x.flavour === 'pcisf' && ours.has(x.sfnum ?? -1));
  n.say(left.length === 0 ? 'Nothing is left behind.' : `${left.length} SF(s) are left: ${left.map((x) => x.handle).join(', ')}`);
}

export async function demoCmd(s: Session, a: Args): Promise<void> {
  if (s.json) throw new UsageError('demo tells a story in text: it has no JSON output');
  const args = parseArgs(a);
  const started = Date.now();
  const dl = await s.devlink();
  const devices = await dl.devices();
  const pcis = devices.filter((x) => x.bus === 'pci');
  if (pcis.length === 0 && args.dev === undefined) {
    throw new UsageError(`demo: no PCI devlink device here${s.simulated ? '' : '; run it on the simulator: devlink-sf demo --sim'}`);
  }
  const d: Demo = {
    s, dl, n: new Narrator(s), p: new Printer({ json: false, pretty: false }), dev: args.dev ?? pcis[0].handle,
    root: await s.sysfsRoot(), yes: args.yes, stats: { events: new Map(), created: 0, destroyed: 0 },
  };
  const switched = await switchdev(d, await showDevices(d, devices));
  const monitor = await startMonitor(d);
  await createSfs(d, await devicePfnum(dl, d.dev));
  await showSfs(d);
  const ours = new Set([...SFS.map((x) => x.sfnum), ...(await applyState(d))]);
  await tearDown(d, ours, switched);
  await sleep(50);
  await monitor.stop();
  await summary(d, ours, started);
}
