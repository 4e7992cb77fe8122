/**
 * Options objects are input like any other: each call checks that it got an object, that
 * every key is one it knows (a misspelt key silently ignored changes what the call does:
 * `{ hwaddr }` would apply nothing), before it reads the values. One checker serves every
 * layer, so the messages read alike everywhere.
 */
import { ValidationError } from './errors';

/** How a value is shown in a message: strings quoted, long ones cut. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? `${v.slice(0, 61)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'function') return 'a function';
  return String(v);
}

/**
 * `o` is undefined or a plain object whose own keys are all in `allowed`. `field` names
 * the object in errors ('options', 'spec', 'caps'); a key is named as `field.key` unless
 * `field` is empty. Returns the object (or an empty one) for reading.
 */
export function checkKeys<T extends object>(o: T | undefined, field: string, allowed: readonly string[]): T {
  if (o === undefined) return {} as T;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw new ValidationError(field || 'options', `expected an object, got ${describeValue(o)}`);
  }
  // for-in over own keys, not Object.keys(): no array per call (every call checks its options)
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    if (!allowed.includes(k)) {
      const hint = nearest(k, allowed);
      const name = k.length > 64 ? `${k.slice(0, 61)}...` : k;
      throw new ValidationError(field ? `${field}.${name}` : name, `unknown option${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${allowed.join(', ')}`);
    }
  }
  return o;
}

/** The allowed key closest to a misspelt one (case-insensitive, then by edit distance 2 at most). */
function nearest(k: string, allowed: readonly string[]): string | undefined {
  const lower = k.toLowerCase().replace(/[-_]/g, '');
  const same = allowed.find((a) => a.toLowerCase() === lower);
  if (same) return same;
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = editDistance(lower, a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * `o` without its undefined members: `{ timeoutMs: o.timeoutMs, signal: o.signal }` passed
 * on as options without writing `...(x !== undefined ? { x } : {})` for each.
 */
export function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Partial<Record<keyof T, unknown>> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
