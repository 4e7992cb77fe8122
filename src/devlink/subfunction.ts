/**
 * Sub-functions as one call: add the port, configure its function, activate it, wait
 * until the SF driver has attached, and find its auxiliary device, devlink instance,
 * netdev and RDMA device. A step that fails after the port exists rolls back (the port
 * is deleted), and the error names the step and carries the kernel's message.
 *
 * Waiting is driven by notifications (the SF's devlink instance appearing, port
 * notifications); where the kernel sends none (the opstate change on 6.1) a bounded
 * poll with backoff re-reads the port. An sfnum that this Devlink itself deleted a moment
 * ago may still be being freed (EEXIST): the add is retried within the caller's time.
 */
import { NetlinkError, ValidationError } from '../attrs/errors';
import { AbortError, TimeoutError } from '../genl/errors';
import { EEXIST_ERRNO, ENODEV_ERRNO } from '../genl/errno';
import type { Devlink } from './devlink';
import { DevlinkError } from './errors';
import { checkUint, formatMac, parseDevHandle, parseMac } from './handle';
import { addPortAttrs, portFunctionAttrs } from './requests';
import { findSfDevices, SfDevices } from './sysfs';
import type { DevlinkPort, PortFunctionCaps, PortFunctionSettings } from './types';
import { EventHub, sfEvents, Watch } from './watch';

export interface SubfunctionSpec {
  /** The PF's devlink handle: 'pci/0000:06:00.0'. */
  readonly dev: string;
  readonly pfnum: number;
  readonly sfnum: number;
  readonly controller?: number;
  readonly hwAddr?: string;
  readonly caps?: PortFunctionCaps;
  readonly maxIoEqs?: number;
  /** Activate the function (default true). */
  readonly activate?: boolean;
  /** Wait until the SF driver has attached (default when activating), or not at all. */
  readonly wait?: 'attached' | 'none';
}

export interface LifecycleOptions {
  /** Bound on the whole operation (default 60 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Where sysfs is: '/sys' (default), or the simulator's directory. */
  readonly sysfsRoot?: string;
}

export interface Subfunction extends Partial<SfDevices> {
  readonly port: DevlinkPort;
}

export type LifecycleStep = 'validate' | 'add-port' | 'configure' | 'activate' | 'deactivate' | 'wait-attached' | 'wait-detached' | 'delete-port' | 'find';

/** A lifecycle call failed at `step`; `cause` is the kernel's (or the timeout's) error. */
export class SubfunctionError extends NetlinkError {
  override name = 'SubfunctionError';
  constructor(
    readonly step: LifecycleStep,
    readonly sf: string,
    override readonly cause: unknown,
    /** The port was deleted again (true), was never created (false), or is left as it is (undefined: ensure/destroy). */
    readonly rolledBack: boolean | undefined,
  ) {
    super(`${sf}: step ${step} failed: ${cause instanceof Error ? cause.message : String(cause)}${rolledBack ? ' (the port was deleted again)' : ''}`, { cause });
  }

  /** The kernel's errno when the kernel refused the step. */
  get errno(): number | undefined {
    return this.cause instanceof DevlinkError ? this.cause.errno : undefined;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 250;
/** How long an sfnum deleted by this Devlink counts as "ours, still being freed". */
const RECENT_DELETE_MS = 120_000;

/** A deadline and an abort signal shared by every step of one call. */
class Budget {
  readonly deadline: number;
  constructor(readonly what: string, private readonly timeoutMs: number, readonly signal?: AbortSignal) {
    this.deadline = Date.now() + timeoutMs;
  }
  remaining(): number {
    return this.deadline - Date.now();
  }
  check(): void {
    if (this.signal?.aborted) throw new AbortError(this.what, this.signal.reason);
    if (this.remaining() <= 0) throw new TimeoutError(this.what, this.timeoutMs);
  }
  /** Options for one request within the budget. */
  call(): { timeoutMs: number; signal?: AbortSignal } {
    this.check();
    return this.signal ? { timeoutMs: Math.max(1, this.remaining()), signal: this.signal } : { timeoutMs: Math.max(1, this.remaining()) };
  }
}

function sfName(s: { dev: string; pfnum: number; sfnum: number }): string {
  return `${s.dev} pfnum ${s.pfnum} sfnum ${s.sfnum}`;
}

/** Everything checked before anything is sent. */
function validateSpec(spec: SubfunctionSpec): PortFunctionSettings {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('spec', 'expected { dev, pfnum, sfnum, ... }');
  const h = parseDevHandle(spec.dev, 'dev');
  addPortAttrs(h, { flavour: 'pcisf', pfnum: spec.pfnum, sfnum: spec.sfnum, ...(spec.controller !== undefined ? { controller: spec.controller } : {}) });
  if (spec.wait !== undefined && spec.wait !== 'attached' && spec.wait !== 'none') throw new ValidationError('wait', 'expected "attached" or "none"');
  if (spec.activate !== undefined && typeof spec.activate !== 'boolean') throw new ValidationError('activate', 'expected true or false');
  const fn: { -readonly [K in keyof PortFunctionSettings]: PortFunctionSettings[K] } = {};
  if (spec.hwAddr !== undefined) {
    parseMac(spec.hwAddr, 'hwAddr');
    fn.hwAddr = spec.hwAddr;
  }
  for (const [k, v] of Object.entries(spec.caps ?? {})) {
    if (!['roce', 'migratable', 'ipsecCrypto', 'ipsecPacket'].includes(k)) throw new ValidationError(`caps.${k}`, 'not a port function capability (roce, migratable, ipsecCrypto, ipsecPacket)');
    if (typeof v !== 'boolean') throw new ValidationError(`caps.${k}`, 'expected true or false');
    (fn as Record<string, boolean>)[k] = v;
  }
  if (spec.maxIoEqs !== undefined) fn.maxIoEqs = checkUint(spec.maxIoEqs, 'maxIoEqs', 32);
  if (Object.keys(fn).length > 0) portFunctionAttrs({ bus: h.bus, dev: h.dev, index: 0 }, fn);
  return fn;
}

/** The per-Devlink memory of SFs it deleted itself (for the EEXIST retry). */
export class SubfunctionManager {
  private readonly deleted = new Map<string, number>();
  private readonly hub: EventHub;

  constructor(private readonly dl: Devlink) {
    this.hub = new EventHub(dl);
  }

  /** A watch on the events of one SF: its port (once known) and the auxiliary devices. */
  private watch(dev: string, index: () => number | undefined): Promise<Watch> {
    const h = parseDevHandle(dev);
    return Watch.open(this.hub, sfEvents(h.bus, h.dev)(index));
  }

  private key(dev: string, pfnum: number, sfnum: number, controller = 0): string {
    return `${dev}|${controller}|${pfnum}|${sfnum}`;
  }

  private deletedRecently(k: string): boolean {
    const t = this.deleted.get(k);
    if (t === undefined) return false;
    if (Date.now() - t > RECENT_DELETE_MS) {
      this.deleted.delete(k);
      return false;
    }
    return true;
  }

  private noteDeleted(p: DevlinkPort): void {
    if (p.sfnum === undefined || p.pfnum === undefined) return;
    const now = Date.now();
    for (const [k, t] of this.deleted) if (now - t > RECENT_DELETE_MS) this.deleted.delete(k);
    this.deleted.set(this.key(`${p.bus}/${p.dev}`, p.pfnum, p.sfnum, p.controller ?? 0), now);
  }

  async create(spec: SubfunctionSpec, o: LifecycleOptions = {}): Promise<Subfunction> {
    const fn = validateSpec(spec);
    const name = sfName(spec);
    const budget = new Budget(`createSubfunction ${name}`, o.timeoutMs ?? DEFAULT_TIMEOUT_MS, o.signal);
    const activate = spec.activate !== false;
    const wait = spec.wait ?? (activate ? 'attached' : 'none');
    let port: DevlinkPort | undefined;
    const watch = await this.watch(spec.dev, () => port?.index);
    let step: LifecycleStep = 'add-port';
    try {
      port = await this.addWithRetry(spec, budget, watch);
      step = 'configure';
      if (Object.keys(fn).length > 0) await this.dl.setPortFunction(port.handle, fn, budget.call());
      if (activate) {
        step = 'activate';
        await this.dl.setPortFunction(port.handle, { state: 'active' }, budget.call());
      }
      if (activate && wait === 'attached') {
        step = 'wait-attached';
        return await this.waitAttached(port, spec, budget, watch, o.sysfsRoot ?? '/sys');
      }
      return { port: await this.dl.port(port.handle, budget.call()) };
    } catch (e) {
      let rolledBack = false;
      if (port !== undefined) rolledBack = await this.rollback(port);
      throw new SubfunctionError(step, name, e, rolledBack);
    } finally {
      watch.close();
    }
  }

  private async addWithRetry(spec: SubfunctionSpec, budget: Budget, watch: Watch): Promise<DevlinkPort> {
    const k = this.key(spec.dev, spec.pfnum, spec.sfnum, spec.controller ?? 0);
    let delay = POLL_MIN_MS;
    for (;;) {
      try {
        return await this.dl.addPort(spec.dev, {
          flavour: 'pcisf', pfnum: spec.pfnum, sfnum: spec.sfnum, ...(spec.controller !== undefined ? { controller: spec.controller } : {}),
        }, budget.call());
      } catch (e) {
        if (!(e instanceof DevlinkError && e.errno === EEXIST_ERRNO && this.deletedRecently(k))) throw e;
        // our own delete is still being freed: wait for a notification or the next poll, then retry
        if (budget.remaining() <= delay) throw e;
        await watch.next(delay, budget.signal);
        delay = Math.min(delay * 2, POLL_MAX_MS);
      }
    }
  }

  /** Until the function's opstate is attached and its auxiliary device is in sysfs. */
  private async waitAttached(port: DevlinkPort, spec: SubfunctionSpec, budget: Budget, watch: Watch, root: string): Promise<Subfunction> {
    const pci = port.bus === 'pci' ? port.dev : undefined;
    return this.pollUntil(budget, watch, async () => {
      const cur = await this.dl.port(port.handle, budget.call());
      if (cur.function?.opstate !== 'attached') return undefined;
      const devs = await findSfDevices(root, spec.sfnum, pci);
      return devs !== undefined ? { port: cur, ...devs } : undefined;
    });
  }

  /**
   * Run `probe` until it answers, waking at each notification the watch lets through or
   * after a growing delay (the poll where the kernel sends nothing), within the budget.
   */
  private async pollUntil<T>(budget: Budget, watch: Watch, probe: () => Promise<T | undefined>): Promise<T> {
    let delay = POLL_MIN_MS;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      budget.check();
      await watch.next(Math.min(delay, Math.max(1, budget.remaining())), budget.signal);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }


  /** Delete a port we created; never throws (the caller's error is what matters). */
  private async rollback(port: DevlinkPort): Promise<boolean> {
    try {
      await this.dl.deletePort(port.handle, { timeoutMs: 10_000 });
      this.noteDeleted(port);
      return true;
    } catch (e) {
      if (e instanceof DevlinkError && e.errno === ENODEV_ERRNO) return true;
      return false;
    }
  }

  /** The pcisf port of `spec` on its device, if there is one. */
  async find(spec: Pick<SubfunctionSpec, 'dev' | 'pfnum' | 'sfnum' | 'controller'>, o: LifecycleOptions = {}): Promise<DevlinkPort | undefined> {
    const ports = await this.dl.ports({ dev: spec.dev, ...(o.signal ? { signal: o.signal } : {}) });
    return ports.find((p) => p.flavour === 'pcisf' && p.pfnum === spec.pfnum && p.sfnum === spec.sfnum && (p.controller ?? 0) === (spec.controller ?? 0));
  }

  /** Idempotent: create the SF if it is missing, otherwise converge its function to the spec. */
  async ensure(spec: SubfunctionSpec, o: LifecycleOptions = {}): Promise<Subfunction & { changed: boolean }> {
    const fn = validateSpec(spec);
    const name = sfName(spec);
    const existing = await this.find(spec, o);
    if (!existing) return { ...(await this.create(spec, o)), changed: true };
    const budget = new Budget(`ensureSubfunction ${name}`, o.timeoutMs ?? DEFAULT_TIMEOUT_MS, o.signal);
    const watch = await this.watch(spec.dev, () => existing.index);
    let step: LifecycleStep = 'configure';
    let changed = false;
    try {
      const f = existing.function ?? {};
      const wantActive = spec.activate !== false;
      const isActive = f.state === 'active';
      const diff: { -readonly [K in keyof PortFunctionSettings]: PortFunctionSettings[K] } = {};
      if (fn.hwAddr !== undefined && f.hwAddr !== formatMac(parseMac(fn.hwAddr))) diff.hwAddr = fn.hwAddr;
      for (const k of ['roce', 'migratable', 'ipsecCrypto', 'ipsecPacket'] as const) {
        if (fn[k] !== undefined && f.caps?.[k] !== fn[k]) diff[k] = fn[k];
      }
      if (fn.maxIoEqs !== undefined && f.maxIoEqs !== fn.maxIoEqs) diff.maxIoEqs = fn.maxIoEqs;
      const capsChange = Object.keys(diff).some((k) => k !== 'hwAddr');
      if (isActive && (capsChange || !wantActive)) {
        // capabilities can only change while the function is inactive and detached
        step = 'deactivate';
        await this.dl.setPortFunction(existing.handle, { state: 'inactive' }, budget.call());
        changed = true;
        step = 'wait-detached';
        await this.waitOpstate(existing, 'detached', budget, watch);
      }
      if (Object.keys(diff).length > 0) {
        step = 'configure';
        await this.dl.setPortFunction(existing.handle, diff, budget.call());
        changed = true;
      }
      if (wantActive && (!isActive || capsChange)) {
        step = 'activate';
        await this.setActiveWhenDetached(existing, budget, watch);
        changed = true;
      }
      if (wantActive && (spec.wait ?? 'attached') === 'attached') {
        step = 'wait-attached';
        return { ...(await this.waitAttached(existing, spec, budget, watch, o.sysfsRoot ?? '/sys')), changed };
      }
      return { port: await this.dl.port(existing.handle, budget.call()), changed };
    } catch (e) {
      throw new SubfunctionError(step, name, e, undefined);
    } finally {
      watch.close();
    }
  }

  /** Activating while a deactivated SF is still attached answers EBUSY: wait for detached first. */
  private async setActiveWhenDetached(port: DevlinkPort, budget: Budget, watch: Watch): Promise<void> {
    const cur = await this.dl.port(port.handle, budget.call());
    if (cur.function?.state === 'inactive' && cur.function?.opstate === 'attached') await this.waitOpstate(port, 'detached', budget, watch);
    await this.dl.setPortFunction(port.handle, { state: 'active' }, budget.call());
  }

  private waitOpstate(port: DevlinkPort, want: 'attached' | 'detached', budget: Budget, watch: Watch): Promise<DevlinkPort> {
    return this.pollUntil(budget, watch, async () => {
      const cur = await this.dl.port(port.handle, budget.call());
      return cur.function?.opstate === want ? cur : undefined;
    });
  }


  /**
   * Deactivate (waiting until detached) and delete. Idempotent: a port or spec that no
   * longer exists resolves with false.
   */
  async destroy(target: string | Pick<SubfunctionSpec, 'dev' | 'pfnum' | 'sfnum' | 'controller'>, o: LifecycleOptions = {}): Promise<boolean> {
    const name = typeof target === 'string' ? target : sfName(target);
    const budget = new Budget(`destroySubfunction ${name}`, o.timeoutMs ?? DEFAULT_TIMEOUT_MS, o.signal);
    let step: LifecycleStep = 'find';
    let port: DevlinkPort | undefined;
    const dev = typeof target === 'string' ? target.split('/').slice(0, 2).join('/') : target.dev;
    const watch = await this.watch(dev, () => port?.index);
    try {
      if (typeof target === 'string') {
        try {
          port = await this.dl.port(target, budget.call());
        } catch (e) {
          if (e instanceof DevlinkError && e.errno === ENODEV_ERRNO) return false;
          throw e;
        }
      } else {
        port = await this.find(target, o);
      }
      if (!port) return false;
      if (port.function?.state === 'active') {
        step = 'deactivate';
        await this.dl.setPortFunction(port.handle, { state: 'inactive' }, budget.call());
        step = 'wait-detached';
        await this.waitOpstate(port, 'detached', budget, watch);
      }
      step = 'delete-port';
      try {
        await this.dl.deletePort(port.handle, budget.call());
      } catch (e) {
        if (e instanceof DevlinkError && e.errno === ENODEV_ERRNO) return false;
        throw e;
      }
      this.noteDeleted(port);
      return true;
    } catch (e) {
      throw new SubfunctionError(step, name, e, undefined);
    } finally {
      watch.close();
    }
  }
}
