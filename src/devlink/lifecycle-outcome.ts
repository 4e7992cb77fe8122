/**
 * What a failed lifecycle call left behind, decided by looking: the state one call keeps
 * while it runs, and the SubfunctionError it ends with. A port the call created is
 * deleted again (deleting an SF's port removes its auxiliary device, and with it the SF's
 * devlink instance wherever that is, in this namespace or another); an add whose answer
 * did not come is looked up first. The look-up and the delete have a deadline of their
 * own and ignore the caller's signal (which may be what ended the call).
 */
import { ClosedError, KernelError } from '../genl/errors';
import { ENODEV_ERRNO } from '../genl/errno';
import type { Devlink } from './devlink';
import { LifecycleStep, SubfunctionError, SubfunctionOutcome } from './errors';
import { isErrno, SfTarget, SubfunctionSpec } from './lifecycle-spec';
import { CLEANUP_MS, SfReader } from './lifecycle-wait';
import type { DevlinkPort } from './types';

/** What one call has done so far, for deciding its outcome when it fails. */
export interface CallState {
  step: LifecycleStep;
  /** The port this call created. */
  created?: DevlinkPort;
  /** The SF's port when it existed before this call. */
  existing?: DevlinkPort;
  /** An add whose answer did not come: it may have taken effect. */
  addUncertain: boolean;
  /** For an add without sfnum: the SF ports there were before it. */
  before?: Set<string>;
  /** The namespace the SF's instance was sent to (or found in), once a reload into it was asked for. */
  netns?: string;
}

/** The error of a failed create or ensure, with what it left. */
export async function failureOf(
  dl: Devlink, reader: SfReader, closed: boolean, name: string, spec: SubfunctionSpec, st: CallState, e: unknown,
): Promise<SubfunctionError> {
  const op = 'devlink sub-function';
  const cause = closed && !(e instanceof KernelError) ? new ClosedError(`${name}: the Devlink was closed`) : e;
  const fail = (outcome: SubfunctionOutcome, port?: string): SubfunctionError =>
    new SubfunctionError(st.step, name, cause, outcome, port, op, outcome === 'left' || outcome === 'none' ? st.netns : undefined);
  let port = st.created;
  if (port === undefined && st.addUncertain) {
    try {
      port = await lookupAdded(dl, reader, spec, st);
    } catch {
      return fail('left');
    }
  }
  if (port === undefined) {
    // nothing of ours: name the SF that is there, if any, by looking
    const there = st.existing ?? (spec.sfnum !== undefined ? await reader.find(spec, { timeoutMs: CLEANUP_MS }).catch(() => undefined) : undefined);
    return fail('none', there?.handle);
  }
  try {
    await dl.deletePort(port.handle, { timeoutMs: CLEANUP_MS });
    return fail('rolled-back');
  } catch (d) {
    if (isErrno(d, ENODEV_ERRNO)) return fail('rolled-back');
    return fail('left', port.handle);
  }
}

/** After an add whose answer did not come: the port it made, if it made one. */
async function lookupAdded(dl: Devlink, reader: SfReader, spec: SubfunctionSpec, st: CallState): Promise<DevlinkPort | undefined> {
  if (spec.sfnum !== undefined) return reader.find(spec, { timeoutMs: CLEANUP_MS });
  const ports = await dl.ports({ dev: spec.dev, timeoutMs: CLEANUP_MS });
  return ports.find((p) => p.flavour === 'pcisf' && p.pfnum === spec.pfnum && (p.controller ?? 0) === (spec.controller ?? 0) && !st.before?.has(p.handle));
}

/**
 * The outcome of a failed destroy: false when the SF turned out to be gone after all
 * (someone else deleted it, or the delete took effect though its answer did not come);
 * otherwise the error, with the port that is still there.
 */
export async function destroyFailure(
  reader: SfReader, closed: boolean, step: LifecycleStep, name: string, what: string, e: unknown,
  at: { port?: DevlinkPort; handle?: string; target?: SfTarget },
): Promise<SubfunctionError | boolean> {
  const op = 'devlink destroySubfunction';
  // the port went away under us: someone else deleted it
  if (at.port !== undefined && isErrno(e, ENODEV_ERRNO)) return false;
  const cause = closed && !(e instanceof KernelError) ? new ClosedError(what) : e;
  if (at.port === undefined) {
    // a kernel refusal (no such device) left everything as it was; otherwise look
    if (e instanceof KernelError) return new SubfunctionError(step, name, cause, 'none', undefined, op);
    const look = at.handle ? reader.readPortOrGone(at.handle, undefined) : reader.find(at.target!, { timeoutMs: CLEANUP_MS });
    const there = await look.then((x) => x ?? null, () => undefined);
    if (there === null) return false;
    return new SubfunctionError(step, name, cause, 'left', there?.handle, op);
  }
  // did the delete take effect after all? look
  const still = await reader.readPortOrGone(at.port.handle, undefined).catch(() => at.port);
  if (still === undefined) return true;
  return new SubfunctionError(step, name, cause, 'left', at.port.handle, op);
}
