/**
 * The fuzz seed corpus: real datagrams from three places.
 *
 * - fixtures/kernel/*.json: a real 6.1 kernel's devlink answers, captured with nlmon
 *   (fixtures/README.md). Messages of one pcap record form one datagram.
 * - fixtures/fuzz-seeds/sim-6.1.json, sim-current.json: what the simulator sends on each
 *   kernel flavour through a RecordingTransport (build-seeds.ts).
 * - fixtures/fuzz-seeds/nlctrl-host.json: the host kernel's nlctrl answers to the
 *   library's own native socket (GETFAMILY by name, the family dump, ENOENT).
 *
 * Every seed says which nlmsg_type its devlink family had, so a consumer can renumber
 * it to the family id of its own fake kernel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Direction } from './record';

/** One seed datagram. */
export interface Seed {
  /** Where it came from: "kernel/port-show-dump", "sim-6.1", "nlctrl-host". */
  readonly source: string;
  readonly dir: Direction;
  readonly group: number;
  /** The devlink family's nlmsg_type where it was captured (0 when there was none). */
  readonly devlinkId: number;
  readonly bytes: Buffer;
}

/** The JSON of a fixtures/fuzz-seeds file. */
export interface SeedFile {
  readonly source: string;
  /** How it was made (a sentence for people). */
  readonly made: string;
  readonly devlinkId: number;
  readonly datagrams: readonly { readonly dir: Direction; readonly group: number; readonly hex: string }[];
}

/** The repository root (this file runs from dist/test/fuzz/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SEEDS_DIR = path.join(REPO_ROOT, 'fixtures', 'fuzz-seeds');
const KERNEL_DIR = path.join(REPO_ROOT, 'fixtures', 'kernel');

interface KernelFixture {
  readonly name: string;
  readonly devlinkFamilyId: number;
  readonly messages: readonly { readonly dir: Direction; readonly packet: number; readonly hex: string }[];
}

/** fixtures/kernel: messages of one pcap packet joined back into their datagram. */
export function kernelSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const f of readdirSync(KERNEL_DIR).filter((n) => n.endsWith('.json') && n !== 'index.json').sort()) {
    const fx = JSON.parse(readFileSync(path.join(KERNEL_DIR, f), 'utf8')) as KernelFixture;
    const packets = new Map<number, { dir: Direction; parts: Buffer[] }>();
    for (const m of fx.messages) {
      const p = packets.get(m.packet) ?? { dir: m.dir, parts: [] };
      p.parts.push(padded(Buffer.from(m.hex, 'hex')));
      packets.set(m.packet, p);
    }
    for (const p of packets.values()) {
      const group = p.dir === 'notification' ? 1 : 0;
      out.push({ source: `kernel/${fx.name}`, dir: p.dir, group, devlinkId: fx.devlinkFamilyId, bytes: Buffer.concat(p.parts) });
    }
  }
  return out;
}

/** NLMSG_ALIGN: a message followed by its padding, as it sits in a datagram. */
function padded(msg: Buffer): Buffer {
  const pad = ((msg.length + 3) & ~3) - msg.length;
  return pad === 0 ? msg : Buffer.concat([msg, Buffer.alloc(pad)]);
}

/** fixtures/fuzz-seeds/*.json. */
export function storedSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const f of readdirSync(SEEDS_DIR).filter((n) => n.endsWith('.json')).sort()) {
    const s = JSON.parse(readFileSync(path.join(SEEDS_DIR, f), 'utf8')) as SeedFile;
    for (const d of s.datagrams) out.push({ source: s.source, dir: d.dir, group: d.group, devlinkId: s.devlinkId, bytes: Buffer.from(d.hex, 'hex') });
  }
  return out;
}

/** The whole corpus, in a fixed order (the fuzzers' PRNG picks from it by index). */
export function loadCorpus(): Seed[] {
  return [...kernelSeeds(), ...storedSeeds()];
}

/** Seeds sent by the kernel side (replies and notifications): what a client receives. */
export function received(corpus: readonly Seed[]): Seed[] {
  return corpus.filter((s) => s.dir !== 'request');
}

/** Counts per source and direction, for the fuzzers' first line. */
export function describeCorpus(corpus: readonly Seed[]): string {
  const by = new Map<string, number>();
  for (const s of corpus) {
    const k = s.source.startsWith('kernel/') ? 'kernel fixtures' : s.source;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return `${corpus.length} seed datagrams (${[...by].map(([k, n]) => `${k}: ${n}`).join(', ')})`;
}
