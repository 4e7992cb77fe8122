/**
 * Network namespaces for DEVLINK_CMD_RELOAD (devlink_netns_get, devlink_ns_change_notify).
 *
 * The simulator's sockets all live in the namespace of the process that runs it. A
 * namespace is named as the kernel's nsfs names it, "net:[INODE]", from the inode of
 * /proc/PID/ns/net or of the sending process's descriptor, so a PID or a descriptor names
 * a real namespace of this machine and anything not on nsfs is "Unknown network
 * namespace", as in the kernel (a descriptor of another kind of namespace is taken as a
 * network namespace: nsfs does not tell them apart through stat). NETNS_ID needs a peer id (RTM_NEWNSID), which the
 * simulator never assigns: every id is unknown.
 *
 * An instance moved elsewhere keeps its driver state but leaves the view of the
 * simulator's own sockets: their lookups answer ENODEV, their dumps skip it. An endpoint
 * opened in that namespace (Simulator.transport({ netns }), Transport.openInNetns) sees
 * it there, and only what is there: each request is answered in the view of its sender's
 * namespace (inView). Notifications reach the simulator's own namespace only: an
 * endpoint elsewhere gets none, and what its requests cause is not announced.
 */
import * as fs from 'fs';
import type { CoreCtx } from './context';
import { fillParam } from './fill';
import { Errno, fail, Instance } from './model';
import { ExtAck, Tb } from './policy';
import { A, C, E } from './uapi';

/** A namespace file's identity: "net:[INODE]" if it is on nsfs (the device of /proc/self/ns/net). */
function nsfsName(st: fs.Stats | fs.BigIntStats | undefined): string | undefined {
  const own = statOrUndefined(() => fs.statSync('/proc/self/ns/net'));
  return st && own && st.dev === own.dev ? `net:[${st.ino}]` : undefined;
}

function statOrUndefined(f: () => fs.Stats): fs.Stats | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * A namespace file's identity ("net:[INODE]"), or undefined when the path is not a
 * network namespace of this machine's nsfs.
 */
export function netnsOfPath(p: string): string | undefined {
  return nsfsName(statOrUndefined(() => fs.statSync(p)));
}

/** Answer one request in the view of the namespace `netns` (undefined: the simulator's own). */
export function inView<T>(core: { view: string | undefined }, netns: string | undefined, f: () => T): T {
  const prev = core.view;
  core.view = netns;
  try {
    return f();
  } finally {
    core.view = prev;
  }
}

/** The namespace the simulator's sockets are in. */
export function ownNetns(): string {
  return nsfsName(statOrUndefined(() => fs.statSync('/proc/self/ns/net'))) ?? 'net:[self]';
}

/**
 * The target of a reload, or undefined when the request names none. Exactly one of
 * NETNS_PID, NETNS_FD, NETNS_ID; an unknown namespace is EINVAL with the kernel's message.
 */
export function reloadNetns(core: CoreCtx, buf: Buffer, tb: Tb, ext: ExtAck): string | undefined {
  const given = [A.NETNS_PID, A.NETNS_FD, A.NETNS_ID].filter((x) => tb[x]);
  if (given.length === 0) return undefined;
  // 6.1 prefixes the module name (NL_SET_ERR_MSG_MOD); 6.12 moved these to NL_SET_ERR_MSG
  const msg = (m: string): string => (core.family.flavor === '6.1' ? core.mod(m) : m);
  if (given.length > 1) fail(-E.EINVAL, ext, msg('multiple netns identifying attributes specified'));
  const attr = given[0];
  const v = buf.readUInt32LE(tb[attr]!.data);
  // the descriptor is the sending process's: the simulator runs in it
  const ns = attr === A.NETNS_PID ? nsfsName(statOrUndefined(() => fs.statSync(`/proc/${v}/ns/net`)))
    : attr === A.NETNS_FD ? nsfsName(statOrUndefined(() => fs.fstatSync(v)))
      : undefined;
  if (ns === undefined) fail(-E.EINVAL, ext, msg('Unknown network namespace'));
  return ns;
}

/**
 * Newer cores refuse a change of namespace with another action than driver_reinit
 * (6.1 leaves it to the driver).
 */
export function checkNetnsAction(core: CoreCtx, inst: Instance, dest: string | undefined, action: number, ext: ExtAck): void {
  if (dest === undefined || core.family.flavor === '6.1' || dest === (inst.netns ?? ownNetns())) return;
  if (action !== 1) fail(-E.EOPNOTSUPP, ext, core.mod('Changing namespace is only supported for reinit action'));
}

/**
 * devlink_ns_change_notify before the driver's reload_down: the instance's params and
 * then the instance announced gone from the namespace it leaves. Nothing when it stays.
 */
export function leaveNetns(core: CoreCtx, inst: Instance, dest: string | undefined): boolean {
  if (dest === undefined || dest === (inst.netns ?? ownNetns())) return false;
  for (const p of inst.params) {
    try {
      core.notifyRaw(fillParam(core.family, { cmd: C.PARAM_DEL, portid: 0, seq: 0, flags: 0 }, inst, p));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
    }
  }
  core.notifyDevice(inst, C.DEL);
  return true;
}

/** write_pnet between reload_down and reload_up: the instance leaves the simulator's view. */
export function enterNetns(inst: Instance, dest: string): void {
  inst.netns = dest === ownNetns() ? undefined : dest;
}
