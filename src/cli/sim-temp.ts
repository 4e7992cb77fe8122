/**
 * The simulator's temporary directories, `$TMPDIR/devlink-sf-sim-XXXXXX`: the sysfs tree
 * of an in-process simulator (--sim) or of the background one (sim start) in `sys/`, and
 * an `owner` file naming the process that made it (its pid and pid namespace).
 *
 * The owner removes its directory on every end Node runs code on (signals.ts); a process
 * that SIGKILL ended cannot, so each new simulator first removes the directories whose
 * owner is gone: only directories of ours (this user's, with an owner file), only when
 * the owner's pid namespace is ours (a pid from another container means nothing here)
 * and no process has that pid. A directory without an owner file (one being made, or one
 * an older version left) is never touched.
 */
import { promises as fs, readlinkSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atExit } from './signals';

export const SIM_TEMP_PREFIX = 'devlink-sf-sim-';
const OWNER = 'owner';

interface Owner {
  readonly pid: number;
  readonly pidns: string;
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** A temporary directory of ours: removed when the process ends, or by remove(). */
export interface SimTemp {
  readonly dir: string;
  /** Where the simulator's sysfs tree goes. */
  readonly sysfsRoot: string;
  /** Remove it now (synchronously: it also runs when the process is ending). */
  remove(): void;
}

export async function makeSimTemp(): Promise<SimTemp> {
  await removeStaleSimTemps();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), SIM_TEMP_PREFIX));
  const remove = atExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const owner: Owner = { pid: process.pid, pidns: pidNamespace() ?? '' };
    await fs.writeFile(path.join(dir, OWNER), `${JSON.stringify(owner)}\n`);
    const sysfsRoot = path.join(dir, 'sys');
    await fs.mkdir(sysfsRoot);
    return { dir, sysfsRoot, remove };
  } catch (e) {
    remove();
    throw e;
  }
}

async function ownerOf(dir: string): Promise<Owner | undefined> {
  try {
    const o = JSON.parse(await fs.readFile(path.join(dir, OWNER), 'utf8')) as Partial<Owner>;
    return typeof o.pid === 'number' && Number.isInteger(o.pid) && o.pid > 0 && typeof o.pidns === 'string' ? (o as Owner) : undefined;
  } catch {
    return undefined;
  }
}

/** Remove the directories that processes now gone left (SIGKILL); returns how many. */
export async function removeStaleSimTemps(tmp = os.tmpdir()): Promise<number> {
  const ns = pidNamespace();
  if (ns === undefined) return 0;
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = (await fs.readdir(tmp)).filter((n) => n.startsWith(SIM_TEMP_PREFIX));
  } catch {
    return 0;
  }
  let removed = 0;
  await Promise.all(names.map(async (n) => {
    const dir = path.join(tmp, n);
    const st = await fs.lstat(dir).catch(() => undefined);
    if (st === undefined || !st.isDirectory() || (uid !== undefined && st.uid !== uid)) return;
    const owner = await ownerOf(dir);
    if (owner === undefined || owner.pidns !== ns || owner.pid === process.pid || alive(owner.pid)) return;
    await fs.rm(dir, { recursive: true, force: true }).then(() => removed++, () => undefined);
  }));
  return removed;
}
