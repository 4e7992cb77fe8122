/**
 * The devlink attribute sets (enum devlink_attr and its nests), one table each. The
 * numbers are <linux/devlink.h>'s; types follow the kernel's policy and fill functions.
 * Attributes whose layout this library does not use (dpipe, shared buffers, fmsg,
 * resources, regions' chunks) are declared as opaque bytes so they decode without
 * ever failing; anything newer than this table is kept in $unknown.
 */
import { AttrDefs, AttrSet, defineAttrSet } from '../attrs/schema';
import { EncapMode, EswitchMode, FnOpstate, FnState, InlineMode, ParamCmode, PortFlavour, PortType, RateType } from './constants';

/** A devlink instance handle inside a nest (PORT_FN_ATTR_DEVLINK, NESTED_DEVLINK). */
export const handleAttrs = defineAttrSet('devlink-handle', {
  busName: { id: 1, type: 'string' },
  devName: { id: 2, type: 'string' },
  netnsId: { id: 140, type: 's32' },
});

/** enum devlink_port_function_attr: what DEVLINK_ATTR_PORT_FUNCTION holds. */
export const portFunctionAttrs = defineAttrSet('dl-port-function', {
  hwAddr: { id: 1, type: 'binary', maxLen: 32 },
  state: { id: 2, type: 'u8', enum: FnState },
  opstate: { id: 3, type: 'u8', enum: FnOpstate },
  caps: { id: 4, type: 'bitfield32' },
  devlink: { id: 5, type: 'nest', nested: () => handleAttrs },
  maxIoEqs: { id: 6, type: 'u32' },
});

/** DEVLINK_ATTR_PARAM_VALUE: one value and its configuration mode. */
export const paramValueAttrs = defineAttrSet('dl-param-value', {
  paramValueData: { id: 86, type: 'binary' },
  paramValueCmode: { id: 87, type: 'u8', enum: ParamCmode },
});

export const paramValuesListAttrs = defineAttrSet('dl-param-values-list', {
  paramValue: { id: 85, type: 'nest', multi: true, nested: () => paramValueAttrs },
});

/** DEVLINK_ATTR_PARAM. Its value data type depends on PARAM_TYPE: decoded as bytes here. */
export const paramAttrs = defineAttrSet('dl-param', {
  paramName: { id: 81, type: 'string' },
  paramGeneric: { id: 82, type: 'flag' },
  paramType: { id: 83, type: 'u8' },
  paramValuesList: { id: 84, type: 'nest', nested: () => paramValuesListAttrs },
});

/** DEVLINK_ATTR_INFO_VERSION_{FIXED,RUNNING,STORED}. */
export const infoVersionAttrs = defineAttrSet('dl-info-version', {
  infoVersionName: { id: 103, type: 'string' },
  infoVersionValue: { id: 104, type: 'string' },
});

/** The reload statistics nests all hold devlink attributes; they are decoded with this set. */
export const reloadStatsAttrs: AttrSet<AttrDefs> = defineAttrSet('dl-reload-stats', {
  reloadAction: { id: 153, type: 'u8' },
  reloadStatsEntry: { id: 158, type: 'nest', multi: true, nested: (): AttrSet<AttrDefs> => reloadStatsAttrs },
  reloadStatsLimit: { id: 159, type: 'u8' },
  reloadStatsValue: { id: 160, type: 'u32' },
  reloadStats: { id: 157, type: 'nest', nested: (): AttrSet<AttrDefs> => reloadStatsAttrs },
  remoteReloadStats: { id: 161, type: 'nest', nested: (): AttrSet<AttrDefs> => reloadStatsAttrs },
  reloadActionInfo: { id: 162, type: 'nest', multi: true, nested: (): AttrSet<AttrDefs> => reloadStatsAttrs },
  reloadActionStats: { id: 163, type: 'nest', multi: true, nested: (): AttrSet<AttrDefs> => reloadStatsAttrs },
});

/** DEVLINK_ATTR_RESOURCE: one resource (devlink_resource_put), its children in a RESOURCE_LIST of their own. */
export const resourceAttrs: AttrSet<AttrDefs> = defineAttrSet('dl-resource', {
  resourceList: { id: 63, type: 'nest', nested: (): AttrSet<AttrDefs> => resourceListAttrs },
  resourceName: { id: 65, type: 'string' },
  resourceId: { id: 66, type: 'u64' },
  resourceSize: { id: 67, type: 'u64' },
  resourceSizeNew: { id: 68, type: 'u64' },
  resourceSizeValid: { id: 69, type: 'u8' },
  resourceSizeMin: { id: 70, type: 'u64' },
  resourceSizeMax: { id: 71, type: 'u64' },
  resourceSizeGran: { id: 72, type: 'u64' },
  resourceUnit: { id: 73, type: 'u8' },
  resourceOcc: { id: 74, type: 'u64' },
});

/** DEVLINK_ATTR_RESOURCE_LIST. */
export const resourceListAttrs: AttrSet<AttrDefs> = defineAttrSet('dl-resource-list', {
  resource: { id: 64, type: 'nest', multi: true, nested: (): AttrSet<AttrDefs> => resourceAttrs },
});

/** DEVLINK_ATTR_DPIPE_TABLE (what resource show needs of it; matches and actions are kept unknown). */
export const dpipeTableAttrs = defineAttrSet('dl-dpipe-table', {
  dpipeTableName: { id: 29, type: 'string' },
  dpipeTableSize: { id: 30, type: 'u64' },
  dpipeTableCountersEnabled: { id: 33, type: 'u8' },
  dpipeTableResourceId: { id: 75, type: 'u64' },
  dpipeTableResourceUnits: { id: 76, type: 'u64' },
});

export const dpipeTablesAttrs = defineAttrSet('dl-dpipe-tables', {
  dpipeTable: { id: 28, type: 'nest', multi: true, nested: () => dpipeTableAttrs },
});

/** DEVLINK_ATTR_REGION_SNAPSHOTS and its REGION_SNAPSHOT entries. */
export const regionSnapshotAttrs = defineAttrSet('dl-region-snapshot', {
  regionSnapshotId: { id: 92, type: 'u32' },
});
export const regionSnapshotsAttrs = defineAttrSet('dl-region-snapshots', {
  regionSnapshot: { id: 91, type: 'nest', multi: true, nested: () => regionSnapshotAttrs },
});

/** DEVLINK_ATTR_REGION_CHUNKS and its REGION_CHUNK entries. */
export const regionChunkAttrs = defineAttrSet('dl-region-chunk', {
  regionChunkData: { id: 95, type: 'binary' },
  regionChunkAddr: { id: 96, type: 'u64' },
});
export const regionChunksAttrs = defineAttrSet('dl-region-chunks', {
  regionChunk: { id: 94, type: 'nest', multi: true, nested: () => regionChunkAttrs },
});

/** DEVLINK_ATTR_HEALTH_REPORTER: one reporter as devlink_nl_health_reporter_fill writes it. */
export const healthReporterAttrs = defineAttrSet('dl-health-reporter', {
  healthReporterName: { id: 115, type: 'string' },
  healthReporterState: { id: 116, type: 'u8' },
  healthReporterErrCount: { id: 117, type: 'u64' },
  healthReporterRecoverCount: { id: 118, type: 'u64' },
  healthReporterDumpTs: { id: 119, type: 'u64' },
  healthReporterGracefulPeriod: { id: 120, type: 'u64' },
  healthReporterAutoRecover: { id: 121, type: 'u8' },
  healthReporterDumpTsNs: { id: 137, type: 'u64' },
  healthReporterAutoDump: { id: 141, type: 'u8' },
});

/** enum devlink_attr: the top-level attributes of every devlink message. */
export const devlinkAttrs = defineAttrSet('devlink', {
  busName: { id: 1, type: 'string' },
  devName: { id: 2, type: 'string' },
  portIndex: { id: 3, type: 'u32' },
  portType: { id: 4, type: 'u16', enum: PortType },
  portDesiredType: { id: 5, type: 'u16', enum: PortType },
  portNetdevIfindex: { id: 6, type: 'u32' },
  portNetdevName: { id: 7, type: 'string' },
  portIbdevName: { id: 8, type: 'string' },
  portSplitCount: { id: 9, type: 'u32' },
  portSplitGroup: { id: 10, type: 'u32' },
  sbIndex: { id: 11, type: 'u32' },
  sbSize: { id: 12, type: 'u32' },
  sbIngressPoolCount: { id: 13, type: 'u16' },
  sbEgressPoolCount: { id: 14, type: 'u16' },
  sbIngressTcCount: { id: 15, type: 'u16' },
  sbEgressTcCount: { id: 16, type: 'u16' },
  sbPoolIndex: { id: 17, type: 'u16' },
  sbPoolType: { id: 18, type: 'u8' },
  sbPoolSize: { id: 19, type: 'u32' },
  sbPoolThresholdType: { id: 20, type: 'u8' },
  sbThreshold: { id: 21, type: 'u32' },
  sbTcIndex: { id: 22, type: 'u16' },
  sbOccCur: { id: 23, type: 'u32' },
  sbOccMax: { id: 24, type: 'u32' },
  eswitchMode: { id: 25, type: 'u16', enum: EswitchMode },
  eswitchInlineMode: { id: 26, type: 'u8', enum: InlineMode },
  dpipeTables: { id: 27, type: 'nest', nested: () => dpipeTablesAttrs },
  dpipeTableName: { id: 29, type: 'string' },
  dpipeTableCountersEnabled: { id: 33, type: 'u8' },
  pad: { id: 61, type: 'binary' },
  eswitchEncapMode: { id: 62, type: 'u8', enum: EncapMode },
  resourceList: { id: 63, type: 'nest', nested: (): AttrSet<AttrDefs> => resourceListAttrs },
  resourceId: { id: 66, type: 'u64' },
  resourceSize: { id: 67, type: 'u64' },
  portFlavour: { id: 77, type: 'u16', enum: PortFlavour },
  portNumber: { id: 78, type: 'u32' },
  portSplitSubportNumber: { id: 79, type: 'u32' },
  param: { id: 80, type: 'nest', nested: () => paramAttrs },
  paramName: { id: 81, type: 'string' },
  paramGeneric: { id: 82, type: 'flag' },
  paramType: { id: 83, type: 'u8' },
  paramValuesList: { id: 84, type: 'nest', nested: () => paramValuesListAttrs },
  paramValue: { id: 85, type: 'nest', nested: () => paramValueAttrs },
  paramValueData: { id: 86, type: 'binary' },
  paramValueCmode: { id: 87, type: 'u8', enum: ParamCmode },
  regionName: { id: 88, type: 'string' },
  regionSize: { id: 89, type: 'u64' },
  regionSnapshots: { id: 90, type: 'nest', nested: () => regionSnapshotsAttrs },
  regionSnapshotId: { id: 92, type: 'u32' },
  regionChunks: { id: 93, type: 'nest', nested: () => regionChunksAttrs },
  regionChunkAddr: { id: 96, type: 'u64' },
  regionChunkLen: { id: 97, type: 'u64' },
  infoDriverName: { id: 98, type: 'string' },
  infoSerialNumber: { id: 99, type: 'string' },
  infoVersionFixed: { id: 100, type: 'nest', multi: true, nested: () => infoVersionAttrs },
  infoVersionRunning: { id: 101, type: 'nest', multi: true, nested: () => infoVersionAttrs },
  infoVersionStored: { id: 102, type: 'nest', multi: true, nested: () => infoVersionAttrs },
  sbPoolCellSize: { id: 105, type: 'u32' },
  fmsg: { id: 106, type: 'binary' },
  healthReporter: { id: 114, type: 'nest', nested: () => healthReporterAttrs },
  healthReporterName: { id: 115, type: 'string' },
  healthReporterGracefulPeriod: { id: 120, type: 'u64' },
  healthReporterAutoRecover: { id: 121, type: 'u8' },
  flashUpdateFileName: { id: 122, type: 'string' },
  flashUpdateComponent: { id: 123, type: 'string' },
  flashUpdateStatusMsg: { id: 124, type: 'string' },
  flashUpdateStatusDone: { id: 125, type: 'u64' },
  flashUpdateStatusTotal: { id: 126, type: 'u64' },
  portPciPfNumber: { id: 127, type: 'u16' },
  portPciVfNumber: { id: 128, type: 'u16' },
  stats: { id: 129, type: 'binary' },
  trapName: { id: 130, type: 'string' },
  trapAction: { id: 131, type: 'u8' },
  trapType: { id: 132, type: 'u8' },
  trapGeneric: { id: 133, type: 'flag' },
  trapMetadata: { id: 134, type: 'binary' },
  trapGroupName: { id: 135, type: 'string' },
  reloadFailed: { id: 136, type: 'u8' },
  netnsFd: { id: 138, type: 'u32' },
  netnsPid: { id: 139, type: 'u32' },
  netnsId: { id: 140, type: 'u32' },
  healthReporterAutoDump: { id: 141, type: 'u8' },
  trapPolicerId: { id: 142, type: 'u32' },
  trapPolicerRate: { id: 143, type: 'u64' },
  trapPolicerBurst: { id: 144, type: 'u64' },
  portFunction: { id: 145, type: 'nest', nested: () => portFunctionAttrs },
  infoBoardSerialNumber: { id: 146, type: 'string' },
  portLanes: { id: 147, type: 'u32' },
  portSplittable: { id: 148, type: 'u8' },
  portExternal: { id: 149, type: 'u8' },
  portControllerNumber: { id: 150, type: 'u32' },
  flashUpdateStatusTimeout: { id: 151, type: 'u64' },
  flashUpdateOverwriteMask: { id: 152, type: 'bitfield32' },
  reloadAction: { id: 153, type: 'u8' },
  reloadActionsPerformed: { id: 154, type: 'bitfield32' },
  reloadLimits: { id: 155, type: 'bitfield32' },
  devStats: { id: 156, type: 'nest', nested: (): AttrSet<AttrDefs> => reloadStatsAttrs },
  portPciSfNumber: { id: 164, type: 'u32' },
  rateType: { id: 165, type: 'u16', enum: RateType },
  rateTxShare: { id: 166, type: 'u64' },
  rateTxMax: { id: 167, type: 'u64' },
  rateNodeName: { id: 168, type: 'string' },
  rateParentNodeName: { id: 169, type: 'string' },
  regionMaxSnapshots: { id: 170, type: 'u32' },
  linecardIndex: { id: 171, type: 'u32' },
  linecardState: { id: 172, type: 'u8' },
  linecardType: { id: 173, type: 'string' },
  linecardSupportedTypes: { id: 174, type: 'binary' },
  nestedDevlink: { id: 175, type: 'nest', multi: true, nested: () => handleAttrs },
  selftests: { id: 176, type: 'binary' },
  rateTxPriority: { id: 177, type: 'u32' },
  rateTxWeight: { id: 178, type: 'u32' },
  regionDirect: { id: 179, type: 'flag' },
  /** One nest per traffic class, each with RATE_TC_INDEX and RATE_TC_BW (Linux 6.16+). */
  rateTcBws: { id: 180, type: 'nest', multi: true, nested: (): AttrSet<AttrDefs> => rateTcBwAttrs },
  rateTcIndex: { id: 181, type: 'u8' },
  rateTcBw: { id: 182, type: 'u32' },
});

/** Inside DEVLINK_ATTR_RATE_TC_BWS: the top-level numbers, as the kernel nests them. */
export const rateTcBwAttrs = defineAttrSet('rate-tc-bws', {
  rateTcIndex: { id: 181, type: 'u8' },
  rateTcBw: { id: 182, type: 'u32' },
});

export type DevlinkAttrs = typeof devlinkAttrs.defs;
