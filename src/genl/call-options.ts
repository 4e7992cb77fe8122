/**
 * The engine's options, checked like any input (STYLE.md: types, ranges, unknown keys),
 * before anything is sent or opened: a call's `timeoutMs` and `signal`, a connection's
 * `timeoutMs` and `notificationLimit`. A string "5000" must not become a 14 ms deadline,
 * NaN or -1 must not mean "never", Infinity must not reach setTimeout (which takes it
 * for 1 ms, with a TimeoutOverflowWarning), and `{}` is not an AbortSignal.
 */
import { describeValue } from '../attrs/options';
import { ValidationError } from '../attrs/errors';

/** The longest deadline setTimeout honours: 2^31 - 1 ms (about 24.8 days). */
export const MAX_TIMEOUT_MS = 0x7fffffff;

/**
 * `true` when K names every key of T, else a type naming the missing ones: a list of an
 * options interface's keys is checked complete with `true satisfies EveryKey<T, K>`.
 */
export type EveryKey<T, K extends PropertyKey> = [Exclude<keyof T, K>] extends [never] ? true : { missing: Exclude<keyof T, K> };

/** What a call takes besides its request. */
export interface CallOptions {
  /** Milliseconds before the call rejects with TimeoutError, 0 to MAX_TIMEOUT_MS; 0 means no deadline. */
  readonly timeoutMs?: number;
  /** Aborting it rejects the call with AbortError (a dump already sent is read to its end and dropped). */
  readonly signal?: AbortSignal;
}

/** CallOptions' keys. */
export const CALL_OPTION_KEYS = ['timeoutMs', 'signal'] as const satisfies readonly (keyof CallOptions)[];
true satisfies EveryKey<CallOptions, (typeof CALL_OPTION_KEYS)[number]>;

/** What a connection takes (GenericNetlink.open's options include these). */
export interface ConnectionOptions {
  /** The calls' default timeout (as CallOptions.timeoutMs); 30 s when not given. */
  readonly timeoutMs?: number;
  /** Queued notifications per subscriber before it is told of an overrun: a whole number from 1, or Infinity. */
  readonly notificationLimit?: number;
  /**
   * Called with each warning the kernel gives with a request it carried out: an ACK (or a
   * dump's DONE) with error 0 and an ext-ack message, such as mlx5's "reload while VFs are
   * present is unfavorable". iproute2 prints these as `Warning: ...`; without this option
   * they are counted in `stats.warnings` only. A throwing callback is counted in
   * `stats.listenerErrors` and does not fail the call.
   */
  readonly onWarning?: (warning: KernelWarning) => void;
}

/** A warning the kernel gave with a request it carried out (ConnectionOptions.onWarning). */
export interface KernelWarning {
  /** The request, as its call's errors name it (e.g. "devlink reload pci/0000:06:00.0"). */
  readonly op: string;
  /** The kernel's ext-ack message, as sent. */
  readonly message: string;
  /** The attribute the warning points at, when the kernel gave an offset (e.g. ".port-function.state"). */
  readonly attrPath?: string;
}

/** ConnectionOptions' keys, for the layers above that check their options objects' keys. */
export const CONNECTION_OPTION_KEYS = ['timeoutMs', 'notificationLimit', 'onWarning'] as const satisfies readonly (keyof ConnectionOptions)[];
true satisfies EveryKey<ConnectionOptions, (typeof CONNECTION_OPTION_KEYS)[number]>;

/** `v` as a timeout: undefined, or a finite number of milliseconds from 0 (no deadline) to MAX_TIMEOUT_MS. */
export function checkTimeoutMs(v: unknown, field = 'timeoutMs'): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TIMEOUT_MS) {
    throw new ValidationError(field, `must be a number of milliseconds from 0 to ${MAX_TIMEOUT_MS} (use 0 for no deadline), not ${describeValue(v)}`);
  }
  return v;
}

/** Whether `v` behaves as an AbortSignal: it says whether it is aborted and takes listeners. */
export function isAbortSignal(v: unknown): v is AbortSignal {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown };
  return typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}

/** `v` as a signal: undefined, or an AbortSignal; otherwise a ValidationError naming `field`. */
export function checkSignal(v: unknown, field = 'signal'): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (!isAbortSignal(v)) {
    throw new ValidationError(field, `must be an AbortSignal (from an AbortController or AbortSignal.timeout()), not ${describeValue(v)}`);
  }
  return v;
}

/** A call's options: throws ValidationError naming the field. */
export function checkCallOptions(o: CallOptions): void {
  checkTimeoutMs(o.timeoutMs);
  checkSignal(o.signal);
}

/** A connection's options: throws ValidationError naming the field. */
export function checkConnectionOptions(o: ConnectionOptions): void {
  checkTimeoutMs(o.timeoutMs);
  const limit = o.notificationLimit;
  if (limit !== undefined && !(typeof limit === 'number' && (Number.isInteger(limit) || limit === Infinity) && limit >= 1)) {
    throw new ValidationError('notificationLimit', `must be a whole number of notifications from 1, or Infinity, not ${describeValue(limit)}`);
  }
  if (o.onWarning !== undefined && typeof o.onWarning !== 'function') {
    throw new ValidationError('onWarning', `must be a function, not ${describeValue(o.onWarning)}`);
  }
}
