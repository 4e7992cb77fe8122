// Running the command line in-process with its output captured.
import { PassThrough } from 'node:stream';
import { main, MainOptions } from '../src/cli/main';

export class Capture {
  text = '';
  isTTY = false;
  columns = 80;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** main(argv) with captured stdout and stderr; `stdin` text for -b - and apply -. */
export async function run(argv: readonly string[], o: MainOptions & { input?: string; tty?: boolean } = {}): Promise<RunResult> {
  const stdout = new Capture();
  stdout.isTTY = o.tty === true;
  const stderr = new Capture();
  const stdin = new PassThrough();
  stdin.end(o.input ?? '');
  const code = await main(argv, { stdin, env: {}, ...o, stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

/** Wait for `cond` (polling every few ms), or fail after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
