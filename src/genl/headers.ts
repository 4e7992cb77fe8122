/**
 * The fixed headers, declared once with buffer-layout so they read like the uapi:
 *
 *   struct nlmsghdr { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq; __u32 nlmsg_pid; };
 *   struct genlmsghdr { __u8 cmd; __u8 version; __u16 reserved; };
 *   struct nlmsgerr { int error; struct nlmsghdr msg; };
 *
 * The receive loop reads nlmsghdr fields directly (readNlmsghdr): it runs for every
 * message, and a layout decode there costs an object and a few closures per message
 * (bench/foundation.ts measures both). The field offsets come from the layouts
 * (HEADER_OFFSETS), written out in header-offsets.ts for the code that reads and writes
 * headers, so that it does not load buffer-layout (84 KB of source, a few ms of every
 * command line's start: bench/README.md). `npm run headers:offsets` writes that file from
 * headerOffsetsSource(); a unit test (test/genl.headers.test.ts) fails when it differs.
 */
import * as BL from 'buffer-layout';

export interface Nlmsghdr {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export interface Genlmsghdr {
  cmd: number;
  version: number;
  reserved: number;
}

export const nlmsghdr = BL.struct<Nlmsghdr>([BL.u32('len'), BL.u16('type'), BL.u16('flags'), BL.u32('seq'), BL.u32('pid')]);
export const genlmsghdr = BL.struct<Genlmsghdr>([BL.u8('cmd'), BL.u8('version'), BL.u16('reserved')]);
export const nlmsgerr = BL.struct<{ error: number; msg: Nlmsghdr }>([BL.s32('error'), nlmsghdr.replicate('msg')]);

function offsetOf<T>(s: BL.Structure<T>, field: string): number {
  const o = s.offsetOf(field);
  if (o === undefined) throw new Error(`no field ${field}`);
  return o;
}

/** Field offsets, from the layouts: header-offsets.ts holds them as numbers (see the top of this file). */
export const HEADER_OFFSETS = {
  NLH_LEN: offsetOf(nlmsghdr, 'len'),
  NLH_TYPE: offsetOf(nlmsghdr, 'type'),
  NLH_FLAGS: offsetOf(nlmsghdr, 'flags'),
  NLH_SEQ: offsetOf(nlmsghdr, 'seq'),
  NLH_PID: offsetOf(nlmsghdr, 'pid'),
  GENLH_CMD: nlmsghdr.span + offsetOf(genlmsghdr, 'cmd'),
  GENLH_VERSION: nlmsghdr.span + offsetOf(genlmsghdr, 'version'),
  NLMSGERR_ERROR: nlmsghdr.span + offsetOf(nlmsgerr, 'error'),
  NLMSGERR_MSG: nlmsghdr.span + offsetOf(nlmsgerr, 'msg'),
} as const;

/** What each offset is, for header-offsets.ts. */
const OFFSET_DOCS: Record<keyof typeof HEADER_OFFSETS, string> = {
  NLH_LEN: 'nlmsghdr.nlmsg_len',
  NLH_TYPE: 'nlmsghdr.nlmsg_type',
  NLH_FLAGS: 'nlmsghdr.nlmsg_flags',
  NLH_SEQ: 'nlmsghdr.nlmsg_seq',
  NLH_PID: 'nlmsghdr.nlmsg_pid',
  GENLH_CMD: 'genlmsghdr.cmd, after the nlmsghdr',
  GENLH_VERSION: 'genlmsghdr.version, after the nlmsghdr',
  NLMSGERR_ERROR: 'nlmsgerr.error, after the nlmsghdr',
  NLMSGERR_MSG: 'nlmsgerr.msg (the request\'s nlmsghdr), after the nlmsghdr',
};

/** The source of header-offsets.ts: HEADER_OFFSETS as numbers. */
export function headerOffsetsSource(): string {
  const lines = [
    '// Written by `npm run headers:offsets` from the buffer-layout structs of headers.ts (HEADER_OFFSETS); do not edit.',
    '// test/genl.headers.test.ts fails when this file and the layouts differ.',
    '/**',
    ' * The fixed headers\' field offsets, as numbers: what reads and writes headers (message.ts,',
    ' * batch.ts, the native transport) takes them from here and does not load buffer-layout.',
    ' */',
  ];
  for (const [name, value] of Object.entries(HEADER_OFFSETS)) {
    lines.push(`/** ${OFFSET_DOCS[name as keyof typeof HEADER_OFFSETS]}. */`, `export const ${name} = ${value};`);
  }
  return `${lines.join('\n')}\n`;
}
