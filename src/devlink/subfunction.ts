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
 *   requests are abandoned, the port they created is deleted again), then closes. New
 *   calls are refused from the call of close() on; the clean-up goes through a view of
 *   the Devlink that is not (Devlink.lifecycleView).
 * - Driver-neutral: the driver's own rules come back as the kernel's answer (ice refuses
 *   a MAC change while attached with EBUSY, mlx5 allows it; both converge: deactivate,
 *   set, activate again). SFs of an external controller (a BlueField's host) get no
 *   local auxiliary device: only opstate attached is waited for.
 *
 * Waiting is driven by notifications (events.ts); where the kernel sends none (the
 * opstate change on 6.1) a bounded poll with backoff re-reads the port, and what it
 * reads reaches the port watches of the Devlink too.
 */
import { checkKeys, defined } from '../attrs/options';
import { AbortError, ClosedError, KernelError } from '../genl/errors';
import { EBUSY_ERRNO, EEXIST_ERRNO, ENODEV_ERRNO } from '../genl/errno';
import type { Devlink } from './devlink';
import { LifecycleStep, SubfunctionError } from './errors';
import type { DevlinkEvents } from './events';
import { addPortAttrs } from './requests';
import { parseDevHandle, parsePortHandle } from './handle';
import { Budget, KeyedQueue } from './lifecycle-budget';
import { configureInstance } from './lifecycle-instance';
import { CallState, destroyFailure, failureOf } from './lifecycle-outcome';
import {
  addPortOf, checkLifecycleOptions, checkTarget, differences, isErrno, LifecycleOptions, OPTION_KEYS, SfTarget, sfName, Subfunction,
  SubfunctionSpec, validateSpec,
} from './lifecycle-spec';
import { findSf, POLL_MAX_MS, POLL_MIN_MS, SfReader } from './lifecycle-wait';
import type { DevlinkPort, PortFunctionSettings } from './types';
import { EventHub, sfEvents, Watch } from './watch';

export { SubfunctionError } from './errors';
export type { LifecycleStep, SubfunctionOutcome } from './errors';
export type { LifecycleOptions, SfTarget, Subfunction, SubfunctionNetns, SubfunctionSpec } from './lifecycle-spec';

const DEFAULT_TIMEOUT_MS = 60_000;

/** The lifecycle calls of one Devlink. */
export class SubfunctionManager {
  private readonly hub: EventHub;
  private readonly reader: SfReader;
  private readonly queue = new KeyedQueue();
  private closed = false;
  /** Calls in progress: their own abort controllers, and their ends. */
  private readonly inflight = new Set<{ readonly ctl: AbortController; readonly done: Promise<unknown> }>();

  constructor(
    /** The Devlink itself: what a caller's findSubfunction reads through (refused once close() is called). */
    private readonly pub: Devlink,
    /** The Devlink the lifecycle calls go through: the same, but not refused while close() waits for their clean-up. */
    private readonly dl: Devlink,
    events: DevlinkEvents,
  ) {
    this.hub = new EventHub(events);
    this.reader = new SfReader(dl, events);
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
  private run<T>(what: string, name: string, target: SfTarget, o: LifecycleOptions, fn: (budget: Budget) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError(what));
    // aborted already: nothing is sent, nothing looked at
    if (o.signal?.aborted) return Promise.reject(this.queued(name, new AbortError(what, o.signal.reason)));
    // the call's own signal: the caller's, or close()
    const ctl = new AbortController();
    const onUser = (): void => ctl.abort(o.signal?.reason);
    o.signal?.addEventListener('abort', onUser, { once: true });
    const budget = new Budget(what, o.timeoutMs ?? DEFAULT_TIMEOUT_MS, ctl.signal);
    const p = this.queue.run(this.key(target), budget, () => fn(budget), (e) => this.queued(name, e)).finally(() => {
      o.signal?.removeEventListener('abort', onUser);
      this.inflight.delete(entry);
    });
    const entry = { ctl, done: p };
    this.inflight.add(entry);
    return p;
  }

  /**
   * The error of a call that ended before its turn (aborted, timed out or closed while the
   * call ahead of it for the same SF ran, or aborted already): it did nothing.
   */
  private queued(name: string, e: unknown): SubfunctionError {
    const cause = this.closed && e instanceof ClosedError ? new ClosedError(`${name}: the Devlink was closed`) : e;
    return new SubfunctionError('queue', name, cause, 'none', undefined, 'devlink sub-function');
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

  /** The pcisf port of `t` on its device, if there is one. */
  find(t: SfTarget, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DevlinkPort | undefined> {
    return this.reader.find(t, o);
  }

  /** Public findSubfunction: checked input, and an unknown device is an error (not "no SF"). */
  async findChecked(t: SfTarget & LifecycleOptions): Promise<DevlinkPort | undefined> {
    // the SF's identity, or the whole spec it was made with, checked as destroySubfunction checks it; the call options too
    checkTarget(t, 'findSubfunction');
    checkLifecycleOptions(t);
    parseDevHandle(t.dev, 'dev');
    const call = defined({ timeoutMs: t.timeoutMs, signal: t.signal });
    const found = await findSf(this.pub, t, call);
    if (found === undefined) await this.pub.device(t.dev, call);
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
    return this.run(`createSubfunction ${name}`, name, spec, spec, async (budget) => {
      const st: CallState = { step: 'add-port', addUncertain: false };
      let watch: Watch | undefined;
      try {
        watch = await this.watch(spec.dev, () => st.created?.index);
        if (spec.sfnum === undefined) st.before = await this.sfHandles(spec, budget);
        const added = (await this.add(spec, budget, watch, st, false)) as DevlinkPort;
        return await this.converge(added, spec, fn, budget, watch, st, this.root(spec));
      } catch (e) {
        throw await failureOf(this.dl, this.reader, this.closed, name, spec, st, e);
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
        const port = await this.dl.addPort(spec.dev, addPortOf(spec), opts);
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
    return this.run(`ensureSubfunction ${name}`, name, spec, spec, async (budget) => {
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
        throw await failureOf(this.dl, this.reader, this.closed, name, spec, st, e);
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
      await this.reader.waitOpstate(port.handle, 'detached', budget, watch);
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
      const sf = await this.reader.waitAttached(port, spec, budget, watch, root);
      if (spec.params === undefined && spec.netns === undefined) return { ...sf, changed };
      // the SF's own instance: params and namespace, one reload
      const again = (): Promise<Subfunction> => {
        st.step = 'wait-attached';
        return this.reader.waitAttached(port, spec, budget, watch, root);
      };
      const inst = await configureInstance(this.dl, this.reader, sf, spec, budget, watch, st, root, again);
      return { ...inst.sf, changed: changed || inst.changed };
    }
    return { port: await this.reader.readPort(port.handle, budget.call()), changed };
  }

  /** Activating while a deactivated SF is still attached answers EBUSY (mlx5): wait for detached, then again. */
  private async activate(handle: string, budget: Budget, watch: Watch): Promise<void> {
    for (;;) {
      try {
        await this.dl.setPortFunction(handle, { state: 'active' }, budget.call());
        return;
      } catch (e) {
        if (!isErrno(e, EBUSY_ERRNO)) throw e;
        const cur = await this.reader.readPort(handle, budget.call());
        if (cur.function?.opstate !== 'attached') throw e;
        await this.reader.waitOpstate(handle, 'detached', budget, watch);
      }
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
      checkTarget(target);
      parseDevHandle(target.dev, 'dev');
      addPortAttrs(parseDevHandle(target.dev), addPortOf(target));
      t = target;
    }
    checkKeys(o, 'options', OPTION_KEYS);
    checkLifecycleOptions(o);
    const name = handle ?? sfName(t!);
    const dev = handle ? handle.split('/').slice(0, 2).join('/') : t!.dev;
    // a handle names no sfnum: its calls queue on the handle itself
    const key: SfTarget = t ?? { dev: handle!, pfnum: -1, sfnum: -1 };
    return this.run(`destroySubfunction ${name}`, name, key, o, async (budget) => {
      let step: LifecycleStep = 'find';
      let port: DevlinkPort | undefined;
      let watch: Watch | undefined;
      try {
        watch = await this.watch(dev, () => port?.index);
        port = handle ? await this.reader.readPortOrGone(handle, budget) : await this.find(t!, budget.call());
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
          await this.reader.waitOpstate(h, 'detached', budget, watch);
        }
        step = 'delete-port';
        await this.dl.deletePort(h, budget.call());
        return true;
      } catch (e) {
        const r = await destroyFailure(this.reader, this.closed, step, name, budget.what, e, { port, handle, target: t });
        if (typeof r === 'boolean') return r;
        throw r;
      } finally {
        watch?.close();
      }
    });
  }
}
