export { Devlink, NotFoundError } from './devlink';
export type { DevlinkOptions } from './devlink';
export { DevlinkError, SubfunctionError } from './errors';
export type { SubfunctionOutcome, LifecycleStep } from './errors';
export type { MonitorOptions, DevlinkMonitor } from './monitor';
export { PortWatch } from './port-watch';
export type { WatchPortsOptions, PortChange, PortWatchStats } from './port-watch';
export * from './types';
export { Cmd, PortFlavour, PortType, FnState, FnOpstate, EswitchMode, RateType, ParamCmode, ParamType, cmdName } from './constants';
export { devlinkAttrs, portFunctionAttrs } from './schema';
export { parseDevHandle, parsePortHandle, parseMac, formatMac } from './handle';
export type { SubfunctionSpec, SubfunctionNetns, LifecycleOptions, Subfunction, SfTarget } from './subfunction';
export { findSfDevices } from './sysfs';
export type { SfDevices } from './sysfs';
export { parseDesiredState, planApply, runPlan, applyDesiredState } from './apply';
export type { DesiredState, DesiredSf, PlanItem, PlanAction, ApplyOptions, ApplyResult } from './apply';
export { FmsgObject } from './fmsg';
export type { FmsgValue, FmsgScalar, FmsgArray } from './fmsg';
export { HealthState } from './health';
export type { HealthReporter, HealthReporterSettings, HealthStateName } from './health';
export type { DevlinkResource, DpipeTable } from './resources';
export { FlashOverwrite } from './flash';
export type { FlashOptions, FlashUpdate, FlashOverwriteName } from './flash';
export { TrapAction, TrapType } from './traps';
export type {
  DevlinkTrap, DevlinkTrapGroup, DevlinkTrapPolicer, TrapStats, TrapGroupSettings, TrapPolicerSettings, TrapActionName, TrapTypeName,
} from './traps';
export type { DevlinkRegion, RegionChunk, RegionReadOptions } from './regions';
