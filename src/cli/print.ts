/**
 * The devlink objects printed as iproute2's devlink prints them: the same fields in the
 * same order, each only when the kernel sent it, through the Printer's primitives in
 * the order devlink.c calls them (pr_out_port, pr_out_eswitch, pr_out_info, ...).
 */
import type {
  DeviceInfo, DevlinkDevice, DevlinkParam, DevlinkPort, DevlinkRate, EswitchInfo, ParamValue, PortFunction,
} from '../devlink/types';
import { formatRate, Printer } from './output';
import { FN_CAP_NAMES, FN_CAP_WORDS } from '../devlink/constants';

const FLAVOURS = new Set(['physical', 'cpu', 'dsa', 'pcipf', 'pcivf', 'pcisf', 'virtual']);
const PORT_TYPES = new Set(['notset', 'auto', 'eth', 'ib']);

function portTypeName(t: string | number): string {
  return typeof t === 'string' && PORT_TYPES.has(t) ? t : '<unknown type>';
}

function flavourName(f: string | number): string {
  return typeof f === 'string' && FLAVOURS.has(f) ? f : '<unknown flavour>';
}

function stateName(s: string | number, names: readonly string[]): string {
  return typeof s === 'string' && names.includes(s) ? s : '<unknown state>';
}

/** pr_out_port. */
export function printPort(p: Printer, port: DevlinkPort): void {
  p.portHandleStart(port.handle);
  p.checkIndentNewline();
  p.str('type', 'type ', portTypeName(port.type));
  if (port.desiredType !== undefined && port.desiredType !== port.type) p.str('des_type', ' des_type ', portTypeName(port.desiredType));
  if (port.netdev !== undefined) p.str('netdev', ' netdev ', port.netdev);
  if (port.ibdev !== undefined) p.str('ibdev', ' ibdev ', port.ibdev);
  if (port.flavour !== undefined) {
    p.str('flavour', ' flavour ', flavourName(port.flavour));
    if (port.flavour === 'pcipf' || port.flavour === 'pcivf' || port.flavour === 'pcisf') {
      if (port.controller !== undefined) p.uint('controller', ' controller ', port.controller);
      if (port.pfnum !== undefined) p.uint('pfnum', ' pfnum ', port.pfnum);
      if (port.vfnum !== undefined) p.uint('vfnum', ' vfnum ', port.vfnum);
      if (port.sfnum !== undefined) p.uint('sfnum', ' sfnum ', port.sfnum);
      if (port.external !== undefined) p.bool('external', ' external ', port.external);
    }
  }
  if (port.linecard !== undefined) p.uint('lc', ' lc ', port.linecard);
  if (port.number !== undefined) p.uint('port', ' port ', port.number);
  if (port.splitGroup !== undefined) p.uint('split_group', ' split_group ', port.splitGroup);
  if (port.splittable !== undefined) p.bool('splittable', ' splittable ', port.splittable);
  if (port.lanes !== undefined) p.uint('lanes', ' lanes ', port.lanes);
  if (port.function !== undefined) printPortFunction(p, port.function);
  p.portHandleEnd();
}

/** pr_out_port_function, with the capabilities, max_io_eqs and nested devlink of newer iproute2. */
function printPortFunction(p: Printer, f: PortFunction): void {
  p.objectStart('function');
  p.checkIndentNewline();
  if (f.hwAddr !== undefined) p.str('hw_addr', 'hw_addr ', f.hwAddr);
  if (f.state !== undefined) p.str('state', ' state ', stateName(f.state, ['inactive', 'active']));
  if (f.opstate !== undefined) p.str('opstate', ' opstate ', stateName(f.opstate, ['attached', 'detached']));
  for (const k of FN_CAP_NAMES) {
    const word = FN_CAP_WORDS[k];
    const v = f.caps?.[k];
    if (v !== undefined) p.str(word, ` ${word} `, v ? 'enable' : 'disable');
  }
  if (f.maxIoEqs !== undefined) p.uint('max_io_eqs', ' max_io_eqs ', f.maxIoEqs);
  if (f.devlink !== undefined) {
    p.objectStart('nested_devlink');
    p.checkIndentNewline();
    p.handleStart(f.devlink, false);
    p.handleEnd();
    if (!p.json) p.indentDec();
    p.objectEnd();
  }
  if (!p.json) p.indentDec();
  p.objectEnd();
}

/** pr_out_dev; `stats` is the decoded DEVLINK_ATTR_DEV_STATS nest, printed with -s. */
export function printDev(p: Printer, d: DevlinkDevice, stats?: unknown): void {
  if (d.reloadFailed === true || stats !== undefined) {
    p.handleStart(d.handle, true);
    if (d.reloadFailed === true) {
      p.checkIndentNewline();
      p.bool('reload_failed', 'reload_failed ', true);
    }
    if (stats !== undefined) printDevStats(p, stats);
    p.handleEnd();
  } else {
    p.handleStart(d.handle, false);
    p.handleEnd();
  }
}

type Nest = Record<string, unknown>;

function asNest(x: unknown): Nest | undefined {
  return x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Nest) : undefined;
}

function asList(x: unknown): Nest[] {
  if (Array.isArray(x)) return x.map(asNest).filter((n): n is Nest => n !== undefined);
  const n = asNest(x);
  return n ? [n] : [];
}

const RELOAD_ACTIONS: Record<number, string> = { 1: 'driver_reinit', 2: 'fw_activate' };
const RELOAD_LIMITS: Record<number, string> = { 0: 'unspecified', 1: 'no_reset' };

/** pr_out_reload_data's stats part: reload and remote_reload counters per action and limit. */
function printDevStats(p: Printer, stats: unknown): void {
  const s = asNest(stats);
  if (!s) return;
  p.objectStart('stats');
  for (const [key, name] of [['reloadStats', 'reload'], ['remoteReloadStats', 'remote_reload']] as const) {
    const r = asNest(s[key]);
    if (!r) continue;
    p.objectStart(name);
    for (const info of asList(r.reloadActionInfo)) {
      const action = info.reloadAction;
      if (typeof action !== 'number') break;
      p.objectStart(RELOAD_ACTIONS[action] ?? '<unknown reload action>');
      for (const stat of asList(info.reloadActionStats)) {
        for (const entry of asList(stat.reloadStatsEntry)) {
          const limit = entry.reloadStatsLimit;
          const value = entry.reloadStatsValue;
          if (typeof limit !== 'number' || typeof value !== 'number') break;
          p.checkIndentNewline();
          const ln = RELOAD_LIMITS[limit] ?? '<unknown reload action>';
          p.uint(ln, `${ln} `, value);
        }
      }
      p.objectEnd();
    }
    p.objectEnd();
  }
  p.objectEnd();
}

const ESW_MODES = ['legacy', 'switchdev'];
const INLINE_MODES = ['none', 'link', 'network', 'transport'];
const ENCAP_MODES = ['none', 'basic'];

function modeName(v: string | number, names: readonly string[]): string {
  return typeof v === 'string' && names.includes(v) ? v : '<unknown mode>';
}

/** pr_out_eswitch. */
export function printEswitch(p: Printer, e: EswitchInfo): void {
  p.handleStart(e.handle, true);
  if (e.mode !== undefined) {
    p.checkIndentNewline();
    p.str('mode', 'mode ', modeName(e.mode, ESW_MODES));
  }
  if (e.inlineMode !== undefined) {
    p.checkIndentNewline();
    p.str('inline-mode', 'inline-mode ', modeName(e.inlineMode, INLINE_MODES));
  }
  if (e.encapMode !== undefined) {
    p.checkIndentNewline();
    p.str('encap-mode', 'encap-mode ', modeName(e.encapMode, ENCAP_MODES));
  }
  p.handleEnd();
}

/** cmd_versions_show_cb + pr_out_info: nothing at all for a device with no information. */
export function printInfo(p: Printer, info: DeviceInfo): void {
  const kinds = ['fixed', 'running', 'stored'] as const;
  const hasVersions = kinds.some((k) => Object.keys(info.versions[k]).length > 0);
  if (!hasVersions && info.driver === undefined && info.serialNumber === undefined && info.boardSerialNumber === undefined) return;
  p.handleStart(info.handle, true);
  p.indentInc();
  for (const [key, v] of [['driver', info.driver], ['serial_number', info.serialNumber], ['board.serial_number', info.boardSerialNumber]] as const) {
    if (v === undefined) continue;
    if (!p.json) p.newline();
    p.checkIndentNewline();
    p.str(key, `${key} `, v);
  }
  p.indentDec();
  if (hasVersions) {
    p.objectStart('versions');
    for (const k of kinds) {
      const entries = Object.entries(info.versions[k]);
      if (entries.length === 0) continue;
      p.objectStart(k);
      for (const [name, value] of entries) {
        p.checkIndentNewline();
        p.str(name, `${name} `, value);
        if (!p.json) p.newline();
      }
      p.objectEnd();
    }
    p.objectEnd();
  }
  p.handleEnd();
}

/** param_val_conv: parameters whose numbers iproute2 shows as words. */
export const PARAM_WORDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  fw_load_policy: { driver: 0, flash: 1, disk: 2, unknown: 3 },
  reset_dev_on_drv_probe: { unknown: 0, always: 1, never: 2, disk: 3 },
};

function paramWord(name: string, v: number): string | undefined {
  const words = PARAM_WORDS[name];
  if (!words) return undefined;
  return Object.entries(words).find(([, n]) => n === v)?.[0];
}

/** pr_out_param: grouped by device (`array`, for show) or one per event (monitor). */
export function printParam(p: Printer, param: DevlinkParam, array: boolean): void {
  p.handleStart(param.handle, true, array);
  p.checkIndentNewline();
  p.str('name', 'name ', param.name);
  p.raw(' ');
  p.str('type', 'type ', param.generic ? 'generic' : 'driver-specific');
  p.arrayStart('values');
  for (const v of param.values) {
    p.entryStart();
    printParamValue(p, param, v.cmode, v.value);
    p.entryEnd();
  }
  p.arrayEnd();
  p.handleEnd();
}

const CMODES = ['runtime', 'driverinit', 'permanent'];

function printParamValue(p: Printer, param: DevlinkParam, cmode: string | number, value: ParamValue | undefined): void {
  if (value === undefined) return;
  p.checkIndentNewline();
  p.str('cmode', 'cmode ', typeof cmode === 'string' && CMODES.includes(cmode) ? cmode : '<unknown type>');
  switch (param.type) {
    case 'u8': case 'u16': case 'u32': {
      const word = paramWord(param.name, Number(value));
      if (PARAM_WORDS[param.name] && word === undefined) return;
      if (word !== undefined) p.str('value', ' value ', word);
      else p.uint('value', ' value ', Number(value));
      return;
    }
    case 'u64': p.uint('value', ' value ', BigInt(value as bigint | number)); return;
    case 'string': p.str('value', ' value ', String(value)); return;
    case 'bool': p.bool('value', ' value ', value === true); return;
    default: return;
  }
}

/** pr_out_port_fn_rate. */
export function printRate(p: Printer, r: DevlinkRate): void {
  p.portHandleStart(r.handle);
  p.checkIndentNewline();
  p.str('type', 'type ', r.type === 'leaf' || r.type === 'node' ? r.type : '<unknown type>');
  if (r.txShare) printRateValue(p, 'tx_share', r.txShare);
  if (r.txMax) printRateValue(p, 'tx_max', r.txMax);
  if (r.txPriority) p.uint('tx_priority', ' tx_priority ', r.txPriority);
  if (r.txWeight) p.uint('tx_weight', ' tx_weight ', r.txWeight);
  if (r.parent !== undefined) p.str('parent', ' parent ', r.parent);
  p.portHandleEnd();
}

function printRateValue(p: Printer, key: string, bytes: bigint): void {
  if (p.json) p.uint(key, '', bytes);
  else p.raw(` ${key} ${formatRate(bytes, p.iec)}`);
}

/** pr_out_reload_actions_performed, inside its "reload" section. */
export function printReload(p: Printer, actions: readonly string[]): void {
  p.section('reload', () => {
    p.setNewlineCount(1);
    p.arrayStart('reload_actions_performed');
    for (const a of actions) {
      p.checkIndentNewline();
      p.str(undefined, '', a);
    }
    p.arrayEnd();
    if (!p.json) p.newline();
  });
}

/** pr_out_mon_header / footer: `[port,new] ` or {"command":"new","port":{...}}. */
export function monHeader(p: Printer, obj: string, cmd: string): void {
  if (p.json) {
    p.jsonOpen();
    p.str('command', '', cmd);
    p.jsonOpen(obj);
  } else {
    p.out(`[${obj},${cmd}] `);
  }
}

export function monFooter(p: Printer): void {
  if (!p.json) return;
  p.jsonClose();
  p.jsonClose();
}
