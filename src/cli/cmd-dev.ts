/**
 * devlink dev: show, eswitch show/set, info, param show/set, reload, with iproute2's
 * arguments, messages and output.
 */
import * as fs from 'fs';
import { Cmd } from '../devlink/constants';
import { netnsPathOf } from '../devlink/reload';
import { decodeMessage, deviceFrom } from '../devlink/decode';
import type { DevlinkParam, NetnsTarget, ParamValue } from '../devlink/types';
import {
  Args, nextDevHandle, nextEnum, nextStr, parseBool, parseKeywords, parseUint, requireKeywords, UsageError,
} from './args';
import { printDev, printEswitch, printInfo, printParam, printReload, PARAM_WORDS } from './print';
import type { Session } from './session';

/** dev show [DEV]. */
export async function devShow(s: Session, a: Args): Promise<void> {
  const dev = a.empty ? undefined : nextDevHandle(a);
  a.done();
  const dl = await s.devlink();
  const p = s.printer;
  await p.section('dev', async () => {
    if (s.opts.stats) {
      // -s: the reload statistics come with the raw message, not with the typed device
      const msgs = dev === undefined ? await dl.dump(Cmd.GET, {}) : await dl.request(Cmd.GET, { busName: dev.split('/')[0], devName: dev.split('/')[1] });
      for (const m of msgs) {
        const attrs = decodeMessage(m);
        printDev(p, deviceFrom(attrs), attrs.devStats);
      }
    } else {
      for (const d of dev === undefined ? await dl.devices() : [await dl.device(dev)]) printDev(p, d);
    }
  });
}

const ESW_MODES = ['legacy', 'switchdev'] as const;
const INLINE_MODES = ['none', 'link', 'network', 'transport'] as const;

/** dev eswitch show DEV. */
export async function eswitchShow(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  a.done();
  const dl = await s.devlink();
  await s.printer.section('dev', async () => {
    printEswitch(s.printer, await dl.eswitch(dev));
  });
}

/** dev eswitch set DEV [mode M] [inline-mode M] [encap-mode M]. */
export async function eswitchSet(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  let mode: (typeof ESW_MODES)[number] | undefined;
  let inlineMode: (typeof INLINE_MODES)[number] | undefined;
  let encapMode: 'none' | 'basic' | undefined;
  parseKeywords(a, [
    ['mode', (x) => (mode = nextEnum(x, ESW_MODES, 'eswitch mode'))],
    ['inline-mode', (x) => (inlineMode = nextEnum(x, INLINE_MODES, 'eswitch inline mode'))],
    ['encap-mode', (x) => (encapMode = encapModeOf(nextStr(x)))],
  ]);
  if (mode === undefined && inlineMode === undefined && encapMode === undefined) throw new UsageError('Need to set at least one option');
  const dl = await s.devlink();
  await dl.setEswitch(dev, {
    ...(mode !== undefined ? { mode } : {}), ...(inlineMode !== undefined ? { inlineMode } : {}), ...(encapMode !== undefined ? { encapMode } : {}),
  });
}

/** iproute2 still takes the enable/disable of its first implementation. */
function encapModeOf(v: string): 'none' | 'basic' {
  if (v === 'none' || v === 'disable') return 'none';
  if (v === 'basic' || v === 'enable') return 'basic';
  throw new UsageError(`Unknown eswitch encap mode "${v}"`);
}

/** dev info [DEV]. */
export async function devInfo(s: Session, a: Args): Promise<void> {
  const dev = a.empty ? undefined : nextDevHandle(a);
  a.done();
  const dl = await s.devlink();
  await s.printer.section('info', async () => {
    for (const info of dev === undefined ? await dl.infos() : [await dl.info(dev)]) printInfo(s.printer, info);
  });
}

/** dev param show [DEV [name NAME]] (DEV alone: that device's parameters, as newer iproute2). */
export async function paramShow(s: Session, a: Args): Promise<void> {
  const dev = a.empty ? undefined : nextDevHandle(a);
  let name: string | undefined;
  parseKeywords(a, [['name', (x) => (name = nextStr(x))]]);
  const dl = await s.devlink();
  await s.printer.section('param', async () => {
    const params = dev !== undefined && name !== undefined ? [await dl.param(dev, name)] : await dl.params(dev !== undefined ? { dev } : {});
    for (const p of params) printParam(s.printer, p, true);
  });
}

const CMODES = ['runtime', 'driverinit', 'permanent'] as const;

/**
 * dev param set DEV name NAME value VALUE cmode CMODE. As iproute2: the parameter is read
 * first, the value parsed by its type, and nothing is sent when it already has that value.
 */
export async function paramSet(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  let name = '';
  let value = '';
  let cmode: (typeof CMODES)[number] = 'runtime';
  const seen = parseKeywords(a, [
    ['name', (x) => (name = nextStr(x))],
    ['value', (x) => (value = nextStr(x))],
    ['cmode', (x) => (cmode = nextEnum(x, CMODES, 'configuration mode'))],
  ]);
  requireKeywords(seen, [['name', 'Parameter name expected.'], ['value', 'Value to set expected.'], ['cmode', 'Configuration mode expected.']]);
  const dl = await s.devlink();
  const current = await dl.param(dev, name);
  const now = current.values.find((v) => v.cmode === cmode);
  if (!now) throw new UsageError('Configuration mode not supported');
  const wanted = paramValueOf(current, value);
  if (wanted === now.value) return;
  await dl.setParam(dev, name, wanted, { cmode });
}

function paramValueOf(p: DevlinkParam, s: string): ParamValue {
  const bad = (): never => {
    throw new UsageError(`Value "${s}" is not a number or not within range`);
  };
  const max = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as const;
  switch (p.type) {
    case 'u8': case 'u16': case 'u32': {
      const words = PARAM_WORDS[p.name];
      const n = words ? words[s] : parseUint(s, max[p.type]);
      return n === undefined ? bad() : n;
    }
    case 'u64':
      return /^\d+$/.test(s) && BigInt(s) < 1n << 64n ? BigInt(s) : bad();
    case 'bool': {
      const b = parseBool(s);
      return b === undefined ? bad() : b;
    }
    case 'string':
      return s;
    default:
      throw new UsageError('Value type not supported');
  }
}

/** dev reload DEV [netns { PID | NAME | PATH }] [action driver_reinit|fw_activate] [limit no_reset]. */
export async function devReload(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  let action: 'driver_reinit' | 'fw_activate' | undefined;
  let limit: 'no_reset' | undefined;
  let netns: NetnsTarget | undefined;
  parseKeywords(a, [
    ['netns', (x) => (netns = nextNetns(x))],
    ['action', (x) => (action = nextEnum(x, ['driver_reinit', 'fw_activate'] as const, 'reload action'))],
    ['limit', (x) => (limit = nextEnum(x, ['no_reset'] as const, 'reload limit'))],
  ]);
  const dl = await s.devlink();
  const r = await dl.reload(dev, { ...(netns !== undefined ? { netns } : {}), ...(action ? { action } : {}), ...(limit ? { limit } : {}) });
  // the kernel answers with the actions performed only when an action or limit was given
  if (r.actionsPerformed !== undefined) printReload(s.printer, r.actionsPerformed);
}

/**
 * iproute2's netns argument: a name in /var/run/netns or a path if one can be opened,
 * else a PID (netns_get_fd, then dl_argv_uint32_t).
 */
export function nextNetns(a: Args): NetnsTarget {
  const word = nextStr(a);
  try {
    fs.accessSync(netnsPathOf(word), fs.constants.R_OK);
    return word;
  } catch {
    const pid = parseUint(word);
    if (pid === undefined) throw new UsageError(`"${word}" is not a number or not within range`);
    return { pid };
  }
}
