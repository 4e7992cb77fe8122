/**
 * The long fuzz run: the unit tier's fuzzers (test/fuzz.test.ts) for as long as asked,
 * each target in a worker thread watched for stalls.
 *
 *   npm run fuzz -- [--seconds N] [--decoders N] [--engine N] [--seed N] [--out DIR]
 *
 * Environment: FUZZ_SECONDS (default 300), FUZZ_SEED (default: the time), FUZZ_DECODERS /
 * FUZZ_ENGINE (input counts; default: until the time is up), FUZZ_OUT (default
 * $TMPDIR/devlink-sf-fuzz). Every input that produced an untyped error, a hang, a stopped
 * monitor or an unhandled rejection is saved there as JSON (seed, index, the datagrams
 * fed, the error); a worker that stops making progress for FUZZ_STALL_SECONDS (30) is
 * ended and its inputs saved as a stall. Exit status 1 when anything was saved.
 *
 * An input is a function of (seed, index): `decoderInput(pool, seed, index)` makes a
 * decoder input again; an engine case is replayed with `engineCase(pools, seed, index, ...)`
 * (its datagrams are also in the saved file, the timing of their delivery is not).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describeCorpus, loadCorpus } from '../test/fuzz/corpus';
import { decoderInput, decoderPool } from '../test/fuzz/decoders';
import { Finding, Tally } from '../test/fuzz/tally';
import type { WorkerJob, WorkerReport } from './fuzz-worker';

function option(name: string, env: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  return process.env[env];
}

function numberOption(name: string, env: string, fallback: number): number {
  const v = option(name, env);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} / ${env}: expected a number, got "${v}"`);
  return n;
}

const seconds = numberOption('seconds', 'FUZZ_SECONDS', 300);
const seed = numberOption('seed', 'FUZZ_SEED', Date.now() % 0x7fffffff) >>> 0;
const counts = { decoders: numberOption('decoders', 'FUZZ_DECODERS', Infinity), engine: numberOption('engine', 'FUZZ_ENGINE', Infinity) };
const outDir = option('out', 'FUZZ_OUT') ?? path.join(tmpdir(), 'devlink-sf-fuzz');
const stallMs = numberOption('stall-seconds', 'FUZZ_STALL_SECONDS', 30) * 1000;
const engineOptions = { timeoutMs: 20, watchdogMs: 3000, concurrency: 16 };
const corpus = loadCorpus();

let saved = 0;
function save(f: Finding): void {
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${f.target}-seed${f.seed}-input${f.index}-${f.kind}.json`);
  writeFileSync(file, JSON.stringify(f, null, 1) + '\n');
  saved++;
  console.log(`  saved ${f.kind} (${f.where}): ${file}`);
}

interface Run {
  readonly target: WorkerJob['target'];
  readonly tally: Tally;
  stalls: number;
  done: Promise<void>;
}

/** Run `target` from input `start` in a worker; a stalled worker is replaced, past the stuck input. */
function runTarget(target: WorkerJob['target'], tally: Tally, deadline: number): Run {
  const run: Run = { target, tally, stalls: 0, done: Promise.resolve() };
  const start = (from: number): Promise<void> =>
    new Promise((resolve) => {
      const sab = new SharedArrayBuffer(12);
      const progress = new Int32Array(sab);
      const job: WorkerJob = { target, seed, start: from, count: counts[target] - from, progress: sab, engine: engineOptions };
      const w = new Worker(path.join(__dirname, 'fuzz-worker.js'), { workerData: job });
      let lastCount = 0;
      let lastMove = performance.now();
      const watch = setInterval(() => {
        const n = Atomics.load(progress, 0);
        if (n !== lastCount) {
          lastCount = n;
          lastMove = performance.now();
        }
        if (performance.now() > deadline) Atomics.store(progress, 2, 1);
        if (performance.now() - lastMove > stallMs) {
          clearInterval(watch);
          const stuck = Atomics.load(progress, 1);
          run.stalls++;
          // a decoder input is made again from (seed, index); an engine case's datagrams died with the worker
          const inputs = target === 'decoders' ? [decoderInput(decoderPool(corpus), seed, stuck).toString('hex')] : [];
          const where = `worker stalled ${stallMs / 1000} s (a synchronous loop?) at input ${stuck}`;
          const f: Finding = { kind: 'hang', target, seed, index: stuck, where, error: 'no progress', inputs };
          tally.find(f);
          save(f);
          void w.terminate().then(() => start(stuck + 1).then(resolve));
        }
      }, 250);
      w.on('message', (r: WorkerReport) => {
        const t = new Tally();
        t.inputs = r.inputs;
        t.datagrams = r.datagrams;
        for (const [k, n] of r.typed) t.typed.set(k, n);
        for (const f of r.findings) save(f);
        t.findings.push(...r.findings);
        t.dropped = r.dropped;
        tally.merge(t);
      });
      w.on('exit', () => {
        clearInterval(watch);
        resolve();
      });
      w.on('error', (e) => console.error(`fuzz worker (${target}):`, e));
    });
  run.done = start(0);
  return run;
}

function line(r: Run): string {
  return `${r.target}: ${r.tally.inputs} inputs (${r.tally.datagrams} datagrams); typed errors: ${r.tally.typedSummary()}; findings: ${r.tally.findingCount}`;
}

async function main(): Promise<void> {
  const decoders = Number.isFinite(counts.decoders) ? `, ${counts.decoders} decoder inputs` : '';
  const engine = Number.isFinite(counts.engine) ? `, ${counts.engine} engine cases` : '';
  console.log(`fuzz: seed ${seed}, ${seconds} s${decoders}${engine}; findings go to ${outDir}`);
  console.log(`corpus: ${describeCorpus(corpus)}`);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const runs = [runTarget('decoders', new Tally(), deadline), runTarget('engine', new Tally(), deadline)];
  const ticker = setInterval(() => {
    console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${runs.map((r) => `${r.target} ${r.tally.inputs}`).join(', ')}`);
  }, 30_000);
  await Promise.all(runs.map((r) => r.done));
  clearInterval(ticker);
  const s = (performance.now() - t0) / 1000;
  console.log(`\ndone in ${s.toFixed(0)} s (seed ${seed})`);
  for (const r of runs) console.log(`  ${line(r)} (${(r.tally.inputs / s).toFixed(0)}/s)`);
  console.log(saved > 0 ? `${saved} inputs saved in ${outDir}` : 'nothing to save: only typed errors, every call settled, every monitor alive');
  if (saved > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 2;
});
