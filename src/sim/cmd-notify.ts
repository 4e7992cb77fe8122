/**
 * DEVLINK_CMD_NOTIFY_FILTER_SET (devlink_nl_notify_filter_set_doit, newer kernels): bus
 * name, device name and port index, each optional, replace the requesting socket's
 * filter; none of them removes it. The op needs no instance (no pre_doit).
 */
import { cstr } from './context';
import type { CoreCtx, DoCtx, HandlerTable, ObjDesc } from './context';
import { A, C } from './uapi';

function notifyFilterSet(core: CoreCtx, ctx: DoCtx): void {
  const { tb, req } = ctx;
  const bus = tb[A.BUS_NAME];
  const dev = tb[A.DEV_NAME];
  const port = tb[A.PORT_INDEX];
  const flt: ObjDesc = {
    ...(bus ? { bus: cstr(req.buf, bus.data, bus.len) } : {}),
    ...(dev ? { dev: cstr(req.buf, dev.data, dev.len) } : {}),
    ...(port ? { port: req.buf.readUInt32LE(port.data) } : {}),
  };
  core.setNotifyFilter(req.portid, bus || dev || port ? flt : undefined);
}

/** NOTIFY_FILTER_SET's handler. */
export const notifyCmds: HandlerTable = {
  [C.NOTIFY_FILTER_SET]: { doit: notifyFilterSet },
};
