/**
 * The agent's desired state: a file in `devlink-sf apply`'s format (YAML or JSON), read at
 * start, then again whenever it changes and on SIGHUP. A file that does not parse or
 * validate is reported and the last good state kept.
 *
 * Changes are seen by watching the file's directory, not the file: a Kubernetes ConfigMap
 * mounted as a volume is updated by swapping the `..data` symlink the file's own link points
 * through, so the file is never written and a watch on it (or on its inode) sees nothing.
 * Every event in the directory leads to a re-read (debounced), and a re-read whose text is
 * unchanged changes nothing.
 */
import { watch as fsWatch, FSWatcher, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DesiredState, parseDesiredState } from '../devlink/apply';

/** Read and check a desired-state file. Throws with the file named. */
export async function loadDesiredState(file: string): Promise<{
  /** The desired state, checked. */
  state: DesiredState;
  /** The file's text (to tell a real change from a rewrite of the same). */
  text: string;
}> {
  const text = await fs.readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new Error(`${file}: not YAML or JSON: ${(e as Error).message}`);
  }
  return { state: parseDesiredState(doc), text };
}

/** What a ConfigWatch tells of the file. */
export interface ConfigWatchHandlers {
  /** A new good state (its text differs from the last good one). */
  changed(state: DesiredState): void;
  /** The file could not be read or is not valid: the last good state stays. */
  invalid(err: unknown): void;
}

/** The desired-state file, watched through its directory (see above). */
export class ConfigWatch {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastText: string;
  private reading: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    /** The file watched. */
    readonly file: string,
    initialText: string,
    private readonly h: ConfigWatchHandlers,
    private readonly debounceMs = 50,
  ) {
    this.lastText = initialText;
    this.watcher = fsWatch(path.dirname(path.resolve(file)), { persistent: false }, () => this.soon());
    this.watcher.on('error', (e) => this.h.invalid(e));
  }

  /** Read again after a short quiet time (a swap is several events). */
  soon(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.debounceMs);
  }

  /** Read the file now (SIGHUP); resolves once read and handled. */
  reload(): Promise<void> {
    this.reading = this.reading.then(async () => {
      if (this.closed) return;
      let r: { state: DesiredState; text: string };
      try {
        r = await loadDesiredState(this.file);
      } catch (e) {
        this.h.invalid(e);
        return;
      }
      if (r.text === this.lastText) return;
      this.lastText = r.text;
      this.h.changed(r.state);
    });
    return this.reading;
  }

  /** Stop watching (idempotent). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
