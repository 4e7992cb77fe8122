/**
 * The devlink layer's errors: DevlinkError (the kernel refused a devlink request),
 * NotFoundError (what the caller named does not exist) and SubfunctionError (a lifecycle
 * call failed; it says at which step and what the call left behind).
 */
import { NetlinkError } from '../attrs/errors';
import { defined } from '../attrs/options';
import { AbortError, ClosedError, KernelError, KernelErrorInfo, TimeoutError } from '../genl/errors';
import { EPERM_ERRNO } from '../genl/errno';

const EPERM_HINT = ': this operation needs CAP_NET_ADMIN in the network namespace of the devlink instance';

/**
 * The kernel refused a devlink request: `errno`, `code`, the kernel's `extMessage` and the
 * attribute path it names (`attrPath`), from KernelError. An EPERM says which capability
 * is missing.
 */
export class DevlinkError extends KernelError {
  /** Always 'DevlinkError': the class, for logs and stack traces. */
  override name = 'DevlinkError';
  constructor(info: KernelErrorInfo, message?: string, options?: ErrorOptions) {
    super(info, message ?? KernelError.describe(info) + (info.errno === EPERM_ERRNO ? EPERM_HINT : ''), options);
  }
}

export function makeDevlinkError(info: KernelErrorInfo): DevlinkError {
  return new DevlinkError(info);
}

/** The object the caller looked for does not exist (a netdev name no port has, an SF's device). */
export class NotFoundError extends NetlinkError {
  /** Always 'NotFoundError': the class, for logs and stack traces. */
  override name = 'NotFoundError';
  /** Always 'ENODEV', the Node-style code a caller may branch on. */
  readonly code = 'ENODEV';
}

/**
 * The step of a lifecycle call that failed: checking the input ('validate'), waiting its
 * turn behind another call for the same SF ('queue': aborted, timed out or closed before
 * its turn, or aborted already; outcome 'none', nothing sent), the devlink requests ('add-port',
 * 'configure', 'activate', 'deactivate', 'delete-port'), the waits on the driver
 * ('wait-attached', 'wait-detached'), and looking the SF up ('find'); on the SF's own
 * instance, its driverinit parameters ('instance-params'), the reload into a network
 * namespace ('netns') and finding the instance and its netdev there ('wait-netns').
 */
export type LifecycleStep =
  | 'validate' | 'queue' | 'add-port' | 'configure' | 'activate' | 'deactivate' | 'wait-attached' | 'wait-detached' | 'delete-port' | 'find'
  | 'instance-params' | 'netns' | 'wait-netns';

/**
 * What a failed lifecycle call left behind, decided by looking the port up (by device,
 * controller, pfnum and sfnum) after the failure rather than assumed:
 * - 'none': this call created nothing (an SF that existed before may still be there: `port`);
 * - 'rolled-back': it created the port and deleted it again;
 * - 'left': a port it created (or could not tell apart) is still there: `port` names it.
 */
export type SubfunctionOutcome = 'none' | 'rolled-back' | 'left';

/** errno and code of a failure that is not the kernel's. */
function errnoOf(cause: unknown): { errno: number; extMessage?: string; attrPath?: string; seq: number } {
  if (cause instanceof KernelError) {
    return { errno: cause.errno, seq: cause.seq, ...defined({ extMessage: cause.extMessage, attrPath: cause.attrPath }) };
  }
  if (cause instanceof TimeoutError) return { errno: 110, seq: 0 }; // ETIMEDOUT
  if (cause instanceof AbortError) return { errno: 125, seq: 0 }; // ECANCELED
  if (cause instanceof ClosedError) return { errno: 107, seq: 0 }; // ENOTCONN
  if (cause instanceof NotFoundError) return { errno: 19, seq: 0 }; // ENODEV
  const e = (cause as { errno?: unknown })?.errno;
  return { errno: typeof e === 'number' && e > 0 ? e : 5, seq: 0 }; // EIO
}

const OUTCOME_TEXT: Record<SubfunctionOutcome, string> = {
  none: 'nothing was created',
  'rolled-back': 'the port it created was deleted again',
  left: 'a port was left behind',
};

/**
 * A lifecycle call (create, ensure, destroy) failed at `step`. It is a DevlinkError, so a
 * program branches on `errno`/`code` as for any devlink call: the kernel's own when the
 * kernel refused the step (with `extMessage` and `attrPath`), else the errno the failure
 * stands for (ETIMEDOUT, ECANCELED for an abort, ENOTCONN for a closed connection,
 * ENODEV for an SF device not found); `kernelRefused` tells which. `cause` is the
 * step's own error; `outcome` and `port` say what the call left.
 */
export class SubfunctionError extends DevlinkError {
  /** Always 'SubfunctionError': the class, for logs and stack traces. */
  override name = 'SubfunctionError';
  /** True when the kernel refused the step (errno is the kernel's). */
  readonly kernelRefused: boolean;

  constructor(
    /** The step that failed. */
    readonly step: LifecycleStep,
    /** The SF, as the call named it: 'pci/0000:06:00.0 pfnum 0 sfnum 88'. */
    readonly sf: string,
    /** The step's own error (a DevlinkError, TimeoutError, AbortError, ClosedError, NotFoundError). */
    override readonly cause: unknown,
    /** What the call left behind, decided by looking: see SubfunctionOutcome. */
    readonly outcome: SubfunctionOutcome,
    /** The port's handle where one exists after the failure (always for 'left' when known). */
    readonly port?: string,
    op = 'devlink sub-function',
    /**
     * Where the SF's own devlink instance (with its netdev) may be instead of this
     * network namespace: the namespace a reload of this call sent it to ('none', 'left').
     */
    readonly netns?: string,
  ) {
    const info = { ...errnoOf(cause), op };
    const why = cause instanceof Error ? cause.message : String(cause);
    let left = outcome === 'left' ? (port ? `${OUTCOME_TEXT.left}: ${port}` : `${OUTCOME_TEXT.left} (it could not be looked up)`) : OUTCOME_TEXT[outcome];
    if (netns !== undefined && outcome !== 'rolled-back') left += `; the SF's devlink instance and its netdev may be in network namespace ${netns}`;
    super(info, `${sf}: step ${step} failed: ${why}; ${left}`, { cause });
    this.kernelRefused = cause instanceof KernelError;
  }

  /** @deprecated use `outcome`: true for 'rolled-back'. */
  get rolledBack(): boolean {
    return this.outcome === 'rolled-back';
  }
}
