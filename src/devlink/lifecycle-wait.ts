/**
 * What the lifecycle reads and waits for: an SF's port (read so that port watches see
 * it), the port of an SF found by its numbers, a function's opstate, and the devices an
 * attached SF has on this host (its auxiliary device, devlink instance, netdev, RDMA
 * device), correlated through the nested handle newer kernels give and through sysfs.
 *
 * Waiting is driven by notifications (events.ts); where the kernel sends none (the
 * opstate change on 6.1) a bounded poll with backoff re-reads the port, and what it
 * reads reaches the port watches of the Devlink too.
 */
import { defined } from '../attrs/options';
import { ProtocolError, TimeoutError } from '../genl/errors';
import { ENODEV_ERRNO } from '../genl/errno';
import { Cmd } from './constants';
import { decodeMessage, portFrom } from './decode';
import type { Devlink } from './devlink';
import { NotFoundError } from './errors';
import type { DevlinkEvents } from './events';
import { parsePortHandle } from './handle';
import { portAttrs } from './requests';
import type { Budget } from './lifecycle-budget';
import { CallOpts, isErrno, SfTarget, Subfunction, SubfunctionSpec } from './lifecycle-spec';
import { findSfDevices, SfDevices } from './sysfs';
import type { DevlinkPort } from './types';
import type { Watch } from './watch';

export const POLL_MIN_MS = 5;
export const POLL_MAX_MS = 250;
/** The look-up and clean-up after a failure: a deadline of their own. */
export const CLEANUP_MS = 10_000;
/** The last look at a state waited for, after the deadline. */
const LAST_LOOK_MS = 1_000;

/**
 * Run `probe` until it answers, waking at each notification the watch lets through or
 * after a growing delay (the poll where the kernel sends nothing), within the budget.
 * When time runs out, one last look (with a short deadline of its own), then the error
 * says what was last seen rather than that a request went unanswered.
 */
export async function pollUntil<T>(
  budget: Budget, watch: Pick<Watch, 'next'>, probe: (o: CallOpts) => Promise<T | undefined>, seen: () => string | Error,
): Promise<T> {
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

/** The pcisf port of `t` on its device, if there is one, read through `dl`. */
export async function findSf(dl: Devlink, t: SfTarget, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DevlinkPort | undefined> {
  const ports = await dl.ports({ dev: t.dev, ...defined({ timeoutMs: o.timeoutMs, signal: o.signal }) });
  return ports.find((p) => p.flavour === 'pcisf' && p.pfnum === t.pfnum && p.sfnum === t.sfnum && (p.controller ?? 0) === (t.controller ?? 0));
}

/** Reading ports and waiting on them, for one Devlink's lifecycle calls. */
export class SfReader {
  constructor(private readonly dl: Devlink, private readonly events: DevlinkEvents) {}

  /** One port, read so that port watches see what was read (opstate has no notification on 6.1). */
  async readPort(handle: string, opts: CallOpts): Promise<DevlinkPort> {
    const replies = await this.dl.request(Cmd.PORT_GET, portAttrs(parsePortHandle(handle)), { ...opts, onReply: this.events.observe });
    if (replies.length === 0) throw new ProtocolError(`devlink port-get ${handle}: the kernel answered with no port`);
    return portFrom(decodeMessage(replies[0]));
  }

  /** The port, or undefined when the kernel says it does not exist (ENODEV). */
  async readPortOrGone(handle: string, budget: Budget | undefined): Promise<DevlinkPort | undefined> {
    try {
      return await this.readPort(handle, budget ? budget.call() : { timeoutMs: CLEANUP_MS });
    } catch (e) {
      if (isErrno(e, ENODEV_ERRNO)) return undefined;
      throw e;
    }
  }

  /** The pcisf port of `t` on its device, if there is one. */
  find(t: SfTarget, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DevlinkPort | undefined> {
    return findSf(this.dl, t, o);
  }

  waitOpstate(handle: string, want: 'attached' | 'detached', budget: Budget, watch: Watch): Promise<DevlinkPort> {
    let last: DevlinkPort | undefined;
    return pollUntil(budget, watch, async (o) => {
      last = await this.readPort(handle, o);
      return last.function?.opstate === want ? last : undefined;
    }, () => `${handle} is still ${last?.function?.opstate ?? 'unknown'} (waited for ${want})`);
  }

  /**
   * Until the function's opstate is attached and, for the local controller, its auxiliary
   * device is in sysfs. An SF of an external controller attaches on that host: nothing
   * appears here to correlate.
   */
  waitAttached(port: DevlinkPort, spec: SubfunctionSpec, budget: Budget, watch: Watch, root: string): Promise<Subfunction> {
    const local = (spec.controller ?? 0) === 0;
    const pci = port.bus === 'pci' ? port.dev : undefined;
    const sfnum = port.sfnum ?? spec.sfnum;
    let attached = false;
    return pollUntil(budget, watch, async (o) => {
      const cur = await this.readPort(port.handle, o);
      attached = cur.function?.opstate === 'attached';
      if (!attached) return undefined;
      if (!local) return { port: cur };
      const nested = cur.function?.devlink;
      if (nested !== undefined) return this.viaNested(cur, nested, findSfDevices(root, sfnum, pci), o);
      const devs = await findSfDevices(root, sfnum, pci);
      return devs !== undefined ? { port: cur, ...devs } : undefined;
    }, () => attached
      ? new NotFoundError(`${port.handle} is attached (opstate attached), but no auxiliary device with sfnum ${sfnum}${pci ? ` of ${pci}` : ''} `
        + `was found under ${root}/bus/auxiliary/devices (is sysfsRoot right?)`)
      : `${port.handle} is still detached`);
  }

  /**
   * Newer kernels (6.7+) name the SF's own devlink instance in its port function: the
   * auxiliary device is that, whatever the driver calls it and whether or not sysfs has an
   * `sfnum` file for it (ice has none). The netdev is the instance's port's, else what
   * sysfs shows (the RDMA device only sysfs shows). An mlx5 SF probed "light" (6.8+) has no
   * netdev until enable_eth is set and the instance reloaded: it is returned without one.
   */
  private async viaNested(cur: DevlinkPort, nested: string, sys: Promise<SfDevices | undefined>, o: CallOpts): Promise<Subfunction> {
    const [, aux = nested] = nested.split('/');
    const fromSysfs = await sys;
    const ports = await this.dl.ports({ dev: nested, ...o }).catch(() => []);
    const netdev = ports.find((p) => p.netdev !== undefined)?.netdev ?? fromSysfs?.netdev;
    return {
      port: cur, auxDevice: aux, devlink: nested,
      ...(netdev !== undefined ? { netdev } : {}), ...(fromSysfs?.rdmaDevice !== undefined ? { rdmaDevice: fromSysfs.rdmaDevice } : {}),
    };
  }
}
