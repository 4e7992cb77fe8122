/**
 * What a call's failure becomes: a kernel refusal (NLMSG_ERROR, or a DONE carrying an
 * error) as KernelError with its ext-ack resolved through the request's attribute set
 * (an offset becomes ".port-function.hw-addr", a missing attribute its name), or the
 * spec's own subclass; a failed send as SendError with the socket error's fields.
 */
import { NetlinkError } from '../attrs/errors';
import { attrNameOf, attrPathAt, setAtPath } from '../attrs/path';
import type { RequestSpec } from './request-spec';
import { GENL_HDRLEN, NLMSG_HDRLEN, nlmsgAlign } from './constants';
import type { KernelWarning } from './call-options';
import { KernelError, KernelErrorInfo } from './errors';
import type { AckInfo } from './message';

/** The attribute path (".port-function.state") at byte `offset` of the request `spec`, or '' when none is there. */
function pathAt(spec: RequestSpec, offset: number): string {
  const attrsStart = NLMSG_HDRLEN + GENL_HDRLEN + nlmsgAlign(spec.hdrSize ?? 0);
  return attrPathAt(spec.attrs, spec.msg, attrsStart, spec.msg.length, offset);
}

/** The kernel refused the request `spec` sent as `seq`: `info` is its NLMSG_ERROR (or DONE) as parsed. */
export function kernelErrorOf(spec: RequestSpec, seq: number, info: AckInfo): KernelError {
  const ki: { -readonly [K in keyof KernelErrorInfo]: KernelErrorInfo[K] } = { errno: info.errno, seq, op: spec.op };
  if (info.extMessage !== undefined) ki.extMessage = info.extMessage;
  if (info.cookie !== undefined) ki.cookie = info.cookie;
  if (info.offset !== undefined) {
    ki.offset = info.offset;
    const path = pathAt(spec, info.offset);
    if (path) ki.attrPath = path;
  }
  if (info.missType !== undefined) {
    ki.missingType = info.missType;
    const nest = info.missNest !== undefined ? pathAt(spec, info.missNest) : '';
    ki.missingNest = nest;
    ki.missingAttr = attrNameOf(nest ? setAtPath(spec.attrs, nest) : spec.attrs, info.missType);
  }
  return spec.makeError ? spec.makeError(ki) : new KernelError(ki);
}

/** The warning of an ACK or DONE with error 0 and an ext-ack message (`info.extMessage` set). */
export function kernelWarningOf(spec: RequestSpec, info: AckInfo): KernelWarning {
  const path = info.offset !== undefined ? pathAt(spec, info.offset) : undefined;
  return { op: spec.op, message: info.extMessage ?? '', ...(path ? { attrPath: path } : {}) };
}

/** A failed send, as the library's error with the socket error's fields and cause. */
export class SendError extends NetlinkError {
  override name = 'SendError';
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
  constructor(readonly op: string, cause: unknown) {
    const c = cause as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown };
    super(`${op}: send failed: ${String(c?.message ?? cause)}`, { cause });
    this.code = typeof c?.code === 'string' ? c.code : 'ERR_NETLINK_SEND';
    if (typeof c?.errno === 'number') this.errno = c.errno;
    if (typeof c?.syscall === 'string') this.syscall = c.syscall;
  }
}

export function wrapSendError(op: string, e: unknown): NetlinkError {
  return e instanceof NetlinkError ? e : new SendError(op, e);
}
