// The command line's start (issue 16): `devlink-sf genl family nlctrl`, a whole process that
// asks the kernel one question, against `node -e 0` and iproute2's C `genl ctrl get name nlctrl`,
// each run `runs` times in turn (so all see the same load); prints medians of wall and CPU time.
//   node dist/bench/cli-start.js [runs]        (on the host; bench/kernel.ts runs it inside UML too)
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'devlink-sf.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function wall(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * The CPU time (user + system, ms) the command took, from bash's `time` (getrusage of the
 * child): on a shared machine wall time is mostly the others' load, CPU time is not.
 */
function cpu(cmd: string, args: string[]): number {
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="%3U %3S"; { time "$@" >/dev/null; } 2>&1', '_', cmd, ...args], { encoding: 'utf8' });
  const [u, s] = r.stdout.trim().split(/\s+/).slice(-2).map(Number);
  if (r.status !== 0 || !Number.isFinite(u + s)) throw new Error(`${cmd} ${args.join(' ')}: ${r.stdout}`);
  return (u + s) * 1000;
}

export function cliStart(runs = 10): void {
  const rows: [string, string, string[]][] = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['devlink-sf genl family nlctrl', process.execPath, [BIN, 'genl', 'family', 'nlctrl']],
    ['genl ctrl get name nlctrl (C)', 'genl', ['ctrl', 'get', 'name', 'nlctrl']],
  ];
  const t = rows.map(() => [] as number[]);
  const c = rows.map(() => [] as number[]);
  wall(process.execPath, [BIN, 'genl', 'family', 'nlctrl']); // the page cache, untimed
  for (let i = 0; i < runs; i++) {
    rows.forEach(([, cmd, args], j) => t[j].push(wall(cmd, args)));
    rows.forEach(([, cmd, args], j) => c[j].push(cpu(cmd, args)));
  }
  const bare = median(t[0]);
  const bareCpu = median(c[0]);
  rows.forEach(([name], j) => {
    const m = median(t[j]);
    const mc = median(c[j]);
    const over = j === 1 ? `   (+${(m - bare).toFixed(1)} ms wall, +${(mc - bareCpu).toFixed(1)} ms CPU over node -e 0)` : '';
    console.log(`  ${name.padEnd(32)} ${m.toFixed(1).padStart(8)} ms wall ${mc.toFixed(1).padStart(7)} ms CPU${over}`);
  });
  console.log(`  wall runs, sorted: ${t.map((xs) => [...xs].sort((a, b) => a - b).map((x) => x.toFixed(0)).join(' ')).join(' | ')}`);
  console.log(`  CPU runs, sorted:  ${c.map((xs) => [...xs].sort((a, b) => a - b).map((x) => x.toFixed(0)).join(' ')).join(' | ')}`);
}

if (require.main === module) cliStart(Number(process.argv[2] ?? 10));
