/**
 * The command line as a process (bin/devlink-sf.js): what main() leaves to the process.
 *
 * - A closed pipe (`devlink-sf port show | head -1`) ends the program quietly, as SIGPIPE
 *   ends iproute2: exit status 141 (128 + SIGPIPE), nothing on stderr.
 * - SIGINT or SIGTERM during a long-running command (monitor, demo) ends that command
 *   and then the program, a batch included (main returns 130 or 143); at any other
 *   moment Node's default ends the process at once.
 */
import { main } from './main';

/** 128 + SIGPIPE, the status a shell reports for a program that SIGPIPE ended. */
export const EXIT_EPIPE = 141;

function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_EPIPE);
    throw e;
  });
}

export async function runProcess(argv: readonly string[]): Promise<void> {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    process.stderr.write(`devlink-sf: ${e instanceof Error && e.stack !== undefined ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  }
}
