/**
 * The generic netlink controller (nlctrl, id GENL_ID_CTRL): CTRL_CMD_GETFAMILY by id or
 * name (ctrl_getfamily: a name wins over an id; neither is EINVAL, unknown ENOENT) and
 * its dump of every family, each described by ctrl_fill_info: name, id, version,
 * hdrsize, maxattr, then OPS and MCAST_GROUPS as nests without NLA_F_NESTED.
 */
import { Errno } from './model';
import { Nla, policy } from './policy';
import { ctrlFamilyPolicy } from './policies';
import type { GenlFamily, GenlKernel, Origin } from './genl';
import type { OpDef } from './ops';
import { opFlags } from './ops';
import { MsgWriter } from './wire';
import { Ctrl, E, GENL_ID_CTRL, NLM_F_MULTI } from './uapi';
import { cstr } from './context';

const CTRL_VERSION = 2;

const CTRL_OPS: readonly OpDef[] = [
  {
    cmd: Ctrl.CMD_GETFAMILY, admin: false, doit: true, dumpit: true, doValidate: 'liberal', dumpValidate: 'none',
    doPolicy: ctrlFamilyPolicy, dumpPolicy: ctrlFamilyPolicy, need: 'none',
  },
  {
    cmd: Ctrl.CMD_GETPOLICY, admin: false, doit: false, dumpit: true, doValidate: 'strict', dumpValidate: 'strict',
    dumpPolicy: policy(Ctrl.ATTR_OP, {
      [Ctrl.ATTR_FAMILY_ID]: { type: Nla.U16 }, [Ctrl.ATTR_FAMILY_NAME]: { type: Nla.NUL_STRING, len: 15 }, [Ctrl.ATTR_OP]: { type: Nla.U32 },
    }),
    need: 'none',
  },
];

/** ctrl_fill_info. */
function fillFamily(f: GenlFamily, origin: Origin, portid: number, seq: number, flags: number): Buffer {
  const w = new MsgWriter(GENL_ID_CTRL, flags, seq, portid, Ctrl.CMD_NEWFAMILY, CTRL_VERSION, 1024);
  w.putString(Ctrl.ATTR_FAMILY_NAME, f.name);
  w.putU16(Ctrl.ATTR_FAMILY_ID, f.id);
  w.putU32(Ctrl.ATTR_VERSION, f.version);
  w.putU32(Ctrl.ATTR_HDRSIZE, f.hdrsize);
  w.putU32(Ctrl.ATTR_MAXATTR, f.maxattr);
  // one entry per command; split do/dump ops of one command are reported together
  const cmds: OpDef[] = [];
  for (const op of f.ops) if (!cmds.some((c) => c.cmd === op.cmd)) cmds.push(op);
  if (cmds.length > 0) {
    const ops = w.nestNoflag(Ctrl.ATTR_OPS);
    cmds.forEach((op, i) => {
      const e = w.nestNoflag(i + 1);
      w.putU32(Ctrl.ATTR_OP_ID, op.cmd);
      w.putU32(Ctrl.ATTR_OP_FLAGS, opFlags(op));
      w.nestEnd(e);
    });
    w.nestEnd(ops);
  }
  const groups = f.groups(origin);
  if (groups.length > 0) {
    const gs = w.nestNoflag(Ctrl.ATTR_MCAST_GROUPS);
    groups.forEach((g, i) => {
      const e = w.nestNoflag(i + 1);
      w.putU32(Ctrl.ATTR_MCAST_GRP_ID, g.id);
      w.putString(Ctrl.ATTR_MCAST_GRP_NAME, g.name);
      w.nestEnd(e);
    });
    w.nestEnd(gs);
  }
  return w.end();
}

export function nlctrlFamily(kernel: GenlKernel): GenlFamily {
  const byName = (name: string): GenlFamily | undefined => [...kernel.families.values()].find((f) => f.name === name);
  return {
    id: GENL_ID_CTRL, name: 'nlctrl', version: CTRL_VERSION, hdrsize: 0, maxattr: 0,
    resvStartOp: Ctrl.CMD_GETPOLICY + 1, ops: CTRL_OPS, splitOps: false, coalesceDone: false, faultable: false,
    groups: () => [{ id: GENL_ID_CTRL, name: 'notify' }],
    doit(_op, ctx) {
      const { buf } = ctx.req;
      let res: GenlFamily | undefined;
      let err = -E.EINVAL;
      const id = ctx.tb[Ctrl.ATTR_FAMILY_ID];
      if (id) {
        res = kernel.families.get(buf.readUInt16LE(id.data));
        err = -E.ENOENT;
      }
      const name = ctx.tb[Ctrl.ATTR_FAMILY_NAME];
      if (name) {
        res = byName(cstr(buf, name.data, name.len));
        err = -E.ENOENT;
      }
      if (!res) throw new Errno(err);
      ctx.reply(fillFamily(res, ctx.origin, ctx.req.portid, ctx.req.seq, 0));
    },
    dumpit(op, ctx) {
      if (op.cmd === Ctrl.CMD_GETPOLICY) {
        // ctrl_dumppolicy_start's lookups; the policies themselves are not dumped here
        const tb = ctx.tb ?? [];
        const id = tb[Ctrl.ATTR_FAMILY_ID];
        const name = tb[Ctrl.ATTR_FAMILY_NAME];
        if (!id && !name) return -E.EINVAL;
        const f = id ? kernel.families.get(ctx.req.buf.readUInt16LE(id.data)) : byName(cstr(ctx.req.buf, name!.data, name!.len));
        return f ? 0 : -E.ENOENT;
      }
      const all = [...kernel.families.values()].sort((a, b) => a.id - b.id);
      for (const f of all) ctx.put(fillFamily(f, ctx.origin, ctx.req.portid, ctx.req.seq, NLM_F_MULTI));
      return 0;
    },
  };
}
