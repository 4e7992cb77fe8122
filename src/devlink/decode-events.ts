/**
 * Notifications that are events and not objects: a flash update's begin, status and end
 * (devlink_nl_flash_update_fill: the handle, then for a status STATUS_MSG, COMPONENT,
 * DONE, TOTAL, TIMEOUT).
 */
import { defined } from '../attrs/options';
import { ProtocolError } from '../genl/errors';
import { Cmd } from './constants';
import type { DevlinkDecoded } from './decode';
import { devHandle } from './handle';
import type { FlashEvent } from './types';

export function flashEventFrom(cmd: number, a: DevlinkDecoded): FlashEvent {
  if (a.busName === undefined || a.devName === undefined) throw new ProtocolError("the kernel's flash notification has no handle");
  const handle = devHandle(a.busName, a.devName);
  if (cmd !== Cmd.FLASH_UPDATE_STATUS) return { type: 'flash', phase: cmd === Cmd.FLASH_UPDATE ? 'begin' : 'end', handle };
  return {
    type: 'flash', phase: 'status', handle,
    ...(a.flashUpdateStatusMsg !== undefined ? { message: a.flashUpdateStatusMsg } : {}),
    ...(a.flashUpdateComponent !== undefined ? { component: a.flashUpdateComponent } : {}),
    ...defined({ done: a.flashUpdateStatusDone, total: a.flashUpdateStatusTotal, timeoutS: a.flashUpdateStatusTimeout }),
  };
}
