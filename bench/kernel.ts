// Real-kernel figures (issue 5), run inside User-Mode Linux by scripts/uml/bench-kernel.sh:
// with 1,000 and 4,000 netdevsim ports,
//  - a full port dump: this library (exact and bounded receive) vs `devlink -j port show` vs pyroute2's DL.get_port_dump(),
//  - one port get in a loop of 1,000: this library vs spawning `devlink port show` each
//    time vs one `devlink -b` batch of 1,000 lines.
// Prints medians and ratios; asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Devlink } from '../src/devlink/devlink';

const RUNS = 5;
const GETS = 1000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function timeCmd(cmd: string, args: string[], input?: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  const t = ms(t0);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return t;
}

const PYROUTE2 = `
import sys, time
from pyroute2 import DL
dl = DL()
out = []
for i in range(int(sys.argv[1])):
    t0 = time.perf_counter()
    ports = dl.get_port_dump()
    names = [p.get_attr('DEVLINK_ATTR_PORT_NETDEV_NAME') for p in ports]
    out.append((time.perf_counter() - t0) * 1000)
    if len(ports) < int(sys.argv[2]):
        raise SystemExit('pyroute2 saw %d ports' % len(ports))
print(' '.join('%.3f' % x for x in out))
`;

async function scenario(dl: Devlink, fast: Devlink, id: number, nports: number): Promise<void> {
  const dev = `netdevsim/netdevsim${id}`;
  const t0 = process.hrtime.bigint();
  writeFileSync('/sys/bus/netdevsim/new_device', `${id} ${nports}`);
  let have = 0;
  for (let i = 0; i < 600 && have < nports; i++) {
    have = (await dl.ports({ dev })).length;
    if (have < nports) await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`\n## ${nports} netdevsim ports on ${dev} (created in ${(ms(t0) / 1000).toFixed(1)} s)`);
  const total = (await dl.ports()).length;

  // full dump
  const lib: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const ports = await dl.ports();
    lib.push(ms(t));
    if (ports.length !== total) throw new Error('port count changed');
  }
  const cli: number[] = [];
  for (let i = 0; i < RUNS; i++) cli.push(timeCmd('devlink', ['-j', 'port', 'show']));
  const py = execFileSync('/usr/bin/python3', ['-c', PYROUTE2, String(RUNS), String(total)], { encoding: 'utf8', maxBuffer: 1 << 26 })
    .trim().split(/\s+/).map(Number);
  const libB: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    await fast.ports();
    libB.push(ms(t));
  }
  const L = median(lib), B = median(libB), C = median(cli), P = median(py);
  console.log(`full port dump (${total} ports), median of ${RUNS}:`);
  console.log(`  devlink-sf ports()          ${L.toFixed(1).padStart(9)} ms`);
  console.log(`  devlink-sf, bounded receive  ${B.toFixed(1).padStart(9)} ms`);
  console.log(`  devlink -j port show        ${C.toFixed(1).padStart(9)} ms   (${(C / L).toFixed(1)}x the library's time, ${(C / B).toFixed(1)}x bounded; includes process start)`);
  console.log(`  pyroute2 DL.get_port_dump() ${P.toFixed(1).padStart(9)} ms   (${(P / L).toFixed(1)}x; in-process, interpreter start excluded)`);

  // port get, 1,000 times
  const handles = (await dl.ports({ dev })).slice(0, GETS).map((p) => p.handle);
  while (handles.length < GETS) handles.push(handles[handles.length % nports]);
  const tl = process.hrtime.bigint();
  for (const h of handles) await dl.port(h);
  const libGets = ms(tl);
  const tb = process.hrtime.bigint();
  for (const h of handles) await fast.port(h);
  const libGetsB = ms(tb);
  const spawnN = GETS;
  const ts = process.hrtime.bigint();
  for (let i = 0; i < spawnN; i++) timeCmd('devlink', ['port', 'show', handles[i]]);
  const spawnGets = ms(ts);
  const dir = mkdtempSync(path.join(tmpdir(), 'dlsf-bench-'));
  const batch = path.join(dir, 'batch');
  writeFileSync(batch, handles.map((h) => `port show ${h}\n`).join(''));
  const batchMs = timeCmd('devlink', ['-b', batch]);
  console.log(`one port get, ${GETS} times in a loop:`);
  console.log(`  devlink-sf port() (await each)  ${libGets.toFixed(1).padStart(9)} ms   ${(GETS / (libGets / 1000)).toFixed(0)} gets/s`);
  console.log(`  devlink-sf, bounded receive     ${libGetsB.toFixed(1).padStart(9)} ms   ${(GETS / (libGetsB / 1000)).toFixed(0)} gets/s`);
  console.log(`  spawn devlink port show each    ${spawnGets.toFixed(1).padStart(9)} ms   (${(spawnGets / libGets).toFixed(0)}x the library's time, ${(spawnGets / libGetsB).toFixed(0)}x bounded)`);
  console.log(`  devlink -b (one batch)          ${batchMs.toFixed(1).padStart(9)} ms   (${(batchMs / libGets).toFixed(1)}x the library's time, ${(batchMs / libGetsB).toFixed(1)}x bounded)`);

  writeFileSync('/sys/bus/netdevsim/del_device', String(id));
}

async function main(): Promise<void> {
  if (!existsSync('/sys/bus/netdevsim')) throw new Error('run inside User-Mode Linux: bash scripts/uml/bench-kernel.sh');
  const dl = await Devlink.open();
  const fast = await Devlink.open({ socket: { receive: 'bounded' } });
  console.log(`# devlink-sf real-kernel bench: ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()} (UML), transport ${dl.transportName}`);
  try {
    await scenario(dl, fast, 31, 1000);
    await scenario(dl, fast, 32, 4000);
  } finally {
    await fast.close();
    await dl.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
