// What the byte-level oracle tests (fixtures/kernel*, made by scripts/uml/capture.sh)
// share: a capture's messages, and request bytes masked down to what must agree.
import { forEachMessage, NlMsg } from '../../src/genl/message';

/** One capture as scripts/uml/nlpcap.py writes it (the fields the tests read). */
export interface Fixture {
  name: string;
  command: string;
  devlinkFamilyId: number;
  families: Record<string, { id?: number; mcastGroups?: Record<string, number> }>;
  steps: Array<{ command: string; exitCode?: number; stdout?: string; stderr?: string }>;
  messages: Array<{ dir: 'request' | 'reply' | 'notification'; packet: number; hex: string }>;
  devlinkJson?: Record<string, Record<string, Record<string, unknown>>>;
}

/** The messages of one direction, each parsed. */
export function messagesOf(f: Fixture, dir: 'request' | 'reply' | 'notification'): NlMsg[] {
  const out: NlMsg[] = [];
  for (const m of f.messages.filter((x) => x.dir === dir)) forEachMessage(Buffer.from(m.hex, 'hex'), (x) => out.push(x));
  return out;
}

/**
 * The request bytes with seq, pid, the genl version and attribute padding zeroed (iproute2
 * 6.1 sends version 0 and leaves padding unzeroed). Padding is zeroed at the top level and
 * inside nests (NLA_F_NESTED, or the one nest devlink requests carry: PORT_FUNCTION).
 */
export function masked(msg: Buffer): string {
  const b = Buffer.from(msg);
  b.fill(0, 8, 16);
  b[17] = 0;
  const zeroPadding = (start: number, end: number, depth: number): void => {
    let p = start;
    while (end - p >= 4) {
      const len = b.readUInt16LE(p);
      if (len < 4) return;
      const aligned = (len + 3) & ~3;
      b.fill(0, p + len, Math.min(p + aligned, end));
      const type = b.readUInt16LE(p + 2);
      if (depth < 2 && ((type & 0x8000) || (type & 0x3fff) === 145)) zeroPadding(p + 4, p + len, depth + 1);
      p += aligned;
    }
  };
  zeroPadding(20, b.length, 0);
  return b.toString('hex');
}
