/**
 * Global options, read as getopt_long reads iproute2's: anywhere on the line (the words
 * are permuted), short ones bundled (-jp) or with their value attached (-bFILE), long
 * ones abbreviated to a unique prefix (--js) or with "=value"; "--" ends them. Long
 * options that are not global (--dry-run, --yes) stay in place for the command.
 */
import { UsageError } from './args';
import type { GlobalOptions } from './session';

/** The environment variable that names a background simulator's state file (sim-daemon.ts): every command then runs on it. */
export const SIM_ENV = 'DEVLINK_SF_SIM';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface OptDef {
  readonly long: string;
  readonly short?: string;
  readonly arg: boolean;
  set(o: Mutable<GlobalOptions>, v: string): void;
}

const DEFS: readonly OptDef[] = [
  { long: 'json', short: 'j', arg: false, set: (o) => (o.json = true) },
  { long: 'pretty', short: 'p', arg: false, set: (o) => (o.pretty = true) },
  { long: 'statistics', short: 's', arg: false, set: (o) => (o.stats = true) },
  { long: 'iec', short: 'i', arg: false, set: (o) => (o.iec = true) },
  { long: 'verbose', short: 'v', arg: false, set: (o) => (o.verbose = true) },
  { long: 'force', short: 'f', arg: false, set: (o) => (o.force = true) },
  { long: 'no-nice-names', short: 'n', arg: false, set: () => undefined },
  { long: 'batch', short: 'b', arg: true, set: (o, v) => (o.batch = v) },
  { long: 'Netns', short: 'N', arg: true, set: (o, v) => (o.netns = v) },
  { long: 'Version', short: 'V', arg: false, set: (o) => (o.version = true) },
  { long: 'version', arg: false, set: (o) => (o.version = true) },
  { long: 'help', short: 'h', arg: false, set: (o) => (o.help = true) },
  { long: 'family', arg: true, set: (o, v) => (o.family = v) },
  { long: 'sim', arg: false, set: (o) => (o.sim = true) },
  { long: 'sim-config', arg: true, set: (o, v) => ((o.simConfig = v), (o.sim = true)) },
  { long: 'sysfs', arg: true, set: (o, v) => (o.sysfs = v) },
];

export function defaultOptions(): GlobalOptions {
  return { json: false, pretty: false, iec: false, stats: false, verbose: false, force: false, help: false, version: false, sim: false };
}

function longDef(name: string): OptDef | undefined | 'ambiguous' {
  const exact = DEFS.find((d) => d.long === name);
  if (exact) return exact;
  const hits = DEFS.filter((d) => d.long.startsWith(name));
  if (hits.length === 0) return undefined;
  return hits.length === 1 ? hits[0] : 'ambiguous';
}

/** Split argv into global options and the command's words. */
export function parseGlobal(argv: readonly string[]): { opts: GlobalOptions; words: string[] } {
  const o: Mutable<GlobalOptions> = defaultOptions();
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    const value = (d: OptDef, attached: string | undefined, shown: string): string => {
      if (attached !== undefined) return attached;
      if (i + 1 >= argv.length) throw new UsageError(`Option "${shown}" requires an argument`);
      return argv[++i];
    };
    if (w === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      const d = longDef(name);
      if (d === 'ambiguous') throw new UsageError(`Option "${w}" is ambiguous`);
      if (d === undefined) {
        words.push(w);
        continue;
      }
      if (!d.arg && eq >= 0) throw new UsageError(`Option "--${d.long}" takes no argument`);
      d.set(o, d.arg ? value(d, eq < 0 ? undefined : w.slice(eq + 1), `--${d.long}`) : '');
      continue;
    }
    if (w.length > 1 && w.startsWith('-') && !/^-\d/.test(w)) {
      for (let k = 1; k < w.length; k++) {
        const d = DEFS.find((x) => x.short === w[k]);
        if (!d) throw new UsageError(`Unknown option "-${w[k]}"\nTry "devlink-sf --help".`);
        if (d.arg) {
          d.set(o, value(d, k + 1 < w.length ? w.slice(k + 1) : undefined, `-${d.short}`));
          break;
        }
        d.set(o, '');
      }
      continue;
    }
    words.push(w);
  }
  return { opts: o, words };
}
