/**
 * genl family NAME, genl families: what the generic netlink controller (nlctrl) says of
 * a family: id, version, header size, largest attribute, operations and multicast groups.
 * Works on any kernel (no devlink needed). -j: {"family":{"<name>":{...}}}.
 */
import type { Family } from '../genl/nlctrl';
import { Args, nextStr } from './args';
import type { Session } from './session';

/** GENL_ADMIN_PERM, GENL_CMD_CAP_DO, _DUMP, _HASPOL, GENL_UNS_ADMIN_PERM. */
const OP_FLAGS: readonly [number, string][] = [[0x1, 'admin-perm'], [0x2, 'do'], [0x4, 'dump'], [0x8, 'haspol'], [0x10, 'uns-admin-perm']];

function flagNames(flags: number): string {
  return OP_FLAGS.filter(([bit]) => flags & bit).map(([, n]) => n).join(' ');
}

function printFamily(s: Session, f: Family): void {
  const p = s.printer;
  if (p.json) {
    p.jsonOpen(f.name);
    p.uint('id', '', f.id);
    p.str('name', '', f.name);
    p.uint('version', '', f.version);
    p.uint('hdrsize', '', f.hdrSize);
    p.uint('maxattr', '', f.maxAttr);
    p.jsonArrayOpen('ops');
    for (const op of f.ops) {
      p.jsonOpen();
      p.uint('id', '', op.id);
      p.uint('flags', '', op.flags);
      p.jsonClose();
    }
    p.jsonArrayClose();
    p.jsonArrayOpen('groups');
    for (const g of f.groups) {
      p.jsonOpen();
      p.uint('id', '', g.id);
      p.str('name', '', g.name);
      p.jsonClose();
    }
    p.jsonArrayClose();
    p.jsonClose();
    return;
  }
  let t = `${f.name}: id ${f.id} version ${f.version} hdrsize ${f.hdrSize} maxattr ${f.maxAttr}\n`;
  if (f.ops.length > 0) t += '  ops:\n' + f.ops.map((o) => `    ${o.id}${o.flags ? ' ' + flagNames(o.flags) : ''}\n`).join('');
  if (f.groups.length > 0) t += '  groups:\n' + f.groups.map((g) => `    ${g.name} id ${g.id}\n`).join('');
  p.out(t);
}

/** genl family NAME. */
export async function genlFamily(s: Session, a: Args): Promise<void> {
  const name = nextStr(a);
  a.done();
  const g = await s.genl();
  await s.printer.section('family', async () => {
    printFamily(s, await g.family(name, { refresh: true }));
  });
}

/** genl families. */
export async function genlFamilies(s: Session, a: Args): Promise<void> {
  a.done();
  const g = await s.genl();
  await s.printer.section('family', async () => {
    for (const f of await g.families()) printFamily(s, f);
  });
}
