/**
 * Errors of the request engine. All extend NetlinkError (src/attrs/errors.ts), the
 * library's one base class; callers branch on the subclass or on `code`.
 */
import { NetlinkError } from '../attrs/errors';
import { errnoName, strerror } from './errno';

/** Everything the kernel said about a failed request (NLMSG_ERROR or a DONE with an error). */
export interface KernelErrorInfo {
  /** Positive errno, e.g. 17. */
  readonly errno: number;
  /** NLMSGERR_ATTR_MSG: the kernel's own words, when it sent them (needs NETLINK_EXT_ACK). */
  readonly extMessage?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute from the start of our request. */
  readonly offset?: number;
  /** The offset resolved through the request's attribute tables: ".port-function.hw-addr". */
  readonly attrPath?: string;
  /** NLMSGERR_ATTR_MISS_TYPE resolved to a name, e.g. "port-index". */
  readonly missingAttr?: string;
  /** NLMSGERR_ATTR_MISS_TYPE as the number the kernel sent. */
  readonly missingType?: number;
  /** NLMSGERR_ATTR_MISS_NEST resolved to a path ('' for the top level). */
  readonly missingNest?: string;
  /** NLMSGERR_ATTR_COOKIE. */
  readonly cookie?: Buffer;
  /** Sequence number of the failed request. */
  readonly seq: number;
  /** The operation, e.g. "devlink port-new" or "nlctrl getfamily". */
  readonly op: string;
}

const KERNEL_INFO_KEYS = [
  'errno', 'extMessage', 'offset', 'attrPath', 'missingAttr', 'missingType', 'missingNest', 'cookie', 'seq', 'op',
] as const satisfies readonly (keyof KernelErrorInfo)[];

/** The kernel refused a request. Message: the kernel's words first, then strerror, like iproute2. */
export class KernelError extends NetlinkError implements KernelErrorInfo {
  /** Always 'KernelError': the class, for logs and stack traces. */
  override name = 'KernelError';
  /** 'EEXIST'. */
  readonly code: string;
  // the kernel's fields, taken once from KernelErrorInfo (only those the kernel sent are set)
  declare readonly errno: number;
  declare readonly extMessage?: string;
  declare readonly offset?: number;
  declare readonly attrPath?: string;
  declare readonly missingAttr?: string;
  declare readonly missingType?: number;
  declare readonly missingNest?: string;
  declare readonly cookie?: Buffer;
  declare readonly seq: number;
  declare readonly op: string;

  /** `message` defaults to describe(info); a subclass that says more passes its own. */
  constructor(info: KernelErrorInfo, message = KernelError.describe(info), options?: ErrorOptions) {
    super(message, options);
    for (const k of KERNEL_INFO_KEYS) if (info[k] !== undefined) Object.defineProperty(this, k, { value: info[k], enumerable: true });
    this.code = errnoName(info.errno);
  }

  /** The kernel's fields alone, to build another error from (a layer that says more). */
  get info(): KernelErrorInfo {
    const o: Partial<Record<keyof KernelErrorInfo, unknown>> = {};
    for (const k of KERNEL_INFO_KEYS) if (this[k] !== undefined) o[k] = this[k];
    return o as KernelErrorInfo;
  }

  /** glibc's strerror() for errno: "File exists". */
  get strerror(): string {
    return strerror(this.errno);
  }

  /**
   * The message for a kernel error, as iproute2 words it: the kernel's ext-ack sentence
   * first, then the operation, strerror and errno name, and the attribute path:
   * `mlx5_core: SF already exist. Choose different sfnum: devlink port-new: File exists (EEXIST)`.
   */
  static describe(info: KernelErrorInfo): string {
    const parts: string[] = [];
    // the kernel's sentence without its full stop: what follows continues the line
    if (info.extMessage) parts.push(info.extMessage.replace(/\.+$/, ''));
    const where: string[] = [];
    if (info.attrPath) where.push(`attribute ${info.attrPath}`);
    if (info.missingAttr) where.push(`missing attribute ${info.missingNest ? info.missingNest + '.' : ''}${info.missingAttr}`);
    parts.push(`${info.op}: ${strerror(info.errno)} (${errnoName(info.errno)})`);
    return parts.join(': ') + (where.length ? ` [${where.join(', ')}]` : '');
  }
}

/** The generic netlink family is not registered in this kernel (nlctrl answered ENOENT). */
export class FamilyNotFoundError extends KernelError {
  /** Always 'FamilyNotFoundError': the class, for logs and stack traces. */
  override name = 'FamilyNotFoundError';
  constructor(
    /** The family's name as asked for ("devlink"). */
    readonly family: string,
    info: KernelErrorInfo,
    /** What a layer above knows of why (what the family needs). */
    hint?: string,
  ) {
    super(info, `generic netlink family "${family}" not found: ${KernelError.describe(info)}${hint ? `: ${hint}` : ''}`);
  }
}

/** No answer within the call's timeout. */
export class TimeoutError extends NetlinkError {
  /** Always 'TimeoutError': the class, for logs and stack traces. */
  override name = 'TimeoutError';
  /** Always 'ETIMEDOUT', the Node-style code a caller may branch on. */
  readonly code = 'ETIMEDOUT';
  /** `message`: what was waited for, where it was not an answer (a state that did not come). */
  constructor(
    /** The operation that failed, as its message names it ("devlink port-new"). */
    readonly op: string,
    /** The deadline that passed, in milliseconds. */
    readonly timeoutMs: number,
    message = `${op}: no answer within ${timeoutMs} ms`,
  ) {
    super(message);
  }
}

/** The caller's AbortSignal fired. `cause` is the signal's reason. */
export class AbortError extends NetlinkError {
  /** Always 'AbortError': the class, for logs and stack traces. */
  override name = 'AbortError';
  /** Always 'ABORT_ERR', the Node-style code a caller may branch on. */
  readonly code = 'ABORT_ERR';
  constructor(
    /** The operation that failed, as its message names it ("devlink port-new"). */
    readonly op: string,
    cause?: unknown,
  ) {
    super(`${op}: aborted`, { cause });
  }
}

/** The connection was closed (by the caller or because its socket failed) while the call was pending. */
export class ClosedError extends NetlinkError {
  /** Always 'ClosedError': the class, for logs and stack traces. */
  override name = 'ClosedError';
  /** Always 'ERR_NETLINK_CLOSED', the Node-style code a caller may branch on. */
  readonly code = 'ERR_NETLINK_CLOSED';
  constructor(
    /** The operation that failed, as its message names it ("devlink port-new"). */
    readonly op: string,
    cause?: unknown,
  ) {
    super(`${op}: the netlink connection is closed`, cause === undefined ? undefined : { cause });
  }
}

/** A dump was interrupted by a change (NLM_F_DUMP_INTR); its result may be inconsistent. */
export class DumpInterruptedError extends NetlinkError {
  /** Always 'DumpInterruptedError': the class, for logs and stack traces. */
  override name = 'DumpInterruptedError';
  /** Always 'EINTR', the Node-style code a caller may branch on. */
  readonly code = 'EINTR';
  constructor(
    /** The operation that failed, as its message names it ("devlink port-new"). */
    readonly op: string,
    /** How many times the dump was tried, each time interrupted. */
    readonly attempts: number,
  ) {
    super(`${op}: the dump was interrupted by a concurrent change (NLM_F_DUMP_INTR)${attempts > 1 ? ` ${attempts} times` : ''}; retry it`);
  }
}

/** The receive buffer overran (ENOBUFS) and the reply to this request was lost with it. */
export class OverrunError extends NetlinkError {
  /** Always 'OverrunError': the class, for logs and stack traces. */
  override name = 'OverrunError';
  /** Always 'ENOBUFS', the Node-style code a caller may branch on. */
  readonly code = 'ENOBUFS';
  constructor(readonly op: string) {
    super(`${op}: the socket's receive buffer overran and the reply was lost; the request may or may not have taken effect`);
  }
}

/** The peer answered something that is not netlink as this library knows it. */
export class ProtocolError extends NetlinkError {
  /** Always 'ProtocolError': the class, for logs and stack traces. */
  override name = 'ProtocolError';
  /** Always 'EPROTO', the Node-style code a caller may branch on. */
  readonly code = 'EPROTO';
}

/**
 * A reply was longer than the bounded receive mode's slot (SocketOptions.maxDatagram):
 * the kernel cut it short and the rest is lost, so it was not decoded. Later reads use
 * a larger slot.
 */
export class TruncatedError extends NetlinkError {
  /** Always 'TruncatedError': the class, for logs and stack traces. */
  override name = 'TruncatedError';
  /** Always 'EMSGSIZE', the Node-style code a caller may branch on. */
  readonly code = 'EMSGSIZE';
  constructor(
    /** The operation that failed, as its message names it ("devlink port-new"). */
    readonly op: string,
    /** The datagram's real length in bytes, as the kernel reported it. */
    readonly length: number,
    /** The receive slot it did not fit, in bytes. */
    readonly slotSize: number,
    /** Sequence number of the request it answered. */
    readonly seq: number,
  ) {
    super(
      `${op}: the ${length}-byte reply did not fit the ${slotSize}-byte receive slot and the kernel truncated it; ` +
        `the request may have taken effect. Use the exact receive mode (socket: { receive: 'exact' }) or a larger maxDatagram`,
    );
  }
}
