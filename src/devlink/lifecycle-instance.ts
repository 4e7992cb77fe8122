/**
 * The SF's own devlink instance, once attached: its driverinit parameters and the network
 * namespace it is to be in, applied by ONE reload with action driver_reinit. The core
 * changes the namespace between the driver's reload_down and reload_up and the driver
 * reads its driverinit values in reload_up (6.1: devlink_reload; 6.2+ also loads the new
 * driverinit values there), so parameters and namespace take effect together; newer
 * cores refuse a namespace change with any other action ("Changing namespace is only
 * supported for reinit action"). What the driver re-creates in reload_up is created in
 * the new namespace: mlx5's netdev, and its RDMA device when RDMA is in exclusive mode.
 *
 * Then the instance and its netdev are looked up in that namespace, through a second
 * connection opened there (a socket in the namespace, or the simulator's endpoint for
 * it). The SF's port stays in the PF's instance, in this namespace.
 */
import { KernelError } from '../genl/errors';
import { ENODEV_ERRNO } from '../genl/errno';
import type { Devlink } from './devlink';
import { NotFoundError } from './errors';
import type { Budget } from './lifecycle-budget';
import type { CallState } from './lifecycle-outcome';
import { isErrno, netnsPath, Subfunction, SubfunctionSpec } from './lifecycle-spec';
import { pollUntil, SfReader } from './lifecycle-wait';
import { netnsChoice } from './reload';
import { findSfDevices } from './sysfs';
import type { ParamValue } from './types';
import type { Watch } from './watch';

/** A Devlink of the same family in the namespace at `path`: on the transport's own kind of connection when it has one. */
async function openIn(dl: Devlink, path: string, budget: Budget): Promise<Devlink> {
  const t = dl.genl.connection.transport;
  const { timeoutMs } = budget.call();
  // The class of `dl` itself, read at run time: a value import of './devlink' would close an import circle.
  const Devlink = dl.constructor as typeof import('./devlink').Devlink;
  if (t.openInNetns) return Devlink.open({ transport: t.openInNetns(path), family: dl.family.name, timeoutMs });
  return Devlink.open({ netns: path, family: dl.family.name, timeoutMs });
}

/** Whether `handle` is an instance `dl` sees. */
async function sees(dl: Devlink, handle: string, budget: Budget): Promise<boolean> {
  try {
    await dl.device(handle, budget.call());
    return true;
  } catch (e) {
    if (isErrno(e, ENODEV_ERRNO)) return false;
    throw e;
  }
}

/** Set the driverinit parameters that differ; true when one was set. */
async function setParams(dl: Devlink, inst: string, params: Readonly<Record<string, ParamValue>>, budget: Budget): Promise<boolean> {
  let set = false;
  for (const [name, value] of Object.entries(params)) {
    const cur = await dl.param(inst, name, budget.call());
    if (cur.values.find((v) => v.cmode === 'driverinit')?.value === value) continue;
    await dl.setParam(inst, name, value, { cmode: 'driverinit', ...budget.call() });
    set = true;
  }
  return set;
}

/**
 * Apply `params` and `netns` to an attached SF's instance. `reattach` waits for the SF
 * again after a reload that left it here. `changed` says whether anything was set.
 */
export async function configureInstance(
  dl: Devlink, reader: SfReader, sf: Subfunction, spec: SubfunctionSpec, budget: Budget, watch: Watch, st: CallState, root: string,
  reattach: () => Promise<Subfunction>,
): Promise<{ sf: Subfunction; changed: boolean }> {
  st.step = spec.netns !== undefined ? 'netns' : 'instance-params';
  const inst = sf.devlink;
  if (inst === undefined) throw new NotFoundError(`${sf.port.handle}: no devlink instance of the SF was found to configure`);
  const path = spec.netns === undefined ? undefined : netnsPath(netnsChoice(spec.netns));
  const ns = path === undefined ? undefined : await openIn(dl, path, budget);
  try {
    // an instance already there (ensure, or a caller before): configure it there
    const there = ns !== undefined && (await sees(ns, inst, budget));
    if (there) st.netns = path;
    const where = there ? ns : dl;
    st.step = 'instance-params';
    const set = spec.params !== undefined && (await setParams(where, inst, spec.params, budget));
    const move = ns !== undefined && !there;
    if (set || move) {
      st.step = move ? 'netns' : 'instance-params';
      // the reload may take effect though its answer does not come: say where it may be
      if (move) st.netns = path;
      try {
        await where.reload(inst, { action: 'driver_reinit', ...(move ? { netns: spec.netns } : {}), ...budget.call() });
      } catch (e) {
        if (move && e instanceof KernelError) st.netns = undefined;
        throw e;
      }
    }
    if (ns === undefined) return set ? { sf: await reattach(), changed: true } : { sf, changed: false };
    st.step = 'wait-netns';
    const found = await findThere(ns, reader, sf, spec, budget, watch, path!, root);
    return { sf: found, changed: set || move };
  } finally {
    await ns?.close();
  }
}

/**
 * The instance and its netdev in the namespace. A netdev is waited for when the SF had
 * one before or `enable_eth` is set true; not when `enable_eth` is false (or an SF probed
 * light has none).
 */
async function findThere(
  ns: Devlink, reader: SfReader, sf: Subfunction, spec: SubfunctionSpec, budget: Budget, watch: Watch, path: string, root: string,
): Promise<Subfunction> {
  const inst = sf.devlink!;
  const eth = spec.params?.enable_eth;
  const wantNetdev = eth === undefined ? sf.netdev !== undefined : eth === true;
  let seen = false;
  const netdev = await pollUntil(budget, watch, async (o) => {
    const ports = await ns.ports({ dev: inst, ...o }).catch((e: unknown) => {
      if (isErrno(e, ENODEV_ERRNO)) return undefined;
      throw e;
    });
    seen = ports !== undefined;
    if (ports === undefined) return undefined;
    const name = ports.find((p) => p.netdev !== undefined)?.netdev;
    if (name === undefined && wantNetdev) return undefined;
    return { name };
  }, () => seen ? `${inst} is in network namespace ${path}, but its netdev is not` : `${inst} did not appear in network namespace ${path}`);
  // the port as the PF's instance shows it now; the RDMA device where this namespace still sees it (shared mode)
  const port = await reader.readPort(sf.port.handle, budget.call());
  const sfnum = port.sfnum ?? spec.sfnum;
  const rdma = (await findSfDevices(root, sfnum, port.bus === 'pci' ? port.dev : undefined))?.rdmaDevice;
  const { netdev: _old, rdmaDevice: _rdma, ...rest } = sf;
  return {
    ...rest, port, netns: path,
    ...(netdev.name !== undefined ? { netdev: netdev.name } : {}), ...(rdma !== undefined ? { rdmaDevice: rdma } : {}),
  };
}
