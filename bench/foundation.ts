/**
 * Figures for the foundation layers, all measured in one run on this machine:
 *
 *   - nlctrl family lookups per second through GenericNetlink (refresh: true), serial and
 *     with 64 in flight, in the three receive modes of the native transport (exact, the
 *     default: recvmmsg into 64 KiB slots with reserves; peek: two system calls per
 *     datagram; bounded: recvmmsg into 64 KiB slots, no reserve), next to the `netlink`
 *     npm package's GenericNetlinkSocket doing the same lookup (ctrlRequest GET_FAMILY),
 *     and the ratios;
 *   - decoding a devlink-port-shaped reply (~15 attributes, a nest) per second;
 *   - encoding a port-add-shaped request (startRequest + encodeAttrs + finishRequest);
 *   - reading nlmsghdr with the buffer-layout struct vs the direct reads of message.ts.
 *
 * Each figure is the median of 5 runs of about 1 s (RUN_SECONDS overrides).
 *
 *   npx tsc -p . && node dist/bench/foundation.js
 */
import * as BL from 'buffer-layout';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createGenericNetlink, genl as npmGenl } from 'netlink';
import { decodeAttrs } from '../src/attrs/decode';
import { encodeAttrs } from '../src/attrs/encode';
import { defineAttrSet } from '../src/attrs/schema';
import { GenericNetlink } from '../src/genl/generic';
import { nlmsghdr, Nlmsghdr } from '../src/genl/headers';
import { NLH_FLAGS, NLH_LEN, NLH_PID, NLH_SEQ, NLH_TYPE } from '../src/genl/header-offsets';
import { finishRequest, forEachMessage, NlMsg, startRequest } from '../src/genl/message';
import { decodeMessage, decodeMessageInto, DevlinkDecoded, portFrom } from '../src/devlink/decode';

const RUNS = 5;
const RUN_SECONDS = Number(process.env.RUN_SECONDS ?? 1);

// ---- the devlink port, from <linux/devlink.h> ----

const DEVLINK_CMD_PORT_NEW = 7;
const portFlavour = { physical: 0, cpu: 1, dsa: 2, pcipf: 3, pcivf: 4, virtual: 5, unused: 6, pcisf: 7 } as const;

const portFnAttrs = defineAttrSet('port-function', {
  hwAddr: { id: 1, type: 'binary' }, // DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR
  state: { id: 2, type: 'u8', enum: { inactive: 0, active: 1 } }, // DEVLINK_PORT_FN_ATTR_STATE
  opstate: { id: 3, type: 'u8', enum: { detached: 0, attached: 1 } }, // DEVLINK_PORT_FN_ATTR_OPSTATE
});

const portAttrs = defineAttrSet('devlink', {
  busName: { id: 1, type: 'string' }, // DEVLINK_ATTR_BUS_NAME
  devName: { id: 2, type: 'string' }, // DEVLINK_ATTR_DEV_NAME
  portIndex: { id: 3, type: 'u32' }, // DEVLINK_ATTR_PORT_INDEX
  portType: { id: 4, type: 'u16', enum: { notset: 0, auto: 1, eth: 2, ib: 3 } }, // DEVLINK_ATTR_PORT_TYPE
  portNetdevIfindex: { id: 6, type: 'u32' }, // DEVLINK_ATTR_PORT_NETDEV_IFINDEX
  portNetdevName: { id: 7, type: 'string' }, // DEVLINK_ATTR_PORT_NETDEV_NAME
  portFlavour: { id: 77, type: 'u16', enum: portFlavour }, // DEVLINK_ATTR_PORT_FLAVOUR
  portNumber: { id: 78, type: 'u32' }, // DEVLINK_ATTR_PORT_NUMBER
  portPciPfNumber: { id: 127, type: 'u16' }, // DEVLINK_ATTR_PORT_PCI_PF_NUMBER
  portFunction: { id: 145, type: 'nest', nested: () => portFnAttrs }, // DEVLINK_ATTR_PORT_FUNCTION
  portSplittable: { id: 148, type: 'u8' }, // DEVLINK_ATTR_PORT_SPLITTABLE
  portExternal: { id: 149, type: 'u8' }, // DEVLINK_ATTR_PORT_EXTERNAL
  portControllerNumber: { id: 150, type: 'u32' }, // DEVLINK_ATTR_PORT_CONTROLLER_NUMBER
  portPciSfNumber: { id: 164, type: 'u32' }, // DEVLINK_ATTR_PORT_PCI_SF_NUMBER
});

/** A DEVLINK_CMD_PORT_NEW reply for an SF port, as the kernel orders it: 14 attributes + 3 in the nest. */
function portReply(): Buffer {
  const w = startRequest(0x14, 0, DEVLINK_CMD_PORT_NEW, 1);
  encodeAttrs(portAttrs, {
    busName: 'pci', devName: '0000:06:00.0', portIndex: 32768, portType: 'eth', portNetdevIfindex: 9,
    portNetdevName: 'eth6', portSplittable: 0, portFlavour: 'pcisf', portControllerNumber: 0, portPciPfNumber: 0,
    portPciSfNumber: 88, portFunction: { hwAddr: Buffer.from([0, 0, 0, 0, 0x88, 0x88]), state: 'inactive', opstate: 'detached' },
    portExternal: 0, portNumber: 0,
  }, w);
  return Buffer.from(finishRequest(w));
}

// ---- measuring ----

/** Every run's figure, kept so the spread can be printed next to the median. */
const spreads: string[] = [];

function median(xs: number[], label?: string): number {
  const s = [...xs].sort((a, b) => a - b);
  if (label) spreads.push(`${label}: ${s.map((x) => Math.round(x).toLocaleString('en-US')).join(' / ')}`);
  return s[Math.floor(s.length / 2)];
}

/** CPU time this process has used, in seconds (user + system). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Run `body(n)` (n iterations) in chunks for ~RUN_SECONDS of CPU; returns iterations per
 * CPU-second, i.e. per second on one core. CPU time rather than wall time, so that other
 * processes competing for the machine do not count against us; GC helper threads do
 * count, which makes the figure conservative.
 */
function rateSync(body: (n: number) => void): number {
  let n = 1000;
  // calibrate a chunk of ~20 ms
  for (;;) {
    const t0 = cpuSeconds();
    body(n);
    if (cpuSeconds() - t0 > 0.02) break;
    n *= 2;
  }
  let done = 0;
  const t0 = cpuSeconds();
  let now = t0;
  while (now - t0 < RUN_SECONDS) {
    body(n);
    done += n;
    now = cpuSeconds();
  }
  return done / (now - t0);
}

interface AsyncRate {
  /** Completions per second of wall time. */
  wall: number;
  /** Completions per CPU-second of this process (user + system: the kernel's share of sendmsg included). */
  cpu: number;
}

/** Keep `window` calls of `call` outstanding for ~RUN_SECONDS of wall time. */
async function rateAsync(window: number, call: () => Promise<unknown>): Promise<AsyncRate> {
  let done = 0;
  const c0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(RUN_SECONDS * 1e9));
  const worker = async (): Promise<void> => {
    while (process.hrtime.bigint() < end) {
      await call();
      done++;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { wall: done / wall, cpu: done / (cpuSeconds() - c0) };
}

async function medianOf(label: string, f: () => number | Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await f());
  return median(xs, label);
}

let sink = 0;

// ---- the figures ----

/** Who does the lookups: our three receive modes, and the netlink npm package. */
const OUR_MODES = ['exact', 'peek', 'bounded'] as const;
const LOOKUP_SIDES = [...OUR_MODES, 'theirs'] as const;
/** The targets for lookups per second: serial, 64 in flight. */
const LOOKUP_TARGETS = [100_000, 250_000] as const;
type LookupSide = (typeof LOOKUP_SIDES)[number];

interface Lookups {
  transport: string;
  /** How the exact mode received here (exact-batched, or exact-peek where reserves are not possible). */
  exactStrategy: string;
  /** [serial, 64 in flight] for each side. */
  rates: Record<LookupSide, [AsyncRate, AsyncRate]>;
}

/** The runs of every side alternate, so all of them see the same load on the machine. */
async function lookups(): Promise<Lookups> {
  const exact = await GenericNetlink.open({ socket: { receive: 'exact' } });
  const peek = await GenericNetlink.open({ socket: { receive: 'peek' } });
  const bounded = await GenericNetlink.open({ socket: { receive: 'bounded' } });
  const sock = createGenericNetlink();
  const call: Record<LookupSide, () => Promise<unknown>> = {
    exact: () => exact.family('nlctrl', { refresh: true }),
    peek: () => peek.family('nlctrl', { refresh: true }),
    bounded: () => bounded.family('nlctrl', { refresh: true }),
    theirs: async () => {
      const [m] = await sock.ctrlRequest(npmGenl.Commands.GET_FAMILY, { familyName: 'nlctrl' });
      if (m.familyId !== 0x10) throw new Error(`netlink npm answered ${JSON.stringify(m.familyId)}`);
      return m;
    },
  };
  for (const g of [exact, peek, bounded]) {
    const f = await g.family('nlctrl', { refresh: true });
    if (f.id !== 0x10 || f.name !== 'nlctrl') throw new Error('our lookup is broken');
  }
  for (const side of LOOKUP_SIDES) await rateAsync(1, call[side]); // warm-up
  const runs = {} as Record<LookupSide, [AsyncRate[], AsyncRate[]]>;
  for (const side of LOOKUP_SIDES) runs[side] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const [w, window] of [[0, 1], [1, 64]] as const) {
      for (const side of LOOKUP_SIDES) runs[side][w].push(await rateAsync(window, call[side]));
    }
  }
  const med = (xs: AsyncRate[], label: string): AsyncRate => ({
    wall: median(xs.map((x) => x.wall), `${label} /s`),
    cpu: median(xs.map((x) => x.cpu), `${label} /CPU-s`),
  });
  const label: Record<LookupSide, string> = { exact: 'ours exact', peek: 'ours peek', bounded: 'ours bounded', theirs: 'netlink npm' };
  const rates = {} as Record<LookupSide, [AsyncRate, AsyncRate]>;
  for (const side of LOOKUP_SIDES) rates[side] = [med(runs[side][0], `${label[side]} serial`), med(runs[side][1], `${label[side]} 64 in flight`)];
  if (bounded.connection.stats.truncated !== 0) throw new Error('a bounded-mode reply was truncated');
  const strategy = (exact.connection.transport as { receiveStrategy?: string }).receiveStrategy ?? exact.transportName;
  const out: Lookups = { transport: exact.transportName, exactStrategy: strategy, rates };
  await exact.close();
  await peek.close();
  await bounded.close();
  sock.socket.close();
  return out;
}

function decodePort(): number {
  const msg = portReply();
  const check = decodeAttrs(portAttrs, msg, 20);
  if (check.portFunction?.state !== 'inactive' || check.portPciSfNumber !== 88) throw new Error('decode is broken');
  return rateSync((n) => {
    for (let i = 0; i < n; i++) sink += decodeAttrs(portAttrs, msg, 20).portIndex!;
  });
}

/**
 * What ports() really runs per port: the library's devlink table decoded into the one
 * object a dump reuses (decodeMessageInto, dumps.ts), then portFrom. `fresh`: a new
 * decoded object per message (decodeMessage), what a get and the other lists run.
 */
function decodePortTyped(fresh = false): number {
  let msg: NlMsg | undefined;
  forEachMessage(portReply(), (m) => (msg = m));
  const check = portFrom(decodeMessage(msg!));
  if (check.function?.hwAddr !== '00:00:00:00:88:88' || check.sfnum !== 88) throw new Error('decode is broken');
  const scratch: Partial<DevlinkDecoded> = {};
  return rateSync(fresh ? (n) => {
    for (let i = 0; i < n; i++) sink += portFrom(decodeMessage(msg!)).index;
  } : (n) => {
    for (let i = 0; i < n; i++) sink += portFrom(decodeMessageInto(msg!, scratch)).index;
  });
}

function encodePortAdd(): number {
  return rateSync((n) => {
    for (let i = 0; i < n; i++) {
      const w = startRequest(0x14, 0x5 | 0x400 | 0x200, DEVLINK_CMD_PORT_NEW, 1, 0, 128);
      encodeAttrs(portAttrs, {
        busName: 'pci', devName: '0000:06:00.0', portFlavour: 'pcisf', portPciPfNumber: 0, portPciSfNumber: i & 0xffff, portControllerNumber: 0,
      }, w);
      sink += finishRequest(w).length;
    }
  });
}

/** A datagram of 16 messages; both readers visit every header. */
function headers(): { layout: number; direct: number } {
  const one = portReply();
  const dgram = Buffer.concat(Array.from({ length: 16 }, () => one));
  const layout = rateSync((n) => {
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < dgram.length; ) {
        const h = (nlmsghdr as BL.Structure<Nlmsghdr>).decode(dgram, p);
        sink += h.seq + h.pid + h.type + h.flags;
        p += (h.len + 3) & ~3;
      }
    }
  }) * 16;
  const direct = rateSync((n) => {
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < dgram.length; ) {
        const len = dgram.readUInt32LE(p + NLH_LEN);
        const type = dgram[p + NLH_TYPE] | (dgram[p + NLH_TYPE + 1] << 8);
        const flags = dgram[p + NLH_FLAGS] | (dgram[p + NLH_FLAGS + 1] << 8);
        sink += dgram.readUInt32LE(p + NLH_SEQ) + dgram.readUInt32LE(p + NLH_PID) + type + flags;
        p += (len + 3) & ~3;
      }
    }
  }) * 16;
  return { layout, direct };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(13);
}

const ratio = (a: number, b: number): string => (a / b).toFixed(2);

async function main(): Promise<void> {
  const only = process.argv[2];
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`devlink-sf foundation bench: node ${process.version}, ${cpus().length} CPUs, load average ${load} at start`);
  console.log(`each figure is the median of ${RUNS} runs of ~${RUN_SECONDS} s; "/s" is per second of wall time, "/CPU-s" per second of this process's CPU`);
  const rows: [string, string, string, string][] = [];
  const targets: string[] = [];
  if (!only || only === 'lookup') {
    const l = await lookups();
    console.log(`our transport: ${l.transport}, receive exact (the default; here ${l.exactStrategy}), peek and bounded; ` +
      `theirs: netlink ${npmVersion()} GenericNetlinkSocket.ctrlRequest(GET_FAMILY)`);
    const theirs = l.rates.theirs;
    for (const [i, what] of [[0, 'serial'], [1, '64 in flight']] as const) {
      for (const unit of ['wall', 'cpu'] as const) {
        for (const mode of OUR_MODES) {
          const ours = l.rates[mode][i][unit];
          rows.push([`nlctrl lookup, ${what}, ${mode} (${unit === 'wall' ? '/s' : '/CPU-s'})`, fmt(ours), fmt(theirs[i][unit]), ratio(ours, theirs[i][unit])]);
        }
      }
    }
    for (const [i, what] of [[0, 'serial'], [1, '64 in flight']] as const) {
      const target = LOOKUP_TARGETS[i];
      const verdict = OUR_MODES.map((m) => `${m} ${l.rates[m][i].wall >= target ? 'meets' : 'MISSES'} it`).join(', ');
      targets.push(`lookups ${what}: target ${target.toLocaleString('en-US')}/s (wall); ${verdict}`);
    }
  }
  if (!only || only === 'codec' || only === 'decode') {
    const dec = await medianOf('decode', decodePort);
    rows.push(['decode port reply, attributes only, 17 attrs (/CPU-s)', fmt(dec), '', '']);
    const typed = await medianOf('decode+portFrom', () => decodePortTyped());
    rows.push(['decode + portFrom: a port as ports() returns it (/CPU-s)', fmt(typed), '', `${typed >= 1e6 ? 'meets' : 'MISSES'} 1M`]);
    const fresh = await medianOf('decodeMessage+portFrom', () => decodePortTyped(true));
    rows.push(['decodeMessage + portFrom, a new decoded object each (a get) (/CPU-s)', fmt(fresh), '', '']);
  }
  if (!only || only === 'codec' || only === 'encode') {
    const enc = await medianOf('encode', encodePortAdd);
    rows.push(['encode port-add request (/CPU-s)', fmt(enc), '', `${enc >= 1e6 ? 'meets' : 'MISSES'} 1M`]);
  }
  if (!only || only === 'headers') {
    const hs: { layout: number; direct: number }[] = [];
    for (let i = 0; i < RUNS; i++) hs.push(headers());
    const layout = median(hs.map((h) => h.layout), 'nlmsghdr buffer-layout');
    const direct = median(hs.map((h) => h.direct), 'nlmsghdr direct');
    rows.push(['nlmsghdr read, direct (/CPU-s)', fmt(direct), '', '']);
    rows.push(['nlmsghdr read, buffer-layout (/CPU-s)', fmt(layout), '', `direct x${ratio(direct, layout)}`]);
  }
  console.log('');
  const head: [string, string, string, string] = ['', 'devlink-sf', 'netlink npm', 'ours/theirs'];
  const w0 = Math.max(...rows.map((r) => r[0].length), 0);
  for (const r of [head, ...rows]) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(13)}  ${r[2].padStart(13)}  ${r[3].padStart(11)}`);
  for (const t of targets) console.log(t);
  console.log('');
  console.log(`the ${RUNS} runs behind each median, sorted:`);
  for (const line of spreads) console.log(`  ${line}`);
  if (sink === 42) console.log(''); // keep the measured work observable
}

function npmVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('netlink/package.json'), 'utf8')) as { version: string }).version;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
