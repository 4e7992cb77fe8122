/** DevlinkError: the kernel refused a devlink request. */
import { KernelError, KernelErrorInfo } from '../genl/errors';
import { EPERM_ERRNO } from '../genl/errno';

export class DevlinkError extends KernelError {
  override name = 'DevlinkError';
  constructor(info: KernelErrorInfo) {
    super(info);
    if (info.errno === EPERM_ERRNO) {
      this.message += ': this operation needs CAP_NET_ADMIN in the network namespace of the devlink instance';
    }
  }
}

export function makeDevlinkError(info: KernelErrorInfo): DevlinkError {
  return new DevlinkError(info);
}
