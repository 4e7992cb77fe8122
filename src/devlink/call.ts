/**
 * One devlink doit call as the request engine takes it (a RequestSpec): the
 * encoded request, the caller's timeoutMs, signal and onReply, and what makes the call's
 * value of its replies. It is one object of one shape per call, where a spread of the
 * caller's options made a new one each time, and its name in errors and warnings
 * ("devlink port-get pci/0000:06:00.0/32768") is spelled out only when one of those needs
 * it: a get that succeeds never builds that string (bench/README.md).
 */
import type { AttrDefs, AttrSet } from '../attrs/schema';
import type { RequestSpec } from '../genl/connection';
import type { KernelError, KernelErrorInfo } from '../genl/errors';
import type { NlMsg } from '../genl/message';
import { cmdName } from './constants';
import { makeDevlinkError } from './errors';
import { DevlinkRequestAttrs, devlinkRequest, ONE_REPLY, targetOf } from './requests';
import { devlinkAttrs } from './schema';
import type { PlumbingOptions } from './devlink';

/** A DecodedRequestSpec<T> when given `decode`, a RequestSpec when not. */
export class DevlinkCall<T> implements RequestSpec {
  readonly msg: Buffer;
  readonly oneReply: boolean;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onReply: ((m: NlMsg) => void) | undefined;
  /** The object named in the call's name; '' when given as `target` (it names none), else from the request's attributes. */
  private readonly target: string | undefined;

  /**
   * `opts`' keys checked by the caller. Without `decode` the call's value is its replies
   * (Devlink.request()). `target` names the object when the attributes do not say it as
   * the call should be named (setParam's "BUS/DEV param NAME").
   */
  constructor(
    familyId: number,
    private readonly cmd: number,
    private readonly a: DevlinkRequestAttrs,
    opts: PlumbingOptions,
    readonly decode: ((replies: NlMsg[]) => T) | undefined,
    msg?: Buffer,
    target?: string,
  ) {
    this.msg = msg ?? devlinkRequest(familyId, cmd, a);
    this.oneReply = ONE_REPLY.has(cmd);
    this.timeoutMs = opts.timeoutMs;
    this.signal = opts.signal;
    this.onReply = opts.onReply;
    this.target = target;
  }

  /** "devlink port-get pci/0000:06:00.0/32768": how errors and warnings name the call. */
  get op(): string {
    const target = this.target ?? targetOf(this.a);
    return `devlink ${cmdName(this.cmd)}${target ? ` ${target}` : ''}`;
  }

  get attrs(): AttrSet<AttrDefs> {
    return devlinkAttrs;
  }

  makeError(info: KernelErrorInfo): KernelError {
    return makeDevlinkError(info);
  }
}
