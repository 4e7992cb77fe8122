/**
 * One fuzz target in a worker thread, for bench/fuzz.ts: the main thread watches the
 * shared progress counters and ends the worker if it stops moving (a synchronous
 * endless loop cannot be caught from inside).
 *
 * progress (Int32Array over a SharedArrayBuffer): [0] inputs finished, [1] the highest
 * input started, [2] set by the main thread to ask the worker to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCorpus } from '../test/fuzz/corpus';
import { decoderPool, decoderInput, feedDecoders } from '../test/fuzz/decoders';
import { engineCase, EngineOptions } from '../test/fuzz/engine';
import { enginePools } from '../test/fuzz/fuzz-kernel';
import { describeError, Tally } from '../test/fuzz/tally';

export interface WorkerJob {
  readonly target: 'decoders' | 'engine';
  readonly seed: number;
  readonly start: number;
  /** Inputs to try (Infinity: until asked to stop). */
  readonly count: number;
  readonly progress: SharedArrayBuffer;
  readonly engine: EngineOptions & { readonly concurrency: number };
}

/** What the worker posts after each chunk (and once more with `last` at the end). */
export interface WorkerReport {
  readonly inputs: number;
  readonly datagrams: number;
  readonly typed: [string, number][];
  readonly findings: Tally['findings'];
  readonly dropped: number;
  readonly last: boolean;
}

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
const corpus = loadCorpus();

function post(t: Tally, last: boolean): void {
  const r: WorkerReport = { inputs: t.inputs, datagrams: t.datagrams, typed: [...t.typed], findings: t.findings, dropped: t.dropped, last };
  parentPort?.postMessage(r);
}

const stopping = (): boolean => Atomics.load(progress, 2) !== 0;

async function runDecoders(): Promise<void> {
  const pool = decoderPool(corpus);
  const end = job.start + job.count;
  for (let i = job.start; i < end && !stopping(); ) {
    const t = new Tally();
    for (const stop = Math.min(end, i + 5000); i < stop; i++) {
      Atomics.store(progress, 1, i);
      const d = decoderInput(pool, job.seed, i);
      t.inputs++;
      t.datagrams++;
      const bad = feedDecoders(d, t);
      if (bad) {
        t.find({
          kind: 'untyped-error', target: 'decoders', seed: job.seed, index: i, where: bad.where, error: describeError(bad.error), inputs: [d.toString('hex')],
        });
      }
      Atomics.add(progress, 0, 1);
    }
    post(t, false);
    await new Promise((r) => setImmediate(r));
  }
}

async function runEngine(): Promise<void> {
  const pools = enginePools(corpus);
  const end = job.start + job.count;
  let next = job.start;
  let t = new Tally();
  let lastPost = performance.now();
  const lane = async (): Promise<void> => {
    while (next < end && !stopping()) {
      const i = next++;
      Atomics.store(progress, 1, i);
      const one = new Tally();
      await engineCase(pools, job.seed, i, job.engine, one);
      t.merge(one);
      Atomics.add(progress, 0, 1);
      if (performance.now() - lastPost > 1000) {
        post(t, false);
        t = new Tally();
        lastPost = performance.now();
      }
    }
  };
  process.on('unhandledRejection', (r) => {
    t.find({
      kind: 'unhandled-rejection', target: 'engine', seed: job.seed, index: Atomics.load(progress, 1), where: 'process', error: describeError(r), inputs: [],
    });
  });
  await Promise.all(Array.from({ length: job.engine.concurrency }, lane));
  post(t, false);
}

(job.target === 'decoders' ? runDecoders() : runEngine()).then(
  () => post(new Tally(), true),
  (e: unknown) => {
    // the harness itself failed: say so and let the main thread see the worker end
    console.error(`fuzz worker (${job.target}) failed:`, e);
    process.exitCode = 1;
  },
);
