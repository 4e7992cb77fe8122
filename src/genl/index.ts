export { GenericNetlink, GENL_OPEN_KEYS, GENL_SOCKET_KEYS } from './generic';
export { MAX_TIMEOUT_MS } from './call-options';
export type { GenericNetlinkOptions, FamilyOptions } from './generic';
export { Connection, SendError, MAX_BATCH, DEFAULT_TIMEOUT_MS } from './connection';
export type { CallOptions, RequestSpec, DumpSpec, DecodedDumpSpec, Notification, ConnectionOptions, ConnectionStats, KernelWarning } from './connection';
export {
  KernelError, FamilyNotFoundError, TimeoutError, AbortError, ClosedError, DumpInterruptedError, OverrunError, ProtocolError, TruncatedError,
} from './errors';
export { TransportFeatureError } from './sockerr';
export type { KernelErrorInfo } from './errors';
export type { Family } from './nlctrl';
export type { Transport, TransportHandlers, TransportFeatures, RecvInfo, TruncatedInfo, SocketOptions } from './transport';
export type { NlMsg } from './message';
export { startRequest, finishRequest, forEachMessage, genlCmd, genlAttrsStart } from './message';
export { errnoName, strerror } from './errno';
export * as constants from './constants';
