/**
 * Test helpers for the simulator: a raw client that sends hand-built datagrams through an
 * in-process endpoint and collects what comes back datagram by datagram, and a reader of
 * those datagrams written from the uapi layouts (not from the simulator's code).
 */
import assert from 'node:assert/strict';
import type { Transport } from '../src/genl/transport';
import { Simulator, type SimulatorOptions } from '../src/sim';
import { cat, genlmsg, nla, strz, u16, u32 } from './helpers/bytes';

export const F = { REQUEST: 1, MULTI: 2, ACK: 4, ECHO: 8, DUMP_INTR: 0x10, DUMP_FILTERED: 0x20, DUMP: 0x300, CAPPED: 0x100, ACK_TLVS: 0x200 };
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export interface RAttr {
  readonly type: number;
  readonly raw: number;
  readonly data: Buffer;
  /** Offset of the attribute header in its message. */
  readonly at: number;
}

export interface RMsg {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly bytes: Buffer;
  readonly cmd: number;
  readonly version: number;
  readonly attrs: RAttr[];
  /** NLMSG_ERROR / NLMSG_DONE: positive errno (0 for an ACK). */
  readonly errno?: number;
  readonly ext?: { msg?: string; offs?: number; missType?: number; missNest?: number; policy?: Buffer };
}

export function attrsOf(b: Buffer, start: number, end: number, base = 0): RAttr[] {
  const out: RAttr[] = [];
  let p = start;
  while (end - p >= 4) {
    const len = b.readUInt16LE(p);
    if (len < 4 || p + len > end) break;
    const raw = b.readUInt16LE(p + 2);
    out.push({ type: raw & 0x3fff, raw, data: b.subarray(p + 4, p + len), at: p - base });
    p += (len + 3) & ~3;
  }
  return out;
}

/** Split a datagram into messages and read them. */
export function parse(d: Buffer): RMsg[] {
  const out: RMsg[] = [];
  let p = 0;
  while (d.length - p >= 16) {
    const len = d.readUInt32LE(p);
    assert.ok(len >= 16 && p + len <= d.length, `bad message length ${len} at ${p}`);
    const bytes = d.subarray(p, p + len);
    const type = bytes.readUInt16LE(4);
    const flags = bytes.readUInt16LE(6);
    const base = { type, flags, seq: bytes.readUInt32LE(8), pid: bytes.readUInt32LE(12), bytes };
    if (type === NLMSG_ERROR || type === NLMSG_DONE) {
      const errno = -bytes.readInt32LE(16) | 0;
      let tlv = type === NLMSG_DONE ? 20 : 36;
      if (type === NLMSG_ERROR && !(flags & F.CAPPED)) tlv = 20 + ((bytes.readUInt32LE(20) + 3) & ~3);
      const ext: NonNullable<RMsg['ext']> = {};
      if (flags & F.ACK_TLVS) {
        for (const a of attrsOf(bytes, tlv, len)) {
          if (a.type === 1) ext.msg = a.data.subarray(0, a.data.indexOf(0)).toString();
          if (a.type === 2) ext.offs = a.data.readUInt32LE(0);
          if (a.type === 4) ext.policy = a.data;
          if (a.type === 5) ext.missType = a.data.readUInt32LE(0);
          if (a.type === 6) ext.missNest = a.data.readUInt32LE(0);
        }
      }
      out.push({ ...base, cmd: 0, version: 0, attrs: [], errno, ext });
    } else {
      out.push({ ...base, cmd: bytes[16], version: bytes[17], attrs: attrsOf(bytes, 20, len) });
    }
    p += (len + 3) & ~3;
  }
  return out;
}

export function attr(m: RMsg | RAttr[], type: number): RAttr | undefined {
  const list = Array.isArray(m) ? m : m.attrs;
  return list.find((a) => a.type === type);
}

export function str(a: RAttr | undefined): string | undefined {
  return a ? a.data.subarray(0, a.data.indexOf(0) >= 0 ? a.data.indexOf(0) : a.data.length).toString() : undefined;
}

export function u32of(a: RAttr | undefined): number | undefined {
  return a ? a.data.readUInt32LE(0) : undefined;
}

export function nested(a: RAttr | undefined): RAttr[] {
  return a ? attrsOf(a.data, 0, a.data.length) : [];
}

/** A client on an in-process endpoint that keeps every datagram it receives. */
export class Raw {
  readonly ep: Transport;
  readonly got: { dgram: Buffer; group: number; port: number }[] = [];
  overruns = 0;
  private seq = 100;

  constructor(readonly sim: Simulator, opts: { privileged?: boolean } = {}) {
    this.ep = sim.transport(opts);
    this.ep.start({
      message: (dgram, from) => this.got.push({ dgram, group: from.group, port: from.port }),
      overrun: () => this.overruns++,
      error: (e) => {
        throw e;
      },
    });
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Send messages as one datagram; returns the datagrams answered to it (unicast). */
  send(...msgs: Buffer[]): Buffer[] {
    const before = this.got.length;
    this.ep.send(msgs);
    this.ep.poll();
    const fresh = this.got.splice(before);
    this.got.push(...fresh.filter((g) => g.group !== 0));
    return fresh.filter((g) => g.group === 0).map((g) => g.dgram);
  }

  /** Send and return the messages of every answered datagram, flattened. */
  call(msg: Buffer): RMsg[] {
    return this.send(msg).flatMap(parse);
  }

  /** Take every notification received so far. */
  notifications(): RMsg[] {
    const n = this.got.filter((g) => g.group !== 0);
    for (const g of n) this.got.splice(this.got.indexOf(g), 1);
    return n.flatMap((g) => parse(g.dgram));
  }

  join(group: number): void {
    this.ep.addMembership(group);
  }

  close(): void {
    this.ep.close();
  }
}

/** devlink request bytes, built with the independent byte helpers. */
export function dl(sim: Simulator, cmd: number, flags: number, attrs: Buffer[], seq = 1): Buffer {
  return genlmsg({ type: sim.familyId, flags, seq }, cmd, 1, attrs);
}

export const handle = (bus: string, dev: string): Buffer[] => [nla(1, strz(bus)), nla(2, strz(dev))];
export const PCI0 = handle('pci', '0000:06:00.0');
/** F.REQUEST | F.ACK: what a doit request carries. */
export const REQ = F.REQUEST | F.ACK;
/** Two mlx5 PFs: 06:00.0 in switchdev mode, 06:00.1 in legacy mode. */
export const TWO_PFS = [
  { handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' as const },
  { handle: 'pci/0000:06:00.1', pfnum: 1 },
];

/** Notifications as "cmd:device/port index:ttype" strings, for readable assertions. */
export function summary(ms: RMsg[]): string[] {
  return ms.map((m) => {
    const idx = u32of(attr(m, 3));
    const type = attr(m, 4)?.data.readUInt16LE(0);
    return `${m.cmd}:${str(attr(m, 2))}${idx !== undefined ? '/' + idx : ''}${type !== undefined ? ':t' + type : ''}`;
  });
}
export const PCI1 = handle('pci', '0000:06:00.1');

/** PORT_NEW attributes as iproute2 sends them: flavour pcisf, pfnum, sfnum. */
export function portNewAttrs(h: Buffer[], pfnum: number, sfnum: number, extra: Buffer[] = []): Buffer[] {
  return [...h, nla(77, u16(7)), nla(127, u16(pfnum)), nla(164, u32(sfnum)), ...extra];
}

export function portIndex(i: number): Buffer {
  return nla(3, u32(i));
}

/** Expect exactly one error ack; returns it. */
export function expectError(msgs: RMsg[], errno: number, msg?: string): RMsg {
  const errs = msgs.filter((m) => m.type === NLMSG_ERROR);
  assert.equal(errs.length, 1, `expected one NLMSG_ERROR, got ${msgs.map((m) => m.type).join(',')}`);
  const e = errs[0];
  assert.equal(e.errno, errno, `errno ${e.errno} (${e.ext?.msg ?? 'no message'}), expected ${errno}`);
  assert.equal(e.ext?.msg, msg);
  return e;
}

/** Offset, from the start of `msg`, of its n-th top-level attribute (0-based). */
export function attrOffset(msg: Buffer, n: number): number {
  let p = 20;
  for (let i = 0; i < n; i++) p += (msg.readUInt16LE(p) + 3) & ~3;
  return p;
}

export { cat };

/**
 * A fresh simulator and a raw client on it, in the notification group unless `join` is
 * false: what most simulator suites make before each test (`({ sim, raw } = simAndRaw(...))`).
 */
export function simAndRaw(options: SimulatorOptions, join = true): { sim: Simulator; raw: Raw } {
  const sim = new Simulator(options);
  const raw = new Raw(sim);
  if (join) raw.join(sim.groupId);
  return { sim, raw };
}
