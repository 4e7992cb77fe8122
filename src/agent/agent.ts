/**
 * The node agent: keeps sub-functions as a desired-state file declares them.
 *
 * It converges once at start, then keeps the state with events, not polling: every change
 * the port watch (watchPorts) sees that moves a declared SF away from its desired state,
 * and every change of the file (config.ts), triggers a reconcile of the SFs concerned
 * only. A reconcile first compares the watch's view with the desired state (no request to
 * the kernel when they agree), and otherwise calls ensureSubfunction (or, with `prune`,
 * destroySubfunction for an undeclared SF of a declared device). A failed SF backs off
 * (exponential, capped, jittered) while the others go on; a device that disappears and
 * comes back is picked up again when its ports reappear.
 *
 * stop() (SIGTERM) starts nothing new and lets reconciles in progress finish (each is a
 * lifecycle call that completes or rolls back within its own time), so nothing is left
 * half-made.
 */
import type { Logger } from 'pino';
import { ValidationError } from '../attrs/errors';
import { checkKeys, defined } from '../attrs/options';
import { checkTimeoutMs } from '../genl/call-options';
import { DesiredState, devicePfnum } from '../devlink/apply';
import { FN_CAP_NAMES } from '../devlink/constants';
import { Devlink, DevlinkOptions } from '../devlink/devlink';
import type { PortWatch } from '../devlink/port-watch';
import type { SubfunctionSpec } from '../devlink/subfunction';
import type { DevlinkPort } from '../devlink/types';
import { Backoff, BACKOFF_KEYS, BackoffOptions } from './backoff';
import { ConfigWatch, loadDesiredState } from './config';
import { agentLogger, AgentLogger } from './log';
import { AgentMetrics, serveMetrics } from './metrics';

/** What Agent.start takes: the file, and how to run. */
export interface AgentOptions {
  /** The desired-state file (devlink-sf apply's format, YAML or JSON). */
  readonly config: string;
  /** Run on this Devlink (the caller closes it); otherwise the agent opens one with `open`. */
  readonly devlink?: Devlink;
  /** How the agent opens its own Devlink when none is given (namespace, family, socket). */
  readonly open?: DevlinkOptions;
  /** Delete SFs of the declared devices that the file does not declare (default false). */
  readonly prune?: boolean;
  /** SFs reconciled at once (default 8). */
  readonly concurrency?: number;
  /** Bound on one SF's reconcile (default 60 s). */
  readonly timeoutMs?: number;
  /** Where sysfs is (default: what the transport says, else /sys). */
  readonly sysfsRoot?: string;
  /** Retry delays of a failing SF (default 500 ms doubling to 60 s, ±20 %). */
  readonly backoff?: BackoffOptions;
  /** Serve /metrics and /healthz here (opt-in; keep it on a local address). */
  readonly metrics?: {
    /** The address to listen on (default 127.0.0.1). */
    readonly host?: string;
    /** The TCP port (0: any free one; `metricsUrl` tells which). */
    readonly port: number;
  };
  /** Where the log goes (default: JSON lines on stdout, human lines on a terminal). */
  readonly logger?: AgentLogger;
  /** Watch the file for changes (default true). */
  readonly watchConfig?: boolean;
}

export const AGENT_KEYS = [
  'config', 'devlink', 'open', 'prune', 'concurrency', 'timeoutMs', 'sysfsRoot', 'backoff', 'metrics', 'logger', 'watchConfig',
] as const;

/** One declared or pruned SF's bookkeeping. */
interface SfState {
  failures: number;
  lastError?: string;
  timer?: NodeJS.Timeout;
  running: boolean;
  queued: boolean;
  /** Asked again while running: run once more after. */
  again: boolean;
}

/** What the agent keeps, counted from its view of the ports. */
export interface AgentStats {
  /** SFs the file declares (on devices whose PF number is known). */
  readonly desired: number;
  /** Declared SFs whose port exists. */
  readonly present: number;
  /** Declared SFs in their desired state. */
  readonly converged: number;
  /** SFs whose last reconcile failed (waiting out a backoff). */
  readonly failing: number;
  /** Reconciles run (most compare and change nothing). */
  readonly reconciles: number;
  /** Reconciles that called the lifecycle (create, repair, prune). */
  readonly repairs: number;
}

const key = (dev: string, controller: number, pfnum: number, sfnum: number): string => `${dev}|${controller}|${pfnum}|${sfnum}`;
const sfKeyOf = (p: DevlinkPort): string => key(`${p.bus}/${p.dev}`, p.controller ?? 0, p.pfnum ?? 0, p.sfnum ?? 0);
const nameOf = (s: { dev: string; controller?: number; pfnum: number; sfnum: number }): string =>
  `${s.dev}${s.controller ? ` controller ${s.controller}` : ''} pfnum ${s.pfnum} sfnum ${s.sfnum}`;

/** Where a port differs from a spec (empty: converged). */
export function drift(p: DevlinkPort | undefined, s: SubfunctionSpec): string[] {
  if (p === undefined) return ['missing'];
  const f = p.function ?? {};
  const out: string[] = [];
  const active = s.activate !== false;
  if (s.hwAddr !== undefined && f.hwAddr !== s.hwAddr) out.push(`hw_addr ${f.hwAddr ?? '-'}`);
  for (const k of FN_CAP_NAMES) if (s.caps?.[k] !== undefined && f.caps?.[k] !== s.caps[k]) out.push(`${k} ${String(f.caps?.[k] ?? '-')}`);
  if (s.maxIoEqs !== undefined && f.maxIoEqs !== s.maxIoEqs) out.push(`max_io_eqs ${f.maxIoEqs ?? '-'}`);
  if ((f.state === 'active') !== active) out.push(`state ${String(f.state ?? '-')}`);
  else if (active && (s.wait ?? 'attached') === 'attached' && f.opstate !== 'attached') out.push(`opstate ${String(f.opstate ?? '-')}`);
  return out;
}

export class Agent {
  private desiredState: DesiredState;
  /** Declared SFs by key, with their specs (for devices whose pfnum is known). */
  private desired = new Map<string, SubfunctionSpec>();
  private readonly states = new Map<string, SfState>();
  private readonly queue: string[] = [];
  private running = 0;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private configWatch: ConfigWatch | undefined;
  private server: import('node:http').Server | undefined;
  private consumer: Promise<void> | undefined;
  private counts = { reconciles: 0, repairs: 0 };
  private lastConfigError: string | undefined;
  /** index()'s cache; dropped at every change the watch yields. */
  private byKey: Map<string, DevlinkPort> | undefined;
  /** The agent's Prometheus metrics (its own registry). */
  readonly metrics: AgentMetrics;
  /** Where the agent logs. */
  readonly log: AgentLogger;
  /** The metrics endpoint, when one was asked for. */
  metricsUrl: string | undefined;
  private readonly backoff: Backoff;
  private readonly concurrency: number;

  private constructor(
    private readonly o: AgentOptions,
    /** The Devlink the agent runs on. */
    readonly dl: Devlink,
    private readonly ownDevlink: boolean,
    private readonly watch: PortWatch,
    initial: DesiredState,
  ) {
    this.log = o.logger ?? agentLogger();
    this.backoff = new Backoff(o.backoff);
    this.concurrency = o.concurrency ?? 8;
    this.desiredState = initial;
    this.metrics = new AgentMetrics({
      desired: () => this.desired.size,
      present: () => this.stats().present,
      converged: () => this.stats().converged,
      resyncs: () => this.watch.stats.resyncs,
      lastErrors: () => [...this.states].filter(([, s]) => s.lastError !== undefined).map(([k, s]) => [k, s.lastError!] as [string, string]),
    });
  }

  /** Read the file, open the watch, converge everything once (in the background), keep watching. */
  static async start(o: AgentOptions): Promise<Agent> {
    checkAgentOptions(o);
    const { state, text } = await loadDesiredState(o.config);
    const dl = o.devlink ?? (await Devlink.open(o.open ?? {}));
    let watch: PortWatch;
    try {
      watch = await dl.watchPorts();
    } catch (e) {
      if (!o.devlink) await dl.close();
      throw e;
    }
    const a = new Agent(o, dl, !o.devlink, watch, state);
    a.setDesired(state);
    if (o.watchConfig !== false) {
      a.configWatch = new ConfigWatch(o.config, text, {
        changed: (s) => a.onConfig(s),
        invalid: (e) => a.onConfigInvalid(e),
      });
    }
    if (o.metrics) {
      const { server, url } = await serveMetrics(a.metrics, () => a.health(), o.metrics.host ?? '127.0.0.1', o.metrics.port);
      a.server = server;
      a.metricsUrl = url;
    }
    a.consumer = a.consume();
    a.log.info({ config: o.config, sfs: a.desired.size, prune: o.prune === true }, 'agent started');
    a.reconcileAll();
    return a;
  }

  // -- the desired state -------------------------------------------------------------

  /** Specs by key; a device whose pfnum is not given is asked its ports (the watch's view). */
  private setDesired(state: DesiredState): void {
    this.desiredState = state;
    const next = new Map<string, SubfunctionSpec>();
    const ports = this.watch.list();
    for (const [dev, d] of Object.entries(state.devices)) {
      const defaultPf = d.pfnum ?? devicePfnum(ports.filter((p) => `${p.bus}/${p.dev}` === dev));
      for (const sf of d.subfunctions) {
        const pfnum = sf.pfnum ?? defaultPf;
        if (pfnum === undefined) continue; // the device is not there yet: its ports' return brings it back
        const spec: SubfunctionSpec = {
          dev, pfnum, sfnum: sf.sfnum, ...(sf.controller !== undefined ? { controller: sf.controller } : {}),
          ...(sf.hwAddr !== undefined ? { hwAddr: sf.hwAddr } : {}), ...(sf.caps ? { caps: sf.caps } : {}),
          ...(sf.maxIoEqs !== undefined ? { maxIoEqs: sf.maxIoEqs } : {}), activate: sf.state !== 'inactive',
        };
        next.set(key(dev, sf.controller ?? 0, pfnum, sf.sfnum), spec);
      }
    }
    this.desired = next;
  }

  private onConfig(state: DesiredState): void {
    const before = new Map(this.desired);
    this.setDesired(state);
    this.lastConfigError = undefined;
    this.metrics.configReloads.inc({ result: 'applied' });
    const touched = new Set<string>();
    for (const [k, s] of this.desired) if (JSON.stringify(before.get(k)) !== JSON.stringify(s)) touched.add(k);
    for (const k of before.keys()) if (!this.desired.has(k)) touched.add(k);
    this.log.info({ config: this.o.config, sfs: this.desired.size, changed: touched.size }, 'desired state changed');
    // a changed declaration is a new start: its backoff is forgotten
    for (const k of touched) this.kick(k, true);
  }

  private onConfigInvalid(e: unknown): void {
    this.lastConfigError = e instanceof Error ? e.message : String(e);
    this.metrics.configReloads.inc({ result: 'invalid' });
    this.log.error({ config: this.o.config, err: this.lastConfigError }, 'desired state not valid: the last good one stays');
  }

  /** Read the file again now (what SIGHUP does). */
  reload(): Promise<void> {
    if (this.configWatch) return this.configWatch.reload();
    return loadDesiredState(this.o.config).then((r) => this.onConfig(r.state), (e: unknown) => this.onConfigInvalid(e));
  }

  // -- events --------------------------------------------------------------------------

  private async consume(): Promise<void> {
    try {
      for await (const ch of this.watch) this.onPort(ch.port, ch.type);
    } catch (e) {
      if (!this.stopping) this.log.error({ err: String(e) }, 'the port watch failed');
    }
  }

  private onPort(p: DevlinkPort, type: 'added' | 'updated' | 'removed'): void {
    this.byKey = undefined;
    const dev = `${p.bus}/${p.dev}`;
    const declared = this.desiredState.devices[dev];
    if (declared === undefined) return;
    if (p.flavour !== 'pcisf') {
      // a declared device's ports come back (a reload, a hot plug): everything of it is looked at
      if (type === 'added') {
        this.setDesired(this.desiredState);
        for (const k of this.desired.keys()) if (k.startsWith(`${dev}|`)) this.kick(k, true);
      }
      return;
    }
    const k = sfKeyOf(p);
    const spec = this.desired.get(k);
    if (spec !== undefined) {
      if (drift(this.watch.get(p.handle), spec).length > 0 || type === 'removed') this.kick(k);
    } else if (this.o.prune && type !== 'removed') {
      this.kick(k);
    }
  }

  // -- scheduling ----------------------------------------------------------------------

  private state(k: string): SfState {
    let s = this.states.get(k);
    if (s === undefined) {
      s = { failures: 0, running: false, queued: false, again: false };
      this.states.set(k, s);
    }
    return s;
  }

  /** Reconcile `k` soon; `fresh` forgets a backoff (a new declaration, a device back). */
  private kick(k: string, fresh = false): void {
    if (this.stopping) return;
    const s = this.state(k);
    if (fresh && s.timer) {
      clearTimeout(s.timer);
      s.timer = undefined;
      s.failures = 0;
    }
    if (s.running) {
      s.again = true;
      return;
    }
    if (s.queued || s.timer) return;
    s.queued = true;
    this.queue.push(k);
    this.pump();
  }

  /** Every declared SF (and, with prune, every undeclared SF of a declared device). */
  reconcileAll(): void {
    for (const k of this.desired.keys()) this.kick(k);
    if (this.o.prune) {
      for (const p of this.watch.list()) {
        if (p.flavour === 'pcisf' && this.desiredState.devices[`${p.bus}/${p.dev}`] !== undefined && !this.desired.has(sfKeyOf(p))) this.kick(sfKeyOf(p));
      }
    }
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0 && !this.stopping) {
      const k = this.queue.shift()!;
      const s = this.state(k);
      s.queued = false;
      s.running = true;
      this.running++;
      void this.reconcile(k).finally(() => {
        s.running = false;
        this.running--;
        if (s.again && !s.timer) {
          s.again = false;
          this.kick(k);
        }
        this.pump();
        if (this.running === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  /** Resolves once nothing is running or queued (SFs waiting out a backoff do not count). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** The SF ports of the watch's view by key, rebuilt after the view changed. */
  private index(): Map<string, DevlinkPort> {
    if (this.byKey === undefined) {
      this.byKey = new Map();
      for (const p of this.watch.list()) if (p.flavour === 'pcisf') this.byKey.set(sfKeyOf(p), p);
    }
    return this.byKey;
  }

  private async reconcile(k: string): Promise<void> {
    const s = this.state(k);
    const spec = this.desired.get(k);
    const port = this.index().get(k);
    const life = defined({ timeoutMs: this.o.timeoutMs, sysfsRoot: this.o.sysfsRoot });
    this.counts.reconciles++;
    try {
      if (spec !== undefined) {
        const why = drift(port, spec);
        if (why.length === 0) {
          this.metrics.reconciles.inc({ result: 'unchanged' });
        } else {
          const r = await this.dl.ensureSubfunction({ ...spec, ...life });
          this.counts.repairs++;
          this.metrics.reconciles.inc({ result: r.changed ? 'changed' : 'unchanged' });
          if (r.changed) this.log.info({ sf: nameOf(spec), port: r.port.handle, was: why.join(', ') }, port === undefined ? 'created' : 'repaired');
        }
      } else if (port !== undefined && this.o.prune && this.desiredState.devices[`${port.bus}/${port.dev}`] !== undefined) {
        const t = { dev: `${port.bus}/${port.dev}`, pfnum: port.pfnum ?? 0, sfnum: port.sfnum ?? 0, ...defined({ controller: port.controller || undefined }) };
        await this.dl.destroySubfunction(t, life);
        this.counts.repairs++;
        this.metrics.reconciles.inc({ result: 'changed' });
        this.log.info({ sf: nameOf(t), port: port.handle }, 'pruned');
      } else {
        this.states.delete(k);
        return;
      }
      if (s.failures > 0) this.log.info({ sf: k }, 'recovered');
      s.failures = 0;
      s.lastError = undefined;
    } catch (e) {
      s.failures++;
      s.lastError = e instanceof Error ? e.message : String(e);
      this.metrics.reconciles.inc({ result: 'error' });
      this.metrics.failures.inc();
      if (this.stopping) return;
      const delay = this.backoff.delay(s.failures);
      this.log.warn({ sf: spec ? nameOf(spec) : k, err: s.lastError, failures: s.failures, retryInMs: delay }, 'reconcile failed');
      s.timer = setTimeout(() => {
        s.timer = undefined;
        this.kick(k);
      }, delay);
      s.timer.unref?.();
    }
  }

  // -- reading -------------------------------------------------------------------------

  /** Counts of what the agent keeps, from the watch's view (no request is made). */
  stats(): AgentStats {
    const ports = this.index();
    let present = 0;
    let converged = 0;
    for (const [k, spec] of this.desired) {
      const p = ports.get(k);
      if (p) present++;
      if (drift(p, spec).length === 0) converged++;
    }
    let failing = 0;
    for (const s of this.states.values()) if (s.failures > 0) failing++;
    return { desired: this.desired.size, present, converged, failing, ...this.counts };
  }

  /** What /healthz says: ok, and why not (or what is wrong while it still works). */
  health(): {
    /** Whether it works (false while stopping). */
    ok: boolean;
    /** What is wrong, if anything. */
    why?: string;
  } {
    if (this.stopping) return { ok: false, why: 'stopping' };
    if (this.lastConfigError) return { ok: true, why: `desired state not valid (the last good one is kept): ${this.lastConfigError}` };
    return { ok: true };
  }

  /**
   * Stop: nothing new starts, reconciles in progress finish (or roll back), then the watch,
   * the file watch, the metrics endpoint and (if the agent opened it) the Devlink close.
   */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      this.stopping = true;
      this.queue.length = 0;
      for (const s of this.states.values()) {
        if (s.timer) clearTimeout(s.timer);
        s.timer = undefined;
        s.queued = false;
      }
      this.configWatch?.close();
      await this.idle();
      await this.watch.close();
      await this.consumer;
      if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
      if (this.ownDevlink) await this.dl.close();
      this.log.info({}, 'agent stopped');
      flushLogger(this.log);
    })());
  }
}

function flushLogger(l: AgentLogger): void {
  (l as Partial<Logger>).flush?.();
}

function checkAgentOptions(o: AgentOptions): void {
  if (o === null || typeof o !== 'object') throw new ValidationError('options', 'expected { config, ... }');
  checkKeys(o, 'options', AGENT_KEYS);
  if (typeof o.config !== 'string' || o.config === '') throw new ValidationError('config', 'expected the path of the desired-state file');
  const bad = (field: string, why: string): never => {
    throw new ValidationError(field, why);
  };
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < 1)) bad('concurrency', 'expected a positive integer');
  checkTimeoutMs(o.timeoutMs);
  if (o.prune !== undefined && typeof o.prune !== 'boolean') throw new ValidationError('prune', 'expected true or false');
  if (o.watchConfig !== undefined && typeof o.watchConfig !== 'boolean') throw new ValidationError('watchConfig', 'expected true or false');
  const b = checkKeys(o.backoff, 'backoff', BACKOFF_KEYS);
  for (const k of BACKOFF_KEYS) {
    const v = b[k];
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v) || (k === 'jitter' && v > 1))) {
      bad(`backoff.${k}`, k === 'jitter' ? 'expected 0..1' : 'expected milliseconds');
    }
  }
  if (o.metrics !== undefined) {
    const m = checkKeys(o.metrics, 'metrics', ['host', 'port']);
    if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535) throw new ValidationError('metrics.port', 'expected a TCP port (0: any free one)');
    if (m.host !== undefined && typeof m.host !== 'string') throw new ValidationError('metrics.host', 'expected an address');
  }
}
