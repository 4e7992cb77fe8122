/**
 * Sub-functions as one call: add the port, configure its function, activate it, wait
 * until the SF driver has attached, and find its auxiliary device, devlink instance,
 * netdev and RDMA device. What a daemon can rely on:
 *
 * - After any failure the SubfunctionError says what is left (`outcome`: none,
 *   rolled-back, left with `port`), decided by looking the port up. A request whose
 *   answer did not come (a timeout, an abort, the close) may still have taken effect:
 *   a look-up sent after it on the same socket sees its effect, and a port this call
 *   created is deleted again with a short deadline of its own.
 * - Calls for the same SF (device, controller, pfnum, sfnum) on one Devlink run one
 *   after another; calls for different SFs run in parallel. Across Devlinks and
 *   processes, ensure converges: an EEXIST while creating, or a port that vanished under
 *   it, is answered by reading the SF again.
 * - close() of the Devlink lets lifecycle calls in progress end their clean-up (their
 *   requests are abandoned, the port they created is deleted again), then closes.
 * - Driver-neutral: the driver's own rules come back as the kernel's answer (ice refuses
 *   a MAC change while attached with EBUSY, mlx5 allows it; both converge: deactivate,
 *   set, activate again). SFs of an external controller (a BlueField's host) get no
 *   local auxiliary device: only opstate attached is waited for.
 *
 * Waiting is driven by notifications (events.ts); where the kernel sends none (the
 * opstate change on 6.1) a bounded poll with backoff re-reads the port, and what it
 * reads reaches the port watches of the Devlink too.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys } from '../attrs/options';
import { AbortError, ClosedError, KernelError, TimeoutError } from '../genl/errors';
import { EBUSY_ERRNO, EEXIST_ERRNO, ENODEV_ERRNO } from '../genl/errno';
import { Cmd, FnCap } from './constants';
import { decodeMessage, portFrom } from './decode';
import type { Devlink } from './devlink';
import { DevlinkError, LifecycleStep, NotFoundError, SubfunctionError, SubfunctionOutcome } from './errors';
import type { DevlinkEvents } from './events';
import { checkUint, formatMac, parseDevHandle, parseMac, parsePortHandle } from './handle';
import { checkSignal } from './monitor';
import { addPortAttrs, portAttrs, portFunctionAttrs } from './requests';
import { findSfDevices, SfDevices } from './sysfs';
import type { DevlinkPort, PortFunctionCaps, PortFunctionSettings } from './types';
import { EventHub, sfEvents, Watch } from './watch';

export { SubfunctionError } from './errors';
export type { LifecycleStep, SubfunctionOutcome } from './errors';

/** The SF a lifecycle call creates or converges: its PF, numbers and function settings. */
export interface SubfunctionSpec {
  /** The PF's devlink handle: 'pci/0000:06:00.0'. */
  readonly dev: string;
  /** The PF number the SF belongs to (the PF port's pfnum). */
  readonly pfnum: number;
  /** The SF number; createSubfunction may leave it out where the driver picks one (ice). */
  readonly sfnum: number;
  /** 0 (default): this host. Another: an external controller (a BlueField's host), no local device. */
  readonly controller?: number;
  /** The function's MAC address, '00:00:00:00:88:88'. */
  readonly hwAddr?: string;
  /** Capabilities to set before activation (roce, migratable, ipsecCrypto, ipsecPacket). */
  readonly caps?: PortFunctionCaps;
  /** The function's max_io_eqs (newer kernels). */
  readonly maxIoEqs?: number;
  /** Activate the function (default true). */
  readonly activate?: boolean;
  /** Wait until the SF driver has attached (default when activating), or not at all. */
  readonly wait?: 'attached' | 'none';
}

/** How a lifecycle call runs: its deadline, its abort signal, where sysfs is. */
export interface LifecycleOptions {
  /** Bound on the whole operation (default 60 s; 0: none). */
  readonly timeoutMs?: number;
  /** Aborts the call; it then cleans up and rejects with a SubfunctionError (ECANCELED) saying what it left. */
  readonly signal?: AbortSignal;
  /** Where sysfs is: '/sys' (default), or what the transport says (the simulator's tree). */
  readonly sysfsRoot?: string;
}

/** An SF named by its PF and numbers rather than its port handle (destroy, find). */
export type SfTarget = Pick<SubfunctionSpec, 'dev' | 'pfnum' | 'sfnum' | 'controller'>;

/**
 * A created or converged SF: its port as the kernel reports it after the call, and (when
 * attached on this host) its auxiliary device, devlink instance, netdev and RDMA device.
 */
export interface Subfunction extends Partial<SfDevices> {
  /** The SF's port, read after the last step. */
  readonly port: DevlinkPort;
}

const CAPS = Object.keys(FnCap) as (keyof typeof FnCap)[];
const SPEC_KEYS = ['dev', 'pfnum', 'sfnum', 'controller', 'hwAddr', 'caps', 'maxIoEqs', 'activate', 'wait'] as const;
const OPTION_KEYS = ['timeoutMs', 'signal', 'sysfsRoot'] as const;

const DEFAULT_TIMEOUT_MS = 60_000;
/** The look-up and clean-up after a failure: a deadline of their own. */
const CLEANUP_MS = 10_000;
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 250;
/** The last look at a state waited for, after the deadline. */
const LAST_LOOK_MS = 1_000;
/** setTimeout's largest delay. */
const MAX_TIMEOUT_MS = 0x7fffffff;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type CallOpts = { timeoutMs: number; signal?: AbortSignal };

/** A deadline and an abort signal shared by every step of one call. */
class Budget {
  private readonly deadline: number;
  constructor(readonly what: string, readonly timeoutMs: number, readonly signal: AbortSignal) {
    this.deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  }
  remaining(): number {
    return this.deadline - Date.now();
  }
  check(): void {
    if (this.signal.aborted) throw this.abortError();
    if (this.remaining() <= 0) throw new TimeoutError(this.what, this.timeoutMs);
  }
  abortError(): Error {
    const r: unknown = this.signal.reason;
    return r instanceof ClosedError ? r : new AbortError(this.what, r);
  }
  /** Options for one request within the budget. */
  call(): { timeoutMs: number; signal: AbortSignal } {
    this.check();
    return { timeoutMs: Math.max(1, Math.min(MAX_TIMEOUT_MS, this.remaining())), signal: this.signal };
  }
  /** At most `ms`, and never past the deadline. */
  slice(ms: number): number {
    return Math.max(1, Math.min(ms, this.remaining()));
  }
  /** Wait for `p` within the budget. */
  wait(p: Promise<void>): Promise<void> {
    this.check();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(this.abortError());
      };
      const timer = this.deadline === Infinity ? undefined : setTimeout(() => {
        done();
        reject(new TimeoutError(this.what, this.timeoutMs));
      }, Math.min(MAX_TIMEOUT_MS, Math.max(1, this.remaining())));
      this.signal.addEventListener('abort', onAbort, { once: true });
      p.then(() => {
        done();
        resolve();
      });
    });
  }
}

function sfName(s: { dev: string; pfnum: number; sfnum?: number; controller?: number }): string {
  return `${s.dev}${s.controller ? ` controller ${s.controller}` : ''} pfnum ${s.pfnum}${s.sfnum !== undefined ? ` sfnum ${s.sfnum}` : ''}`;
}

function isErrno(e: unknown, errno: number): boolean {
  return e instanceof KernelError && e.errno === errno;
}

function checkLifecycleOptions(o: LifecycleOptions): void {
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || !Number.isFinite(o.timeoutMs) || o.timeoutMs < 0 || o.timeoutMs > MAX_TIMEOUT_MS)) {
    throw new ValidationError('timeoutMs', `expected milliseconds from 0 (no bound) to ${MAX_TIMEOUT_MS}, got ${typeof o.timeoutMs === 'string' ? JSON.stringify(o.timeoutMs) : String(o.timeoutMs)}`);
  }
  checkSignal(o.signal);
  if (o.sysfsRoot !== undefined && (typeof o.sysfsRoot !== 'string' || o.sysfsRoot === '')) throw new ValidationError('sysfsRoot', 'expected a directory path');
}

/** Everything checked before anything is sent; returns the function settings the spec asks for. */
function validateSpec(spec: SubfunctionSpec & LifecycleOptions, sfnumRequired: boolean): PortFunctionSettings {
  if (spec === undefined) throw new ValidationError('spec', 'expected { dev, pfnum, sfnum, ... }');
  checkKeys(spec, 'spec', [...SPEC_KEYS, ...OPTION_KEYS]);
  checkLifecycleOptions(spec);
  const h = parseDevHandle(spec.dev, 'dev');
  if (sfnumRequired && spec.sfnum === undefined) throw new ValidationError('sfnum', 'the SF is found by its sfnum: give one');
  addPortAttrs(h, {
    flavour: 'pcisf', pfnum: spec.pfnum, ...(spec.sfnum !== undefined ? { sfnum: spec.sfnum } : {}), ...(spec.controller !== undefined ? { controller: spec.controller } : {}),
  });
  if (spec.wait !== undefined && spec.wait !== 'attached' && spec.wait !== 'none') throw new ValidationError('wait', 'expected "attached" or "none"');
  if (spec.activate !== undefined && typeof spec.activate !== 'boolean') throw new ValidationError('activate', 'expected true or false');
  const fn: Mutable<PortFunctionSettings> = {};
  if (spec.hwAddr !== undefined) fn.hwAddr = formatMac(parseMac(spec.hwAddr, 'hwAddr'));
  for (const [k, v] of Object.entries(checkKeys(spec.caps, 'caps', CAPS))) {
    if (typeof v !== 'boolean') throw new ValidationError(`caps.${k}`, 'expected true or false');
    fn[k as keyof PortFunctionCaps] = v;
  }
  if (spec.maxIoEqs !== undefined) fn.maxIoEqs = checkUint(spec.maxIoEqs, 'maxIoEqs', 32);
  if (Object.keys(fn).length > 0) portFunctionAttrs({ bus: h.bus, dev: h.dev, index: 0 }, fn);
  return fn;
}

/** Calls for one key run one after another. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, budget: Budget, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev ? prev.then(() => mine) : mine;
    this.tails.set(key, tail);
    try {
      if (prev) await budget.wait(prev);
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** What one call has done so far, for deciding its outcome when it fails. */
interface CallState {
  step: LifecycleStep;
  /** The port this call created. */
  created?: DevlinkPort;
  /** The SF's port when it existed before this call. */
  existing?: DevlinkPort;
  /** An add whose answer did not come: it may have taken effect. */
  addUncertain: boolean;
  /** For an add without sfnum: the SF ports there were before it. */
  before?: Set<string>;
}

/** The lifecycle calls of one Devlink. */
export class SubfunctionManager {
  private readonly hub: EventHub;
  private readonly queue = new KeyedQueue();
  private closed = false;
  /** Calls in progress: their own abort controllers, and their ends. */
  private readonly inflight = new Set<{ readonly ctl: AbortController; readonly done: Promise<unknown> }>();

  constructor(private readonly dl: Devlink, private readonly events: DevlinkEvents) {
    this.hub = new EventHub(events);
  }

  /**
   * The Devlink is closing: calls in progress abandon their requests and clean up (with
   * their own short deadline, on the still open connection); resolves once all ended.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    const calls = [...this.inflight];
    for (const c of calls) c.ctl.abort(new ClosedError('devlink sub-function'));
    await Promise.allSettled(calls.map((c) => c.done));
  }

  private key(s: SfTarget): string {
    return `${s.dev}|${s.controller ?? 0}|${s.pfnum}|${s.sfnum ?? '*'}`;
  }

  /** Run one call: serialized per SF, bounded by its budget, ended by close(). */
  private run<T>(what: string, target: SfTarget, o: LifecycleOptions, fn: (budget: Budget) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError(what));
    // the call's own signal: the caller's, or close()
    const ctl = new AbortController();
    const onUser = (): void => ctl.abort(o.signal?.reason);
    if (o.signal?.aborted) ctl.abort(o.signal.reason);
    else o.signal?.addEventListener('abort', onUser, { once: true });
    const budget = new Budget(what, o.timeoutMs ?? DEFAULT_TIMEOUT_MS, ctl.signal);
    const p = this.queue.run(this.key(target), budget, () => fn(budget)).finally(() => {
      o.signal?.removeEventListener('abort', onUser);
      this.inflight.delete(entry);
    });
    const entry = { ctl, done: p };
    this.inflight.add(entry);
    return p;
  }

  /** A watch on the events of one SF: its port (once known) and the auxiliary devices. */
  private watch(dev: string, index: () => number | undefined): Promise<Watch> {
    const h = parseDevHandle(dev);
    return Watch.open(this.hub, sfEvents(h.bus, h.dev)(index));
  }

  private root(o: LifecycleOptions): string {
    return o.sysfsRoot ?? this.dl.genl.connection.transport.sysfsRoot ?? '/sys';
  }

  // -- reading ---------------------------------------------------------------------------

  /** One port, read so that port watches see what was read (opstate has no notification on 6.1). */
  private async readPort(handle: string, opts: CallOpts): Promise<DevlinkPort> {
    const replies = await this.dl.request(Cmd.PORT_GET, portAttrs(parsePortHandle(handle)), { ...opts, onReply: this.events.observe });
    if (replies.length === 0) throw new DevlinkError({ errno: 5, seq: 0, op: `devlink port-get ${handle}` }, `devlink port-get ${handle}: the kernel answered with no port`);
    return portFrom(decodeMessage(replies[0]));
  }

  /** The pcisf port of `t` on its device, if there is one. */
  async find(t: SfTarget, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DevlinkPort | undefined> {
    const ports = await this.dl.ports({ dev: t.dev, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    return ports.find((p) => p.flavour === 'pcisf' && p.pfnum === t.pfnum && p.sfnum === t.sfnum && (p.controller ?? 0) === (t.controller ?? 0));
  }

  /** Public findSubfunction: checked input, and an unknown device is an error (not "no SF"). */
  async findChecked(t: SfTarget & LifecycleOptions): Promise<DevlinkPort | undefined> {
    checkKeys(t, 'target', [...SPEC_KEYS, ...OPTION_KEYS]);
    checkLifecycleOptions(t);
    parseDevHandle(t.dev, 'dev');
    const found = await this.find(t, t);
    if (found === undefined) await this.dl.device(t.dev, t.timeoutMs !== undefined || t.signal ? { ...(t.timeoutMs !== undefined ? { timeoutMs: t.timeoutMs } : {}), ...(t.signal ? { signal: t.signal } : {}) } : {});
    return found;
  }

  /** The SF ports of the device: for an add without sfnum, what was there before. */
  private async sfHandles(spec: SubfunctionSpec, budget: Budget): Promise<Set<string>> {
    const ports = await this.dl.ports({ dev: spec.dev, ...budget.call() });
    return new Set(ports.filter((p) => p.flavour === 'pcisf').map((p) => p.handle));
  }

  // -- create ------------------------------------------------------------------------------

  create(spec: SubfunctionSpec & LifecycleOptions): Promise<Subfunction> {
    const fn = validateSpec(spec, false);
    const name = sfName(spec);
    return this.run(`createSubfunction ${name}`, spec, spec, async (budget) => {
      const st: CallState = { step: 'add-port', addUncertain: false };
      let watch: Watch | undefined;
      try {
        watch = await this.watch(spec.dev, () => st.created?.index);
        if (spec.sfnum === undefined) st.before = await this.sfHandles(spec, budget);
        const added = (await this.add(spec, budget, watch, st, false)) as DevlinkPort;
        return await this.converge(added, spec, fn, budget, watch, st, this.root(spec));
      } catch (e) {
        throw await this.failure(name, spec, st, e);
      } finally {
        watch?.close();
      }
    });
  }

  /**
   * Add the port. EEXIST (or ice's EBUSY) while the SF is absent from the device: the
   * sfnum is still being freed, try again within the budget. While it is there: 'exists'.
   */
  private async add(spec: SubfunctionSpec, budget: Budget, watch: Watch, st: CallState, converge: boolean): Promise<DevlinkPort | 'exists'> {
    st.step = 'add-port';
    let delay = POLL_MIN_MS;
    for (;;) {
      const opts = budget.call();
      try {
        st.addUncertain = true;
        const port = await this.dl.addPort(spec.dev, {
          flavour: 'pcisf', pfnum: spec.pfnum, ...(spec.sfnum !== undefined ? { sfnum: spec.sfnum } : {}), ...(spec.controller !== undefined ? { controller: spec.controller } : {}),
        }, opts);
        st.created = port;
        st.addUncertain = false;
        return port;
      } catch (e) {
        if (e instanceof KernelError) st.addUncertain = false;
        if (spec.sfnum === undefined || !(isErrno(e, EEXIST_ERRNO) || isErrno(e, EBUSY_ERRNO))) throw e;
        const there = await this.find(spec, budget.call());
        if (there) {
          st.existing = there;
          if (!converge) throw e;
          return 'exists';
        }
        if (budget.remaining() <= delay) throw e;
        await watch.next(delay, budget.signal);
        delay = Math.min(delay * 2, POLL_MAX_MS);
      }
    }
  }

  // -- ensure ------------------------------------------------------------------------------

  ensure(spec: SubfunctionSpec & LifecycleOptions): Promise<Subfunction & { changed: boolean }> {
    const fn = validateSpec(spec, true);
    const name = sfName(spec);
    return this.run(`ensureSubfunction ${name}`, spec, spec, async (budget) => {
      const st: CallState = { step: 'find', addUncertain: false };
      let watch: Watch | undefined;
      try {
        watch = await this.watch(spec.dev, () => (st.created ?? st.existing)?.index);
        for (;;) {
          st.step = 'find';
          let port = await this.find(spec, budget.call());
          let created = false;
          if (port === undefined) {
            const added = await this.add(spec, budget, watch, st, true);
            if (added === 'exists') continue; // another caller made it: converge that one
            port = added;
            created = true;
          } else {
            st.existing = port;
          }
          try {
            const sf = await this.converge(port, spec, fn, budget, watch, st, this.root(spec));
            return { ...sf, changed: created || sf.changed === true };
          } catch (e) {
            // the port went away under us (another caller deleted it): start again
            if (!isErrno(e, ENODEV_ERRNO)) throw e;
            st.created = undefined;
            st.existing = undefined;
            budget.check();
          }
        }
      } catch (e) {
        throw await this.failure(name, spec, st, e);
      } finally {
        watch?.close();
      }
    });
  }

  /**
   * Bring an SF's function to the spec: deactivate where the spec or the driver needs it,
   * configure, activate, wait until attached. `changed` says whether anything was set.
   */
  private async converge(
    port: DevlinkPort, spec: SubfunctionSpec, fn: PortFunctionSettings, budget: Budget, watch: Watch, st: CallState, root: string,
  ): Promise<Subfunction & { changed?: boolean }> {
    const f = port.function ?? {};
    const wantActive = spec.activate !== false;
    let active = f.state === 'active';
    let changed = false;
    const deactivate = async (): Promise<void> => {
      st.step = 'deactivate';
      await this.dl.setPortFunction(port.handle, { state: 'inactive' }, budget.call());
      active = false;
      changed = true;
      st.step = 'wait-detached';
      await this.waitOpstate(port.handle, 'detached', budget, watch);
    };
    if (active && !wantActive) await deactivate();
    const diff = differences(f, fn);
    if (Object.keys(diff).length > 0) {
      st.step = 'configure';
      try {
        await this.dl.setPortFunction(port.handle, diff, budget.call());
      } catch (e) {
        // a driver that changes these only while the function is detached (ice's MAC, firmware's caps)
        if (!(isErrno(e, EBUSY_ERRNO) && active)) throw e;
        await deactivate();
        st.step = 'configure';
        await this.dl.setPortFunction(port.handle, diff, budget.call());
      }
      changed = true;
    }
    if (wantActive && !active) {
      st.step = 'activate';
      await this.activate(port.handle, budget, watch);
      changed = true;
    }
    if (wantActive && (spec.wait ?? 'attached') === 'attached') {
      st.step = 'wait-attached';
      return { ...(await this.waitAttached(port, spec, budget, watch, root)), changed };
    }
    return { port: await this.readPort(port.handle, budget.call()), changed };
  }

  /** Activating while a deactivated SF is still attached answers EBUSY (mlx5): wait for detached, then again. */
  private async activate(handle: string, budget: Budget, watch: Watch): Promise<void> {
    for (;;) {
      try {
        await this.dl.setPortFunction(handle, { state: 'active' }, budget.call());
        return;
      } catch (e) {
        if (!isErrno(e, EBUSY_ERRNO)) throw e;
        const cur = await this.readPort(handle, budget.call());
        if (cur.function?.opstate !== 'attached') throw e;
        await this.waitOpstate(handle, 'detached', budget, watch);
      }
    }
  }

  private waitOpstate(handle: string, want: 'attached' | 'detached', budget: Budget, watch: Watch): Promise<DevlinkPort> {
    let last: DevlinkPort | undefined;
    return this.pollUntil(budget, watch, async (o) => {
      last = await this.readPort(handle, o);
      return last.function?.opstate === want ? last : undefined;
    }, () => `${handle} is still ${last?.function?.opstate ?? 'unknown'} (waited for ${want})`);
  }

  /**
   * Until the function's opstate is attached and, for the local controller, its auxiliary
   * device is in sysfs. An SF of an external controller attaches on that host: nothing
   * appears here to correlate.
   */
  private async waitAttached(port: DevlinkPort, spec: SubfunctionSpec, budget: Budget, watch: Watch, root: string): Promise<Subfunction> {
    const local = (spec.controller ?? 0) === 0;
    const pci = port.bus === 'pci' ? port.dev : undefined;
    const sfnum = port.sfnum ?? spec.sfnum;
    let attached = false;
    return this.pollUntil(budget, watch, async (o) => {
      const cur = await this.readPort(port.handle, o);
      attached = cur.function?.opstate === 'attached';
      if (!attached) return undefined;
      if (!local) return { port: cur };
      const devs = await findSfDevices(root, sfnum, pci);
      return devs !== undefined ? { port: cur, ...devs } : undefined;
    }, () => attached
      ? new NotFoundError(`${port.handle} is attached (opstate attached), but no auxiliary device with sfnum ${sfnum}${pci ? ` of ${pci}` : ''} was found under ${root}/bus/auxiliary/devices (is sysfsRoot right?)`)
      : `${port.handle} is still detached`);
  }

  /**
   * Run `probe` until it answers, waking at each notification the watch lets through or
   * after a growing delay (the poll where the kernel sends nothing), within the budget.
   * When time runs out, one last look (with a short deadline of its own), then the error
   * says what was last seen rather than that a request went unanswered.
   */
  private async pollUntil<T>(budget: Budget, watch: Watch, probe: (o: CallOpts) => Promise<T | undefined>, seen: () => string | Error): Promise<T> {
    let delay = POLL_MIN_MS;
    for (;;) {
      const expired = budget.remaining() <= 0;
      const found = await probe(expired ? { timeoutMs: LAST_LOOK_MS, signal: budget.signal } : budget.call());
      if (found !== undefined) return found;
      if (budget.signal.aborted) throw budget.abortError();
      if (expired) {
        const s = seen();
        throw s instanceof Error ? s : new TimeoutError(budget.what, budget.timeoutMs, `${budget.what}: ${s} after ${budget.timeoutMs} ms`);
      }
      await watch.next(budget.slice(delay), budget.signal);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }

  // -- destroy -----------------------------------------------------------------------------

  /**
   * Deactivate (waiting until detached) and delete. Resolves true when this call deleted
   * it, false when there was no such SF on the device. A device that does not exist is
   * an error.
   */
  destroy(target: string | SfTarget, o: LifecycleOptions = {}): Promise<boolean> {
    let t: SfTarget | undefined;
    let handle: string | undefined;
    if (typeof target === 'string') {
      const h = parsePortHandle(target, 'port');
      handle = `${h.bus}/${h.dev}/${h.index}`;
    } else {
      // a whole spec may be given: only its identity is used
      checkKeys(target, 'target', SPEC_KEYS);
      parseDevHandle(target.dev, 'dev');
      addPortAttrs(parseDevHandle(target.dev), { flavour: 'pcisf', pfnum: target.pfnum, sfnum: target.sfnum, ...(target.controller !== undefined ? { controller: target.controller } : {}) });
      t = target;
    }
    checkKeys(o, 'options', OPTION_KEYS);
    checkLifecycleOptions(o);
    const name = handle ?? sfName(t!);
    const dev = handle ? handle.split('/').slice(0, 2).join('/') : t!.dev;
    // a handle names no sfnum: its calls queue on the handle itself
    const key: SfTarget = t ?? { dev: handle!, pfnum: -1, sfnum: -1 };
    return this.run(`destroySubfunction ${name}`, key, o, async (budget) => {
      let step: LifecycleStep = 'find';
      let port: DevlinkPort | undefined;
      let watch: Watch | undefined;
      try {
        watch = await this.watch(dev, () => port?.index);
        port = handle ? await this.readPortOrGone(handle, budget) : await this.find(t!, budget.call());
        if (port === undefined) {
          // nothing to delete, if the device is there at all
          await this.dl.device(dev, budget.call());
          return false;
        }
        const h = port.handle;
        if (port.function?.state === 'active') {
          step = 'deactivate';
          await this.dl.setPortFunction(h, { state: 'inactive' }, budget.call());
          step = 'wait-detached';
          await this.waitOpstate(h, 'detached', budget, watch);
        }
        step = 'delete-port';
        await this.dl.deletePort(h, budget.call());
        return true;
      } catch (e) {
        // the port went away under us: someone else deleted it
        if (port !== undefined && isErrno(e, ENODEV_ERRNO)) return false;
        const cause = this.closed && !(e instanceof KernelError) ? new ClosedError(budget.what) : e;
        if (port === undefined) throw new SubfunctionError(step, name, cause, 'none', undefined, 'devlink destroySubfunction');
        // did the delete take effect after all? look
        const still = await this.readPortOrGone(port.handle, undefined).catch(() => port);
        if (still === undefined) return true;
        throw new SubfunctionError(step, name, cause, 'left', port.handle, 'devlink destroySubfunction');
      } finally {
        watch?.close();
      }
    });
  }

  /** The port, or undefined when the kernel says it does not exist (ENODEV). */
  private async readPortOrGone(handle: string, budget: Budget | undefined): Promise<DevlinkPort | undefined> {
    try {
      return await this.readPort(handle, budget ? budget.call() : { timeoutMs: CLEANUP_MS });
    } catch (e) {
      if (isErrno(e, ENODEV_ERRNO)) return undefined;
      throw e;
    }
  }

  // -- failure -------------------------------------------------------------------------

  /**
   * The error of a failed create or ensure, with what it left: a port it created is
   * deleted again; an add whose answer did not come is looked up first. The look-up and
   * the delete have a deadline of their own and ignore the caller's signal (which may be
   * what ended the call).
   */
  private async failure(name: string, spec: SubfunctionSpec, st: CallState, e: unknown): Promise<SubfunctionError> {
    const op = 'devlink sub-function';
    const cause = this.closed && !(e instanceof KernelError) ? new ClosedError(`${name}: the Devlink was closed`) : e;
    const fail = (outcome: SubfunctionOutcome, port?: string): SubfunctionError => new SubfunctionError(st.step, name, cause, outcome, port, op);
    let port = st.created;
    if (port === undefined && st.addUncertain) {
      try {
        port = await this.lookupAdded(spec, st);
      } catch {
        return fail('left');
      }
    }
    if (port === undefined) return fail('none', st.existing?.handle);
    try {
      await this.dl.deletePort(port.handle, { timeoutMs: CLEANUP_MS });
      return fail('rolled-back');
    } catch (d) {
      if (isErrno(d, ENODEV_ERRNO)) return fail('rolled-back');
      return fail('left', port.handle);
    }
  }

  /** After an add whose answer did not come: the port it made, if it made one. */
  private async lookupAdded(spec: SubfunctionSpec, st: CallState): Promise<DevlinkPort | undefined> {
    if (spec.sfnum !== undefined) return this.find(spec, { timeoutMs: CLEANUP_MS });
    const ports = await this.dl.ports({ dev: spec.dev, timeoutMs: CLEANUP_MS });
    return ports.find((p) => p.flavour === 'pcisf' && p.pfnum === spec.pfnum && (p.controller ?? 0) === (spec.controller ?? 0) && !st.before?.has(p.handle));
  }
}

/** The function settings that differ from the port's. */
function differences(f: NonNullable<DevlinkPort['function']>, want: PortFunctionSettings): PortFunctionSettings {
  const diff: Mutable<PortFunctionSettings> = {};
  if (want.hwAddr !== undefined && f.hwAddr !== want.hwAddr) diff.hwAddr = want.hwAddr;
  for (const k of CAPS) if (want[k] !== undefined && f.caps?.[k] !== want[k]) diff[k] = want[k];
  if (want.maxIoEqs !== undefined && f.maxIoEqs !== want.maxIoEqs) diff.maxIoEqs = want.maxIoEqs;
  return diff;
}
