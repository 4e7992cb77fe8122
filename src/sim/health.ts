/**
 * Health reporters as the devlink core keeps them (struct devlink_health_reporter in
 * net/devlink/leftover.c, 6.1): created by a driver on an instance or a port with its ops
 * (recover, diagnose, dump), a grace period, auto_recover = !!ops->recover and auto_dump
 * = !!ops->dump. devlink_health_report() counts the error, turns the state to error,
 * announces it (HEALTH_REPORTER_RECOVER to the config group), refuses to recover again
 * within the grace period (ECANCELED), takes a dump if auto_dump and none is stored, and
 * recovers if auto_recover, announcing the healthy state again.
 *
 * Formatted messages (fmsg) are kept as the kernel keeps them: a list of items, written
 * out by FmsgWriter's helpers named after devlink_fmsg_*_pair_put.
 */
import * as os from 'os';
import { Errno, Instance, Port } from './model';
import { ExtAck } from './policy';
import { E } from './uapi';

/** errno values <uapi/asm-generic/errno*.h> the rest of the simulator does not use. */
export const ECANCELED = 125;
export const EAGAIN = 11;

/** enum devlink_health_reporter_state. */
export const enum HealthState { HEALTHY = 0, ERROR = 1 }

/** The NLA_* value types of fmsg. */
export const enum FmsgNla { U8 = 1, U32 = 3, U64 = 4, FLAG = 6, NUL_STRING = 10, BINARY = 11 }

export type FmsgItem =
  | { readonly t: 'obj' | 'pair' | 'arr' | 'end' }
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'value'; readonly type: FmsgNla; readonly value: number | bigint | boolean | string | Buffer };

/** devlink_fmsg: the items in order. */
export class FmsgWriter {
  readonly items: FmsgItem[] = [];

  objStart(): this { this.items.push({ t: 'obj' }); return this; }
  objEnd(): this { this.items.push({ t: 'end' }); return this; }
  arrEnd(): this { this.items.push({ t: 'end' }); return this; }

  private pairStart(name: string): void {
    this.items.push({ t: 'pair' }, { t: 'name', name });
  }

  /** devlink_fmsg_obj_nest_start inside a pair: devlink_fmsg_pair_nest_start + obj. */
  pairObjStart(name: string): this {
    this.pairStart(name);
    return this.objStart();
  }

  /** devlink_fmsg_pair_nest_end after an object. */
  pairObjEnd(): this {
    this.objEnd();
    this.items.push({ t: 'end' });
    return this;
  }

  /** devlink_fmsg_arr_pair_nest_start. */
  arrPairStart(name: string): this {
    this.pairStart(name);
    this.items.push({ t: 'arr' });
    return this;
  }

  /** devlink_fmsg_arr_pair_nest_end. */
  arrPairEnd(): this {
    this.items.push({ t: 'end' }, { t: 'end' });
    return this;
  }

  private put(name: string, type: FmsgNla, value: number | bigint | boolean | string | Buffer): this {
    this.pairStart(name);
    this.items.push({ t: 'value', type, value }, { t: 'end' });
    return this;
  }

  u8(name: string, v: number): this { return this.put(name, FmsgNla.U8, v); }
  u32(name: string, v: number): this { return this.put(name, FmsgNla.U32, v); }
  u64(name: string, v: bigint): this { return this.put(name, FmsgNla.U64, v); }
  bool(name: string, v: boolean): this { return this.put(name, FmsgNla.FLAG, v); }
  string(name: string, v: string): this { return this.put(name, FmsgNla.NUL_STRING, v); }
  /** devlink_fmsg_binary_pair_put: an array pair holding the bytes (in chunks of at most 4 KiB). */
  binary(name: string, v: Buffer): this {
    this.arrPairStart(name);
    for (let at = 0; at < v.length || at === 0; at += 4096) {
      this.items.push({ t: 'value', type: FmsgNla.BINARY, value: v.subarray(at, at + 4096) });
      if (v.length === 0) break;
    }
    return this.arrPairEnd();
  }
}

export interface ReporterOps {
  readonly name: string;
  recover?(r: SimReporter, ext: ExtAck | undefined): void;
  diagnose?(r: SimReporter, f: FmsgWriter, ext: ExtAck): void;
  dump?(r: SimReporter, f: FmsgWriter, ext: ExtAck | undefined): void;
}

/** What the core does with a reporter's state changes (DevlinkCore implements it in cmd-health.ts). */
export type RecoverNotify = (r: SimReporter) => void;

export class SimReporter {
  state = HealthState.HEALTHY;
  errorCount = 0n;
  recoverCount = 0n;
  autoRecover: boolean;
  autoDump: boolean;
  dumpItems: FmsgItem[] | undefined;
  /** jiffies_to_msecs(dump_ts) and ktime_get_real_ns() when the dump was taken. */
  dumpTs = 0n;
  dumpRealTs = 0n;
  lastRecoveryMs = 0;

  constructor(
    readonly inst: Instance,
    readonly port: Port | undefined,
    readonly ops: ReporterOps,
    public gracePeriod: bigint,
    private readonly notify: RecoverNotify,
  ) {
    this.autoRecover = ops.recover !== undefined;
    this.autoDump = ops.dump !== undefined;
  }

  /** devlink_health_do_dump: nothing when the ops cannot dump or a dump is stored. */
  doDump(ext: ExtAck | undefined): void {
    if (!this.ops.dump || this.dumpItems) return;
    const f = new FmsgWriter().objStart();
    this.ops.dump(this, f, ext);
    f.objEnd();
    this.dumpItems = f.items;
    this.dumpTs = BigInt(Math.round(os.uptime() * 1000));
    this.dumpRealTs = BigInt(Date.now()) * 1_000_000n;
  }

  /** devlink_health_reporter_recover. */
  recover(ext: ExtAck | undefined): void {
    if (this.state === HealthState.HEALTHY) return;
    if (!this.ops.recover) throw new Errno(-E.EOPNOTSUPP);
    this.ops.recover(this, ext);
    this.recoverCount++;
    this.lastRecoveryMs = performance.now();
    this.state = HealthState.HEALTHY;
    this.notify(this);
  }

  /** devlink_health_report: 0, or -ECANCELED when the grace period stops the recovery. */
  report(): number {
    this.errorCount++;
    const prev = this.state;
    this.state = HealthState.ERROR;
    this.notify(this);
    const withinGrace = this.lastRecoveryMs !== 0 && this.recoverCount > 0n && performance.now() < this.lastRecoveryMs + Number(this.gracePeriod);
    if (this.autoRecover && (prev !== HealthState.HEALTHY || withinGrace)) return -ECANCELED;
    if (this.autoDump) this.doDump(undefined);
    if (!this.autoRecover) return 0;
    try {
      this.recover(undefined);
      return 0;
    } catch (e) {
      if (e instanceof Errno) return e.err;
      throw e;
    }
  }
}

const REPORTERS = new WeakMap<Instance, SimReporter[]>();

/** An instance's reporters, its ports' included, in creation order. */
export function reportersOf(inst: Instance): SimReporter[] {
  let list = REPORTERS.get(inst);
  if (!list) REPORTERS.set(inst, (list = []));
  return list;
}

/** devlink_health_reporter_create / devlink_port_health_reporter_create: EEXIST for a name taken. */
export function reporterCreate(inst: Instance, port: Port | undefined, ops: ReporterOps, gracePeriod: bigint, notify: RecoverNotify): SimReporter {
  const list = reportersOf(inst);
  if (list.some((r) => r.port === port && r.ops.name === ops.name)) throw new Errno(-E.EEXIST);
  const r = new SimReporter(inst, port, ops, gracePeriod, notify);
  list.push(r);
  return r;
}

/** devlink_(port_)health_reporter_destroy. */
export function reporterDestroy(r: SimReporter): void {
  const list = reportersOf(r.inst);
  const i = list.indexOf(r);
  if (i >= 0) list.splice(i, 1);
}
