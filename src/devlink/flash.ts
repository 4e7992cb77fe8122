/**
 * DEVLINK_CMD_FLASH_UPDATE with its progress (6.1 devlink_nl_cmd_flash_update): the
 * request carries FILE_NAME (a name the kernel's request_firmware looks up, in
 * /lib/firmware), [COMPONENT], [OVERWRITE_MASK bitfield32, selector = the sections the
 * uapi knows], in iproute2's order. While the driver flashes, the kernel announces on the
 * config group FLASH_UPDATE (begin), FLASH_UPDATE_STATUS (message, component, done,
 * total, timeout) and FLASH_UPDATE_END; all of them reach the socket before the answer.
 *
 * flash() returns at once: iterate it for the progress (subscribed before the request is
 * sent, so nothing is missed), await `done` for the outcome. The iteration ends after
 * FLASH_UPDATE_END, or when the request fails before the kernel began; a failure is
 * thrown by the iteration too, after the progress that came before it.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import type { CallOptions } from '../genl/connection';
import { AsyncQueue } from '../genl/queue';
import { Cmd } from './constants';
import type { Devlink } from './devlink';
import { checkNameString, DevHandle, devHandle, parseDevHandle } from './handle';
import type { DevlinkRequestAttrs } from './requests';
import type { DevlinkEvent, FlashEvent } from './types';

/** DEVLINK_FLASH_OVERWRITE_SETTINGS_BIT 0, _IDENTIFIERS_BIT 1. */
export const FlashOverwrite = { settings: 1 << 0, identifiers: 1 << 1 } as const;
export type FlashOverwriteName = keyof typeof FlashOverwrite;
const SECTIONS = Object.keys(FlashOverwrite) as FlashOverwriteName[];

export interface FlashOptions {
  /** A firmware file name, relative to /lib/firmware (the kernel opens it, not us). */
  readonly file: string;
  readonly component?: string;
  /** Sections the new image may overwrite (iproute2's overwrite settings / identifiers). */
  readonly overwrite?: readonly FlashOverwriteName[];
}

export const FLASH_KEYS = ['file', 'component', 'overwrite'] as const satisfies readonly (keyof FlashOptions)[];

export interface FlashUpdate extends AsyncIterable<FlashEvent> {
  /** Resolves when the kernel has answered success; rejects with its error. */
  readonly done: Promise<void>;
}

type Attrs = { -readonly [K in keyof DevlinkRequestAttrs]: DevlinkRequestAttrs[K] };

export function flashAttrs(h: DevHandle, o: FlashOptions): DevlinkRequestAttrs {
  const a: Attrs = { busName: h.bus, devName: h.dev };
  if (typeof o.file !== 'string' || o.file === '' || o.file.includes('\0')) {
    throw new ValidationError('file', `expected a firmware file name, got ${describeValue(o.file)}`);
  }
  a.flashUpdateFileName = o.file;
  if (o.component !== undefined) a.flashUpdateComponent = checkNameString(o.component, 'component', 'a flash component name');
  if (o.overwrite !== undefined) {
    if (!Array.isArray(o.overwrite)) throw new ValidationError('overwrite', `expected a list of ${SECTIONS.join(', ')}, got ${describeValue(o.overwrite)}`);
    let value = 0;
    o.overwrite.forEach((s: unknown, i: number) => {
      if (typeof s !== 'string' || !(SECTIONS as string[]).includes(s)) {
        throw new ValidationError(`overwrite[${i}]`, `expected one of ${SECTIONS.join(', ')}, got ${describeValue(s)}`);
      }
      value |= FlashOverwrite[s as FlashOverwriteName];
    });
    a.flashUpdateOverwriteMask = { value, selector: FlashOverwrite.settings | FlashOverwrite.identifiers };
  }
  return a;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function flash(dl: Devlink, dev: string, o: FlashOptions & CallOptions): FlashUpdate {
  const h = parseDevHandle(dev);
  const { file, component, overwrite, ...call } = checkKeys(o, '', [...FLASH_KEYS, 'timeoutMs', 'signal']);
  const attrs = flashAttrs(h, { file, component, overwrite });
  const handle = devHandle(h.bus, h.dev);
  const q = new AsyncQueue<FlashEvent>();
  const mon = dl.monitor({ dev: handle });
  let pumpDone = false;
  const pump = (async (): Promise<void> => {
    for await (const e of mon as AsyncIterable<DevlinkEvent>) {
      if (e.type !== 'flash') continue;
      q.push(e);
      if (e.phase === 'end') break;
    }
  })().finally(() => (pumpDone = true));
  const done = (async (): Promise<void> => {
    await mon.ready;
    await dl.request(Cmd.FLASH_UPDATE, attrs, call);
  })();
  // the notifications precede the answer on the socket: one turn of the event loop later
  // the pump has taken every one of them
  void done.then(nextTurn, nextTurn).then(async () => {
    if (!pumpDone) await mon.return();
    await pump.catch(() => undefined);
    const err = await done.then(() => undefined, (e: unknown) => e ?? new Error('flash failed'));
    if (err) q.fail(err);
    else q.end();
  });
  return { done, [Symbol.asyncIterator]: () => q };
}
