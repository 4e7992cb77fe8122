/**
 * One path for "every object, or those of one device": a dump that names the device.
 * Kernels from 6.6 filter it themselves and flag the messages NLM_F_DUMP_FILTERED; older
 * ones answer with everything and the filter runs here. Devlink's list methods (ports,
 * rates, params, health reporters, regions, traps) and the readers that resync (monitor,
 * port watch) all read through it. Also the reads that need nothing but a dump: a port by
 * its netdev name, the one reply of a get.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import type { CallOptions } from '../genl/connection';
import { NLM_F_DUMP_FILTERED } from '../genl/constants';
import { ProtocolError } from '../genl/errors';
import type { NlMsg } from '../genl/message';
import { decodeMessage, decodeMessageInto, DevlinkDecoded, KEEPS_NO_DECODED } from './decode';
import type { Devlink, PlumbingOptions } from './devlink';
import { NotFoundError } from './errors';
import { DevHandle, parseDevHandle } from './handle';
import { devAttrs } from './requests';
import { CALL_OPTION_KEYS, DEVICE_FILTER_KEYS, DeviceFilter, DevlinkPort } from './types';

/** The keys of an options object that mixes a device filter with the call options. */
const FILTER_KEYS = [...DEVICE_FILTER_KEYS, ...CALL_OPTION_KEYS];

/** IFNAMSIZ (include/uapi/linux/if.h): a netdev name and its NUL; dev_valid_name() refuses longer names. */
const IFNAMSIZ = 16;

/** Whether an object (with bus and device names) belongs to the device `h`. */
export const onDevice = (x: { readonly bus: string; readonly dev: string }, h: DevHandle): boolean => x.bus === h.bus && x.dev === h.dev;

export interface DeviceDumpOptions {
  /** Name the device in the request (default); false for a dump no kernel filters (devices). */
  readonly named?: boolean;
  /**
   * When nothing of the device came back from a dump the kernel did not filter, ask for
   * the device itself: one behaviour whatever the kernel, a device that does not exist is
   * ENODEV (6.6+ says so in the dump's DONE).
   */
  readonly mustExist?: boolean;
}

/** Every object `cmd` dumps, or those of `dev`; `call` goes to the dump (and `onReply` sees its messages). */
export async function dumpForDevice<T>(
  dl: Devlink, cmd: number, dev: DevHandle | undefined, decode: (a: DevlinkDecoded) => T,
  ofDevice: (x: T, h: DevHandle) => boolean, call: PlumbingOptions = {}, o: DeviceDumpOptions = {},
): Promise<T[]> {
  // each reply decoded as it is read (its bytes may be lent: nothing of the dump is copied or held to its end),
  // into one reused object where the decoder keeps nothing of it
  let filtered = true;
  const scratch: Partial<DevlinkDecoded> | undefined = KEEPS_NO_DECODED.has(decode) ? {} : undefined;
  const all = await dl.dumpEach(cmd, dev && o.named !== false ? devAttrs(dev) : {}, (m) => {
    if (!(m.flags & NLM_F_DUMP_FILTERED)) filtered = false;
    return decode(scratch !== undefined ? decodeMessageInto(m, scratch) : decodeMessage(m));
  }, call);
  if (!dev || (all.length > 0 && filtered)) return all;
  const mine = all.filter((x) => ofDevice(x, dev));
  if (o.mustExist && mine.length === 0) await dl.device(`${dev.bus}/${dev.dev}`, call);
  return mine;
}

/** dumpForDevice for a list method's options: `dev` and the call options, checked. */
export async function dumpOf<T>(
  dl: Devlink, cmd: number, o: DeviceFilter & CallOptions, decode: (a: DevlinkDecoded) => T,
  ofDevice: (x: T, h: DevHandle) => boolean, mustExist = false,
): Promise<T[]> {
  const { dev, ...call } = checkKeys(o, '', FILTER_KEYS);
  return dumpForDevice(dl, cmd, dev !== undefined ? parseDevHandle(dev) : undefined, decode, ofDevice, call, { mustExist });
}

/** The one message a get answers with, decoded; a ProtocolError when the kernel sent none. */
export function decodeOne<T>(replies: readonly NlMsg[], decode: (a: DevlinkDecoded) => T, what: string): T {
  if (replies.length === 0) throw new ProtocolError(`the kernel answered${what ? ` ${what}` : ''} with no data`);
  return decode(decodeMessage(replies[0]));
}

/** The port whose netdev is `name`, from a dump of every port, like iproute2. */
export async function portByNetdev(dl: Devlink, name: string, opts: CallOptions): Promise<DevlinkPort> {
  // dev_valid_name() refuses white space and names of IFNAMSIZ bytes or more
  if (Buffer.byteLength(name) >= IFNAMSIZ || /\s/.test(name)) {
    throw new ValidationError('port', `${describeValue(name)} is neither a port handle (BUS/DEV/INDEX) nor a netdev name`);
  }
  const found = (await dl.ports(opts)).find((p) => p.netdev === name);
  if (!found) throw new NotFoundError(`no devlink port has the netdev "${name}"`);
  return found;
}
