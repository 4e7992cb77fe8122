/**
 * The generic netlink controller (nlctrl, family id GENL_ID_CTRL): family lookup by name
 * or id, and the list of all families. Its nests (ops, groups) come without NLA_F_NESTED;
 * the decoder does not care.
 */
import { decodeAttrs } from '../attrs/decode';
import { Decoded, defineAttrSet } from '../attrs/schema';
import { CTRL_CMD_GETFAMILY, GENL_ID_CTRL, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from './constants';
import { finishRequest, genlAttrsStart, NlMsg, startRequest } from './message';
import { ProtocolError } from './errors';

export const ctrlOpAttrs = defineAttrSet('ctrl-op', {
  id: { id: 1, type: 'u32' },
  flags: { id: 2, type: 'u32' },
});

export const ctrlGroupAttrs = defineAttrSet('ctrl-mcast-grp', {
  name: { id: 1, type: 'string' },
  id: { id: 2, type: 'u32' },
});

export const ctrlAttrs = defineAttrSet('ctrl', {
  familyId: { id: 1, type: 'u16' },
  familyName: { id: 2, type: 'string', maxLen: 15 },
  version: { id: 3, type: 'u32' },
  hdrsize: { id: 4, type: 'u32' },
  maxattr: { id: 5, type: 'u32' },
  ops: { id: 6, type: 'nest-array', nested: () => ctrlOpAttrs },
  mcastGroups: { id: 7, type: 'nest-array', nested: () => ctrlGroupAttrs },
  policy: { id: 8, type: 'binary' },
  opPolicy: { id: 9, type: 'binary' },
  op: { id: 10, type: 'u32' },
});

/** A generic netlink family as nlctrl describes it. */
export interface Family {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly hdrSize: number;
  readonly maxAttr: number;
  /** Operations with their GENL_* flags (ADMIN_PERM 0x1, DO 0x2, DUMP 0x4, HASPOL 0x8, UNS_ADMIN_PERM 0x10). */
  readonly ops: readonly { readonly id: number; readonly flags: number }[];
  /** Multicast groups by name, with their run-time ids. */
  readonly groups: readonly { readonly name: string; readonly id: number }[];
}

/** CTRL_CMD_GETFAMILY for one family, by name. */
export function getFamilyRequest(name: string): Buffer {
  const w = startRequest(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY, 1, 0, 64);
  w.putString(2, name);
  return finishRequest(w);
}

/** CTRL_CMD_GETFAMILY as a dump: every family. */
export function getFamiliesRequest(): Buffer {
  return finishRequest(startRequest(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, CTRL_CMD_GETFAMILY, 1, 0, 32));
}

export function decodeFamily(m: NlMsg): Family {
  return familyFrom(decodeAttrs(ctrlAttrs, m.buf, genlAttrsStart(m), m.offset + m.length));
}

/** A family as nlctrl describes it; without its id or name the answer is not one (ProtocolError). */
export function familyFrom(a: Decoded<typeof ctrlAttrs.defs>): Family {
  if (a.familyId === undefined || a.familyId === 0) throw new ProtocolError('nlctrl described a family without CTRL_ATTR_FAMILY_ID');
  if (a.familyName === undefined) throw new ProtocolError(`nlctrl described family ${a.familyId} without CTRL_ATTR_FAMILY_NAME`);
  return {
    id: a.familyId,
    name: a.familyName,
    version: a.version ?? 0,
    hdrSize: a.hdrsize ?? 0,
    maxAttr: a.maxattr ?? 0,
    ops: (a.ops ?? []).map((o) => ({ id: o.id ?? 0, flags: o.flags ?? 0 })),
    groups: (a.mcastGroups ?? []).map((g) => ({ name: g.name ?? '', id: g.id ?? 0 })),
  };
}
