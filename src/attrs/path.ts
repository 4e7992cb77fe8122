/**
 * Turning a byte offset inside a message we sent into an attribute path, through the
 * same tables that encoded it: the kernel's ext-ack NLMSGERR_ATTR_OFFS and
 * NLMSGERR_ATTR_MISS_NEST name a byte, the caller wants ".port-function.hw-addr".
 */
import { AttrDefs, AttrSet, Kind } from './schema';
import { NLA_HDRLEN, NLA_TYPE_MASK } from './writer';
import { MAX_NEST_DEPTH } from './decode';

/**
 * The path of the attribute at (or containing) `offset` in buf[start, end), walking
 * nests through `set`. Returns '' when the offset is outside every attribute. Never
 * throws: a malformed run simply ends the walk.
 */
export function attrPathAt<D extends AttrDefs>(set: AttrSet<D> | undefined, buf: Buffer, start: number, end: number, offset: number): string {
  let path = '';
  let cur: AttrSet<AttrDefs> | undefined = set;
  let depth = 0;
  let p = start;
  end = Math.min(end, buf.length);
  while (end - p >= NLA_HDRLEN && depth <= MAX_NEST_DEPTH) {
    const len = buf[p] | (buf[p + 1] << 8);
    if (len < NLA_HDRLEN || len > end - p) return path;
    const type = (buf[p + 2] | (buf[p + 3] << 8)) & NLA_TYPE_MASK;
    if (offset < p || offset >= p + ((len + 3) & ~3)) {
      p += (len + 3) & ~3;
      continue;
    }
    const c = cur?.byId[type];
    path += '.' + (c ? c.name : `attr-${type}`);
    if (offset < p + NLA_HDRLEN || c === undefined) return path;
    if (c.kind === Kind.NEST) {
      cur = c.nestedSet();
    } else if (c.kind === Kind.NEST_ARRAY) {
      // step into the entry that holds the offset, then into its set
      const inner = entryAt(buf, p + NLA_HDRLEN, p + len, offset);
      if (inner === undefined) return path;
      path += `[${inner.index}]`;
      if (offset < inner.at + NLA_HDRLEN) return path;
      cur = c.nestedSet();
      end = inner.at + inner.len;
      p = inner.at + NLA_HDRLEN;
      depth++;
      continue;
    } else {
      return path;
    }
    end = p + len;
    p += NLA_HDRLEN;
    depth++;
  }
  return path;
}

function entryAt(buf: Buffer, start: number, end: number, offset: number): { index: number; at: number; len: number } | undefined {
  let p = start;
  for (let index = 0; end - p >= NLA_HDRLEN; index++) {
    const len = buf[p] | (buf[p + 1] << 8);
    if (len < NLA_HDRLEN || len > end - p) return undefined;
    if (offset >= p && offset < p + len) return { index, at: p, len };
    p += (len + 3) & ~3;
  }
  return undefined;
}

/** The kernel-style name of attribute `id` in `set` (for NLMSGERR_ATTR_MISS_TYPE). */
export function attrNameOf<D extends AttrDefs>(set: AttrSet<D> | undefined, id: number): string {
  return set ? set.attrName(id) : `attr-${id}`;
}

/** The set reached by following `path` (as returned by attrPathAt) from `set`. */
export function setAtPath(set: AttrSet<AttrDefs> | undefined, path: string): AttrSet<AttrDefs> | undefined {
  let cur = set;
  for (const part of path.split('.').filter(Boolean)) {
    const name = part.replace(/\[\d+\]$/, '');
    let next: AttrSet<AttrDefs> | undefined;
    for (const c of cur?.byKey.values() ?? []) if (c.name === name) next = c.nestedSet();
    cur = next;
    if (cur === undefined) return undefined;
  }
  return cur;
}
