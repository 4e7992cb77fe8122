/**
 * Argument handling in iproute2's manner: a cursor over the words of one command,
 * keywords matched by prefix ("sh" for "show", "fl" for "flavour") in a fixed order,
 * and the same parse rules and messages as devlink's dl_argv_parse() for the keywords
 * we share with it. Values are parsed strictly (decimal integers, iproute2's rate
 * units); handles are checked here only for their shape, the library checks the rest.
 */
import type { FnCapName } from '../devlink/constants';

/** A command-line mistake: printed as it is (iproute2 prints no "Error:" for these), exit 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** iproute2's matches(): `word` is a non-empty prefix of `pattern`. */
export function matches(word: string | undefined, pattern: string): boolean {
  return word !== undefined && word.length > 0 && word.length <= pattern.length && pattern.startsWith(word);
}

export class Args {
  private i = 0;
  constructor(private readonly words: readonly string[]) {}

  get count(): number {
    return this.words.length - this.i;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  peek(): string | undefined {
    return this.words[this.i];
  }

  next(): string | undefined {
    return this.i < this.words.length ? this.words[this.i++] : undefined;
  }

  /** The current word is a prefix of `pattern`. */
  match(pattern: string): boolean {
    return matches(this.peek(), pattern);
  }

  /** Consume the current word when it is a prefix of `pattern`. */
  take(pattern: string): boolean {
    if (!this.match(pattern)) return false;
    this.i++;
    return true;
  }

  rest(): string[] {
    const r = this.words.slice(this.i);
    this.i = this.words.length;
    return r;
  }

  /** Fail on anything left over, as dl_argv_parse does. */
  done(): void {
    if (!this.empty) throw new UsageError(`Unknown option "${this.peek()}"`);
  }
}

const U32_MAX = 0xffffffff;

/** get_u32/get_u16/get_u8 with base 10. */
export function parseUint(s: string, max = U32_MAX): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** dl_argv_uint32_t and friends: the next word as an unsigned number. */
export function nextUint(a: Args, max = U32_MAX): number {
  const s = a.next();
  if (s === undefined) throw new UsageError('Unsigned number argument expected');
  const n = parseUint(s, max);
  if (n === undefined) throw new UsageError(`"${s}" is not a number or not within range`);
  return n;
}

/**
 * dl_argv_uint64_t: get_u64, i.e. strtoull: leading white space and a sign are taken, a
 * negative number wraps (" -1" is 2^64 - 1, how devlink.sh resets a resource's size).
 */
export function nextU64(a: Args): bigint {
  const s = a.next();
  if (s === undefined) throw new UsageError('Unsigned number argument expected');
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  const v = m ? BigInt(m[2]) : undefined;
  if (!m || v === undefined || v >= 1n << 64n) throw new UsageError(`"${s}" is not a number or not within range`);
  return m[1] === '-' ? BigInt.asUintN(64, -v) : v;
}

/** dl_argv_str. */
export function nextStr(a: Args): string {
  const s = a.next();
  if (s === undefined) throw new UsageError('String parameter expected');
  return s;
}

/** iproute2's strtobool: true/1/enable, false/0/disable. */
export function parseBool(s: string): boolean | undefined {
  if (s === 'true' || s === '1' || s === 'enable') return true;
  if (s === 'false' || s === '0' || s === 'disable') return false;
  return undefined;
}

export function nextBool(a: Args): boolean {
  const s = a.next();
  if (s === undefined) throw new UsageError('Boolean argument expected');
  const b = parseBool(s);
  if (b === undefined) throw new UsageError(`"${s}" is not a valid boolean value`);
  return b;
}

/** One of `values` (exact, as iproute2 compares them), else `Unknown <what> "<s>"`. */
export function nextEnum<T extends string>(a: Args, values: readonly T[], what: string): T {
  const s = nextStr(a);
  if (!(values as readonly string[]).includes(s)) throw new UsageError(`Unknown ${what} "${s}"`);
  return s as T;
}

/** iproute2's rate suffixes (lib/utils_math.c), compared case-insensitively in this order. */
const RATE_SUFFIXES: readonly [string, number][] = [
  ['bit', 1], ['Kibit', 1024], ['kbit', 1000], ['mibit', 1024 ** 2], ['mbit', 1e6],
  ['gibit', 1024 ** 3], ['gbit', 1e9], ['tibit', 1024 ** 4], ['tbit', 1e12],
  ['Bps', 8], ['KiBps', 8 * 1024], ['KBps', 8000], ['MiBps', 8 * 1024 ** 2], ['MBps', 8e6],
  ['GiBps', 8 * 1024 ** 3], ['GBps', 8e9], ['TiBps', 8 * 1024 ** 4], ['TBps', 8e12],
];

/**
 * get_rate64(): a decimal number (strtod's form) with an optional unit; a bare number is
 * bits per second. Returns bytes per second, truncated, or undefined when not a rate.
 */
export function parseRate(s: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)$/s.exec(s);
  if (!m) return undefined;
  let bps = Number(m[1]);
  const unit = m[2];
  if (unit !== '') {
    const suffix = RATE_SUFFIXES.find(([name]) => name.toLowerCase() === unit.toLowerCase());
    if (!suffix) return undefined;
    bps *= suffix[1];
  }
  const bytes = Math.trunc(bps / 8);
  if (!Number.isFinite(bytes) || bytes < 0 || bytes >= 2 ** 64) return undefined;
  return BigInt(bytes);
}

export function nextRate(a: Args): bigint {
  const s = nextStr(a);
  const r = parseRate(s);
  if (r === undefined) throw new UsageError(`Invalid rate value: "${s}"`);
  return r;
}

function slashes(s: string): number {
  return s.split('/').length - 1;
}

/** dl_argv_handle: BUS/DEV. */
export function nextDevHandle(a: Args): string {
  const s = a.next();
  if (s === undefined || slashes(s) !== 1) {
    throw new UsageError(`${s === undefined ? '' : 'Wrong identification string format.\n'}Devlink identification ("bus_name/dev_name") expected`);
  }
  const [bus, dev] = s.split('/');
  if (!bus || !dev) throw new UsageError(`Devlink identification ("bus_name/dev_name") "${s}" is invalid`);
  return s;
}

/** A port identification: BUS/DEV/INDEX (checked) or a netdev name (resolved by the caller). */
export type PortIdent = { readonly kind: 'port'; readonly handle: string } | { readonly kind: 'netdev'; readonly name: string };

export function checkPortHandle(s: string): string {
  const parts = s.split('/');
  if (parts.length !== 3 || !parts[0] || !parts[1]) throw new UsageError(`Port identification "${s}" is invalid`);
  if (parseUint(parts[2]) === undefined) throw new UsageError(`Port index "${parts[2]}" is not a number or not within range`);
  return s;
}

/** dl_argv_handle_port. */
export function nextPortIdent(a: Args): PortIdent {
  const s = a.next();
  if (s === undefined) throw new UsageError('Port identification ("bus_name/dev_name/port_index" or "netdev ifname") expected.');
  switch (slashes(s)) {
    case 0: return { kind: 'netdev', name: s };
    case 2: return { kind: 'port', handle: checkPortHandle(s) };
    default:
      throw new UsageError('Wrong port identification string format.\nExpected "bus_name/dev_name/port_index" or "netdev_ifname".');
  }
}

/** dl_argv_handle_both: BUS/DEV, BUS/DEV/INDEX or a netdev name. */
export function nextDevOrPort(a: Args): { readonly kind: 'dev'; readonly handle: string } | PortIdent {
  const s = a.next();
  if (s === undefined) {
    throw new UsageError('One of following identifications expected:\nDevlink identification ("bus_name/dev_name")\n' +
      'Port identification ("bus_name/dev_name/port_index" or "netdev ifname")');
  }
  switch (slashes(s)) {
    case 0: return { kind: 'netdev', name: s };
    case 1: {
      const [bus, dev] = s.split('/');
      if (!bus || !dev) throw new UsageError(`Devlink identification ("bus_name/dev_name") "${s}" is invalid`);
      return { kind: 'dev', handle: s };
    }
    case 2: return { kind: 'port', handle: checkPortHandle(s) };
    default:
      throw new UsageError('Wrong port identification string format.\n' +
        'Expected "bus_name/dev_name" or "bus_name/dev_name/port_index" or "netdev_ifname".');
  }
}

/** dl_argv_handle_rate: BUS/DEV/INDEX (a leaf) or BUS/DEV/NODE. */
export function nextRateHandle(a: Args): { readonly handle: string; readonly node: boolean } {
  const s = a.next();
  if (s === undefined || slashes(s) !== 2) {
    const wrong = s === undefined ? '' : 'Wrong identification string format.\n';
    throw new UsageError(`${wrong}Expected "bus_name/dev_name/node" or "bus_name/dev_name/port_index" identification.`);
  }
  const [bus, dev, id] = s.split('/');
  if (!bus || !dev) throw new UsageError(`Identification "${s}" is invalid`);
  if (!id) throw new UsageError('Identifier cannot be empty');
  if (/^\d+$/.test(id)) {
    if (parseUint(id) === undefined) throw new UsageError(`Port index "${id}" is not a number or not within range`);
    return { handle: s, node: false };
  }
  return { handle: s, node: true };
}

/** dl_argv_handle_rate_node: BUS/DEV/NODE where NODE is not a number. */
export function nextRateNode(a: Args): string {
  const s = a.next();
  if (s === undefined || slashes(s) !== 2) {
    throw new UsageError(`${s === undefined ? '' : 'Wrong identification string format.\n'}Expected "bus_name/dev_name/node" identification.`);
  }
  const [bus, dev, node] = s.split('/');
  if (!bus || !dev) throw new UsageError(`Node identification "${s}" is invalid`);
  if (!node || /^\d+$/.test(node)) throw new UsageError('Node name cannot be a devlink port index or empty.');
  return s;
}

/**
 * Keyword options after the handle: each keyword is tried in the order given (prefix
 * match, like iproute2), its handler consumes the value. Anything else is
 * `Unknown option "x"`.
 */
export type KeywordHandlers = ReadonlyArray<readonly [keyword: string, handle: (a: Args) => void]>;

export function parseKeywords(a: Args, handlers: KeywordHandlers): Set<string> {
  const seen = new Set<string>();
  while (!a.empty) {
    const hit = handlers.find(([k]) => a.match(k));
    if (!hit) throw new UsageError(`Unknown option "${a.peek()}"`);
    a.next();
    hit[1](a);
    seen.add(hit[0]);
  }
  return seen;
}

/** dl_args_finding_required_validate: the first missing keyword's message. */
export function requireKeywords(seen: Set<string>, required: ReadonlyArray<readonly [keyword: string, message: string]>): void {
  for (const [k, msg] of required) if (!seen.has(k)) throw new UsageError(msg);
}

/** `roce enable`, `ipsec_crypto disable`, ...: one keyword per port function capability (iproute2's words). */
export function capKeywords(into: { -readonly [K in FnCapName]?: boolean }): KeywordHandlers {
  // required here: every command loads this file, and only `port function set` needs devlink's tables (the start, issue 16)
  const { FN_CAP_NAMES, FN_CAP_WORDS } = require('../devlink/constants.js') as typeof import('../devlink/constants');
  return FN_CAP_NAMES.map((k) => [FN_CAP_WORDS[k], (x: Args) => (into[k] = nextBool(x))] as const);
}
