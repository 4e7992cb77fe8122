/**
 * DEVLINK_CMD_RELOAD: the request (handle, then NETNS_{PID,FD,ID}, RELOAD_ACTION and
 * RELOAD_LIMITS, the order of iproute2's dl_opts_put) and its answer.
 *
 * A reload may move the instance to another network namespace, with everything the
 * driver re-creates on it (an mlx5 SF's netdev and RDMA device): the kernel reads the
 * target from exactly one of NETNS_PID, NETNS_FD or NETNS_ID (devlink_netns_get). A namespace given by path or by name is opened here
 * (O_RDONLY, as iproute2's netns_get_fd), its descriptor sent as NETNS_FD and closed once
 * the kernel has answered, whatever the answer.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import type { CallOptions } from '../genl/connection';
import { Cmd, ReloadAction, ReloadLimit } from './constants';
import { checkName, checkUint, DevHandle, devHandle, parseDevHandle } from './handle';
import { decodeMessage, DevlinkDecoded } from './decode';
import type { Devlink } from './devlink';
import { devAttrs, DevlinkRequestAttrs } from './requests';
import { CALL_OPTION_KEYS, RELOAD_OPTIONS_KEYS, ReloadOptions, ReloadResult } from './types';

/** Where ip-netns keeps named namespaces (NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = '/var/run/netns';

const NETNS_KEYS = ['fd', 'pid', 'id'] as const;
const ACTIONS = ['driver_reinit', 'fw_activate'] as const;

/** /var/run/netns/NAME for a name, the path itself for anything with a '/', as iproute2. */
export function netnsPathOf(nameOrPath: string): string {
  return nameOrPath.includes('/') ? nameOrPath : path.join(NETNS_RUN_DIR, nameOrPath);
}

type Attrs = { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] };

/** The checked form of a NetnsTarget: which attribute, and a path still to open. */
export type NetnsChoice = { readonly attr: 'netnsFd' | 'netnsPid' | 'netnsId'; readonly value: number } | { readonly open: string };

/** Check a NetnsTarget (ValidationError naming `netns` or `netns.KEY`); nothing is opened. */
export function netnsChoice(v: unknown): NetnsChoice {
  if (typeof v === 'string') {
    if (v === '' || v.includes('\0') || (!v.includes('/') && (v === '.' || v === '..'))) {
      throw new ValidationError('netns', `${describeValue(v)} is neither a namespace name nor a path`);
    }
    return { open: netnsPathOf(v) };
  }
  if (typeof v !== 'object' || v === null) {
    throw new ValidationError('netns', `expected a name, a path, { fd }, { pid } or { id }, got ${describeValue(v)}`);
  }
  const o = checkKeys(v as Record<string, unknown>, 'netns', NETNS_KEYS);
  const given = NETNS_KEYS.filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw new ValidationError('netns', `give exactly one of fd, pid, id (got ${given.length ? given.join(', ') : 'none'})`);
  const key = given[0];
  const value = checkUint(o[key], `netns.${key}`, 32);
  return { attr: key === 'fd' ? 'netnsFd' : key === 'pid' ? 'netnsPid' : 'netnsId', value };
}

/** A checked reload request; `close()` gives back the descriptor a path was opened for. */
export interface ReloadRequest {
  readonly attrs: DevlinkRequestAttrs;
  close(): void;
}

/**
 * Check everything, then open the namespace if it was given by path: an unreadable path
 * is a ValidationError naming netns (nothing is sent). Which actions may change the
 * namespace is the kernel's to say (6.1 leaves it to the driver; newer cores allow only
 * driver_reinit): its refusal comes back as a DevlinkError with its message.
 */
export function reloadRequest(h: DevHandle, o: ReloadOptions): ReloadRequest {
  const action = o.action === undefined ? undefined : checkName(o.action, 'action', ACTIONS);
  const limit = o.limit === undefined ? undefined : checkName(o.limit, 'limit', ['no_reset'] as const);
  const ns = o.netns === undefined ? undefined : netnsChoice(o.netns);
  const a: Attrs = devAttrs(h);
  let fd: number | undefined;
  if (ns && 'open' in ns) {
    try {
      fd = fs.openSync(ns.open, fs.constants.O_RDONLY) // libuv adds O_CLOEXEC;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new ValidationError('netns', `cannot open network namespace ${describeValue(ns.open)}: ${code}`);
    }
    a.netnsFd = fd;
  } else if (ns) {
    a[ns.attr] = ns.value;
  }
  if (action !== undefined) a.reloadAction = ReloadAction[action];
  if (limit !== undefined) {
    // selector: DEVLINK_RELOAD_LIMITS_VALID_MASK, as iproute2 sends it
    a.reloadLimits = { value: 1 << ReloadLimit[limit], selector: (1 << (ReloadLimit.no_reset + 1)) - 1 };
  }
  let open = fd;
  return {
    attrs: a,
    close: () => {
      if (open !== undefined) fs.closeSync(open);
      open = undefined;
    },
  };
}

/** The answer: RELOAD_ACTIONS_PERFORMED, sent only when the request named an action or a limit. */
export function reloadResultFrom(h: DevHandle, reply: DevlinkDecoded | undefined): ReloadResult {
  const handle = devHandle(h.bus, h.dev);
  const performed = reply?.reloadActionsPerformed;
  if (performed === undefined) return { handle };
  const names = Object.entries(ReloadAction).filter(([, v]) => performed.value & (1 << v)).map(([k]) => k);
  return { handle, actionsPerformed: names };
}

const RELOAD_KEYS = [...RELOAD_OPTIONS_KEYS, ...CALL_OPTION_KEYS];

/** Devlink.reload: the request (its namespace descriptor closed whatever the answer), then what was done. */
export async function reloadDevice(dl: Devlink, handle: string, o: ReloadOptions & CallOptions): Promise<ReloadResult> {
  const h = parseDevHandle(handle);
  const { action, limit, netns, ...call } = checkKeys(o, '', RELOAD_KEYS);
  const req = reloadRequest(h, { action, limit, netns });
  try {
    const replies = await dl.request(Cmd.RELOAD, req.attrs, call);
    return reloadResultFrom(h, replies.length ? decodeMessage(replies[0]) : undefined);
  } finally {
    req.close();
  }
}
