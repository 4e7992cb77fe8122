/**
 * DEVLINK_CMD_FLASH_UPDATE as 6.1's devlink_nl_cmd_flash_update and mlx5 answer it:
 * the file name is required (EINVAL, missing attribute); a component: mlx5 reports no
 * flashable component, "component update is not supported by this device"; an overwrite
 * mask: mlx5 supports none, "overwrite settings are not supported by this device"; the
 * file is looked up as request_firmware does (under the firmware directory, ENOENT
 * "failed to locate the requested firmware file"). Then FLASH_UPDATE (begin), the
 * driver's FLASH_UPDATE_STATUS messages, FLASH_UPDATE_END, and the answer. mlx5's
 * messages are mlxfw_fsm.c's; an SF (no MCQI register) refuses after the begin with
 * EOPNOTSUPP, between begin and end.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CoreCtx, DoCtx, HandlerTable, Target } from './context';
import { cstr } from './context';
import type { FamilyCtx } from './fill';
import { Errno, Instance } from './model';
import { MsgWriter } from './wire';
import { A, C, E } from './uapi';

/** DEVLINK_CMD_FLASH_UPDATE_END and _STATUS. */
const CMD_END = 59;
const CMD_STATUS = 60;
const STATUS_DONE = 125;
const STATUS_TOTAL = 126;
const STATUS_MSG = 124;
const STATUS_TIMEOUT = 151;
/** Blocks of a download: mlxfw sends a status per block. */
const BLOCKS = 4;

const firmwareDirs = new WeakMap<CoreCtx, string>();

/** Where request_firmware looks (/lib/firmware unless the simulator was told otherwise). */
export function setFirmwareDir(core: CoreCtx, dir: string): void {
  firmwareDirs.set(core, dir);
}

/** How an instance's driver flashes: mlx5 PFs do; SFs have the op, but no MCQI register. */
export type FlashKind = 'flash' | 'no-mcqi';
const flashKinds = new WeakMap<Instance, FlashKind>();

/** A driver gives its instance ops->flash_update. */
export function setFlashKind(inst: Instance, kind: FlashKind): void {
  flashKinds.set(inst, kind);
}

function fill(f: FamilyCtx, cmd: number, inst: Instance, st?: { msg?: string; component?: string; done: bigint; total: bigint }): Buffer {
  const w = new MsgWriter(f.id, 0, 0, 0, cmd, 1, 256);
  w.putString(A.BUS_NAME, inst.bus);
  w.putString(A.DEV_NAME, inst.dev);
  if (st) {
    if (st.msg !== undefined) w.putString(STATUS_MSG, st.msg);
    if (st.component !== undefined) w.putString(A.FLASH_UPDATE_COMPONENT, st.component);
    w.putU64(STATUS_DONE, st.done);
    w.putU64(STATUS_TOTAL, st.total);
    w.putU64(STATUS_TIMEOUT, 0n);
  }
  return w.end();
}

function flashUpdate(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  const inst = t.inst;
  const kind = flashKinds.get(inst);
  if (!kind) throw new Errno(-E.EOPNOTSUPP);
  const fa = tb[A.FLASH_UPDATE_FILE_NAME];
  if (!fa) {
    ext.setMissing(A.FLASH_UPDATE_FILE_NAME);
    throw new Errno(-E.EINVAL);
  }
  const comp = tb[A.FLASH_UPDATE_COMPONENT];
  if (comp) {
    ext.setMsgAttr(comp.at, 'component update is not supported by this device');
    throw new Errno(-E.EOPNOTSUPP);
  }
  const ow = tb[A.FLASH_UPDATE_OVERWRITE_MASK];
  if (ow) {
    ext.setMsgAttr(ow.at, 'overwrite settings are not supported by this device');
    throw new Errno(-E.EOPNOTSUPP);
  }
  const name = cstr(req.buf, fa.data, fa.len);
  let size: number;
  try {
    if (name.split('/').includes('..')) throw new Error('outside the firmware directory');
    size = fs.statSync(path.join(firmwareDirs.get(core) ?? '/lib/firmware', name)).size;
  } catch {
    ext.setMsgAttr(fa.at, 'failed to locate the requested firmware file');
    throw new Errno(-E.ENOENT);
  }
  const f = core.family;
  core.notifyRaw(fill(f, C.FLASH_UPDATE, inst));
  try {
    if (kind === 'no-mcqi') throw new Errno(-E.EOPNOTSUPP);
    const total = BigInt(size);
    const status = (msg: string, component?: string, done = 0n, tot = 0n): void =>
      core.notifyRaw(fill(f, CMD_STATUS, inst, { msg, ...(component !== undefined ? { component } : {}), done, total: tot }));
    status('Initializing firmware flash process');
    status('Updating component', '0');
    status('Downloading component', '0', 0n, total);
    for (let i = 1; i <= BLOCKS; i++) status('Downloading component', '0', (total * BigInt(i)) / BigInt(BLOCKS), total);
    status('Verifying component', '0');
    status('Activating image');
    status('Firmware flash done');
  } finally {
    core.notifyRaw(fill(f, CMD_END, inst));
  }
}

/** FLASH_UPDATE's handler. */
export const flashCmds: HandlerTable = {
  [C.FLASH_UPDATE]: { doit: flashUpdate },
};
