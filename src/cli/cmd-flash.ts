/**
 * devlink dev flash DEV file PATH [ component NAME ] [ overwrite SECTION ]..., printing the
 * kernel's progress as iproute2 6.1's cmd_dev_flash_status_cb does: one line per new
 * status ("[component] message"), and on a terminal the percentage redrawn in place;
 * the last line ends at FLASH_UPDATE_END.
 */
import type { FlashOverwriteName } from '../devlink/flash';
import { Args, nextDevHandle, nextStr, parseKeywords, requireKeywords, UsageError } from './args';
import type { Session } from './session';
import { DevlinkError } from '../devlink/errors';
import { errorLine } from './errors';

const SECTIONS: readonly FlashOverwriteName[] = ['settings', 'identifiers'];

export async function devFlash(s: Session, a: Args): Promise<void> {
  const dev = nextDevHandle(a);
  let file = '';
  let component: string | undefined;
  const overwrite = new Set<FlashOverwriteName>();
  const seen = parseKeywords(a, [
    ['file', (x) => (file = nextStr(x))],
    ['component', (x) => (component = nextStr(x))],
    ['overwrite', (x) => {
      const w = nextStr(x);
      if (!(SECTIONS as readonly string[]).includes(w)) throw new UsageError(`Unknown overwrite section "${w}"`);
      overwrite.add(w as FlashOverwriteName);
    }],
  ]);
  // iproute2 6.1 has no message of its own for a missing file
  requireKeywords(seen, [['file', 'BUG: unknown argument required but not found']]);
  const dl = await s.devlink();
  const tty = s.io.stdout.isTTY === true;
  const update = dl.flash(dev, { file, ...(component !== undefined ? { component } : {}), ...(overwrite.size ? { overwrite: [...overwrite] } : {}) });
  let last: { msg?: string; component?: string; pc: boolean } | undefined;
  try {
    for await (const e of update) {
      if (e.phase !== 'status') {
        if (e.phase === 'end') s.out('\n');
        continue;
      }
      if (last && last.msg === e.message && last.component === e.component && last.pc) {
        if (tty) s.out('\b\b\b\b\b');
      } else {
        let line = last ? '\n' : '';
        if (e.component !== undefined) line += `[${e.component}] `;
        if (e.message !== undefined) line += e.message;
        s.out(line);
      }
      const total = e.total ?? 0n;
      if (total > 0n && tty) s.out(` ${String(((e.done ?? 0n) * 100n) / total).padStart(3)}%`);
      last = { ...(e.message !== undefined ? { msg: e.message } : {}), ...(e.component !== undefined ? { component: e.component } : {}), pc: total > 0n };
    }
  } catch (e) {
    // iproute2 flashes from a child process whose error reaches the user as the kernel's
    // message alone (no "kernel answers" line)
    if (e instanceof DevlinkError && e.extMessage) throw new UsageError(errorLine(e.extMessage));
    throw e;
  } finally {
    await update.done.catch(() => undefined);
  }
}
