// A network namespace of the test's own for the suite it is called in: made in
// before(), deleted in after(); the suite is skipped when not root or `ip` fails.
import { execFileSync } from 'node:child_process';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Call inside describe(): returns the namespace's name and its /var/run/netns path. */
export function suiteNetns(prefix: string): { readonly name: string; readonly path: string } {
  const name = `${prefix}-${process.pid}`;
  let made = false;
  before(function () {
    if (!isRoot()) this.skip();
    try {
      execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
      made = true;
    } catch {
      this.skip();
    }
  });
  after(function () {
    if (made) execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
  });
  return { name, path: `/var/run/netns/${name}` };
}
