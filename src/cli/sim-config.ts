/**
 * --sim-config FILE: the simulator's options read from YAML or JSON and checked before
 * the simulator sees them, every refusal naming the field's path
 * (`devices[1].pfnum`, `timing.attachMs`), as `apply` names its fields.
 *
 * One table per options object, typed against the simulator's own interfaces (every key
 * of the interface has its checker, and nothing else), so the two cannot drift apart.
 * (It lives here rather than in src/sim, which another change was rewriting.)
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import { parseDevHandle } from '../devlink/handle';
import type { IceDeviceOptions, KernelFlavor, Mlx5DeviceOptions, Mlx5PortAddOrder, SimDeviceOptions, SimTiming, SimulatorOptions } from '../sim';

type Check<T> = (v: unknown, field: string) => T;
type Table<T> = { readonly [K in keyof Required<T>]: Check<T[K]> };

const oneOf = <T extends string>(...values: readonly T[]): Check<T> => (v, field) => {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new ValidationError(field, `expected ${values.map((x) => `"${x}"`).join(' or ')}, got ${describeValue(v)}`);
  }
  return v as T;
};

const integer = (min: number, max = Number.MAX_SAFE_INTEGER): Check<number> => (v, field) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(field, `expected an integer from ${min} to ${max}, got ${describeValue(v)}`);
  }
  return v;
};

const bool: Check<boolean> = (v, field) => {
  if (typeof v !== 'boolean') throw new ValidationError(field, `expected true or false, got ${describeValue(v)}`);
  return v;
};

const text: Check<string> = (v, field) => {
  if (typeof v !== 'string' || v === '') throw new ValidationError(field, `expected a non-empty string, got ${describeValue(v)}`);
  return v;
};

/** An object checked key by key against its table; absent keys stay absent. */
function object<T>(table: Table<T>): Check<T> {
  return (v, field) => {
    if (v === undefined) throw new ValidationError(field, 'expected an object');
    const o = checkKeys(v as object, field, Object.keys(table)) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(table) as [string, Check<unknown>][]) {
      if (o[k] !== undefined) out[k] = check(o[k], field ? `${field}.${k}` : k);
    }
    return out as T;
  };
}

const handle: Check<string> = (v, field) => {
  parseDevHandle(v, field);
  return v as string;
};

const mlx5Device = object<Mlx5DeviceOptions>({
  handle,
  driver: oneOf('mlx5_core'),
  pfnum: integer(0, 0xffff),
  eswitch: oneOf('legacy', 'switchdev'),
  maxSfs: integer(1, 0x7fff),
  ecpf: bool,
  hostSfBaseId: integer(0, 0xffff),
  vfs: integer(0, 0xffff),
});

const iceDevice = object<IceDeviceOptions>({
  handle,
  driver: oneOf('ice'),
  pfnum: integer(0, 0xffff),
  eswitch: oneOf('legacy', 'switchdev'),
  maxVsis: integer(3, 0xffff),
  dynamicMsix: bool,
  autoSfnum: bool,
});

/** A device by its driver (mlx5_core when none is named). */
const device: Check<SimDeviceOptions> = (v, field) => {
  const driver = v !== null && typeof v === 'object' ? (v as { driver?: unknown }).driver : undefined;
  if (driver === undefined || driver === 'mlx5_core') return mlx5Device(v, field);
  if (driver === 'ice') return iceDevice(v, field);
  throw new ValidationError(`${field}.driver`, `expected "mlx5_core" or "ice", got ${describeValue(driver)}`);
};

const timing = object<Partial<SimTiming>>({ attachMs: integer(0), detachMs: integer(0), freeMs: integer(0) });

const options = object<SimulatorOptions>({
  kernel: oneOf<KernelFlavor>('6.1', 'current'),
  sysfsRoot: text,
  devices: (v, field) => {
    if (!Array.isArray(v) || v.length === 0) throw new ValidationError(field, `expected a non-empty list of devices, got ${describeValue(v)}`);
    const out = v.map((d, i) => device(d, `${field}[${i}]`));
    const seen = new Set<string>();
    out.forEach((d, i) => {
      if (seen.has(d.handle)) throw new ValidationError(`${field}[${i}].handle`, `"${d.handle}" is named twice`);
      seen.add(d.handle);
    });
    return out;
  },
  mlx5PortAddOrder: oneOf<Mlx5PortAddOrder>('6.12', 'newest'),
  firmwareDir: text,
  timing,
  dumpBufferSize: integer(4096, 1 << 30),
});

/**
 * The simulator's options from a parsed YAML or JSON document, or a ValidationError
 * naming the field (the top level is unnamed: `devices[0].pfnum`, `bogus`).
 */
export function parseSimConfig(doc: unknown): SimulatorOptions {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ValidationError('configuration', `expected an object with "devices", got ${describeValue(doc)}`);
  }
  const o = options(doc, '');
  if (o.devices === undefined) throw new ValidationError('devices', 'is required');
  return o;
}
