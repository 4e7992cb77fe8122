/**
 * What the devlink core's command handlers share: what a doit and a dumpit get (the
 * parsed request and a way to answer), what pre_doit looked up, what they may ask of the
 * core (CoreCtx, which DevlinkCore implements), and the shape of a command's handlers
 * (the kernel's genl_ops: doit and dumpit), which the op table in ops.ts carries.
 * Types only, and cstr: the command modules import this file, never core.ts.
 */
import type { FamilyCtx } from './fill';
import type { Instance, Param, Port, Rate } from './model';
import type { ExtAck, Tb } from './policy';
import type { Request } from './wire';

/** struct devlink_obj_desc: what a notification is about, and what a filter asks for. */
export interface ObjDesc {
  readonly bus?: string;
  readonly dev?: string;
  /** Port notifications only (devlink_nl_obj_desc_port_set). */
  readonly port?: number;
}

/** What a doit gets: the parsed request and a way to reply (genlmsg_reply). */
export interface DoCtx {
  readonly req: Request;
  readonly tb: Tb;
  readonly ext: ExtAck;
  readonly cmd: number;
  reply(msg: Buffer): void;
}

/** What a dumpit gets: attributes (when the op parses them) and a sink for messages. */
export interface DumpCtx {
  readonly req: Request;
  readonly tb: Tb | undefined;
  readonly ext: ExtAck;
  readonly cmd: number;
  put(msg: Buffer): void;
}

/** pre_doit's results. */
export interface Target {
  readonly inst: Instance;
  readonly port?: Port;
  readonly rate?: Rate;
}

/** What a command handler asks of the devlink core. */
export interface CoreCtx {
  readonly family: FamilyCtx;
  readonly instances: readonly Instance[];
  /** NL_SET_ERR_MSG_MOD's prefix added to `msg` (the kernel's module name on 6.1). */
  mod(msg: string): string;
  /** Registered, and in the namespace of the simulator's sockets. */
  visible(inst: Instance): boolean;
  notifyDevice(inst: Instance, cmd: number): void;
  notifyPort(port: Port, cmd: number): void;
  notifyRate(rate: Rate, cmd: number): void;
  notifyParam(inst: Instance, p: Param, cmd: number): void;
  /** A notification the handler built itself; the filter matches it by the handle it carries. */
  notifyRaw(msg: Buffer): void;
  /** NOTIFY_FILTER_SET: the filter of the socket `portid` (undefined: none). */
  setNotifyFilter(portid: number, flt: ObjDesc | undefined): void;
  /** devlink_get_from_attrs. */
  instanceFromAttrs(buf: Buffer, tb: Tb): Instance;
  /** devlink_port_get_from_attrs. */
  portFromAttrs(inst: Instance, buf: Buffer, tb: Tb): Port;
  /** The instances a dump covers, and whether its messages are flagged NLM_F_DUMP_FILTERED. */
  dumpScope(ctx: DumpCtx): { instances: Instance[]; filtered: boolean };
  /** Ports of an instance in dump order. */
  dumpPorts(inst: Instance): Port[];
}

/**
 * genl_ops.doit, run after pre_doit found what the op needs (ops.ts `need`); it throws
 * Errno to refuse. An op that needs nothing ('none') gets no target.
 */
export type Doit = (core: CoreCtx, ctx: DoCtx, t: Target) => void;
/** genl_ops.dumpit: puts the dump's messages; throws Errno for the error NLMSG_DONE carries. */
export type Dumpit = (core: CoreCtx, ctx: DumpCtx) => void;

/** One command's handlers. */
export interface CmdHandlers {
  readonly doit?: Doit;
  readonly dumpit?: Dumpit;
}

/** A command module's handlers by command number. */
export type HandlerTable = { readonly [cmd: number]: CmdHandlers };

/** A NUL-terminated string attribute's value. */
export function cstr(buf: Buffer, data: number, len: number): string {
  const end = buf.indexOf(0, data);
  return buf.toString('utf8', data, end >= 0 && end < data + len ? end : data + len);
}
