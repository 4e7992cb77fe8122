/**
 * Devlink.open's work: the options checked, a generic netlink socket opened, the devlink
 * family (or a devlink-compatible one such as mlxdevm) resolved through nlctrl; the
 * socket closed again when the family cannot be had.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys } from '../attrs/options';
import { FamilyNotFoundError } from '../genl/errors';
import { GENL_OPEN_KEYS, GenericNetlink } from '../genl/generic';
import type { Family } from '../genl/nlctrl';
import { DEVLINK_GENL_NAME } from './constants';
import type { DevlinkOptions } from './devlink';

/** The socket and the family a Devlink speaks to. */
export async function openFamily(opts: DevlinkOptions): Promise<{ genl: GenericNetlink; family: Family }> {
  const o = checkKeys(opts, 'options', [...GENL_OPEN_KEYS, 'family']);
  if (o.family !== undefined && (typeof o.family !== 'string' || o.family === '')) {
    throw new ValidationError('family', 'expected a generic netlink family name');
  }
  const genl = await GenericNetlink.open(o, ['family']);
  const name = opts.family ?? DEVLINK_GENL_NAME;
  try {
    return { genl, family: await genl.family(name, opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) };
  } catch (e) {
    await genl.close();
    if (e instanceof FamilyNotFoundError) {
      const why = `this kernel has no "${name}" generic netlink family (devlink needs CONFIG_NET_DEVLINK; mlxdevm needs NVIDIA's driver package)`;
      throw new FamilyNotFoundError(e.family, e.info, why);
    }
    throw e;
  }
}
