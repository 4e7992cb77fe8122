export { Devlink, NotFoundError } from './devlink';
export type { DevlinkOptions } from './devlink';
export { DevlinkError } from './errors';
export type { MonitorOptions } from './monitor';
export * from './types';
export { Cmd, PortFlavour, PortType, FnState, FnOpstate, EswitchMode, RateType, ParamCmode, ParamType, cmdName } from './constants';
export { devlinkAttrs, portFunctionAttrs } from './schema';
export { parseDevHandle, parsePortHandle, parseMac, formatMac } from './handle';
