/**
 * Rate objects: RATE_GET (doit, dump), RATE_SET, RATE_NEW and RATE_DEL with the core's
 * lookups (leaf by port index, node by name) and its "isn't supported" checks.
 */
import { ExtAck, Tb } from './policy';
import { Errno, fail, Instance, Rate } from './model';
import { fillRate } from './fill';
import { cstr } from './context';
import type { CoreCtx, DoCtx, DumpCtx, HandlerTable, Target } from './context';
import { A, C, E, NLM_F_DUMP_FILTERED, NLM_F_MULTI, RateType } from './uapi';

/** devlink_rate_node_get_from_attrs: EINVAL for no, empty or all-digit names; ENODEV unknown. */
export function rateNodeFromAttrs(inst: Instance, buf: Buffer, tb: Tb): Rate {
  const a = tb[A.RATE_NODE_NAME];
  if (!a) throw new Errno(-E.EINVAL);
  const name = cstr(buf, a.data, a.len);
  if (!name || /^[0-9]+$/.test(name)) throw new Errno(-E.EINVAL);
  const r = inst.rates.find((x) => x.type === RateType.NODE && x.name === name);
  if (!r) throw new Errno(-E.ENODEV);
  return r;
}

/** devlink_rate_get_from_info. */
export function rateFromAttrs(core: CoreCtx, inst: Instance, buf: Buffer, tb: Tb): Rate {
  if (tb[A.PORT_INDEX]) {
    const port = core.portFromAttrs(inst, buf, tb);
    if (!port.rate) throw new Errno(-E.ENODEV);
    return port.rate;
  }
  if (tb[A.RATE_NODE_NAME]) return rateNodeFromAttrs(inst, buf, tb);
  throw new Errno(-E.EINVAL);
}

/** devlink_rate_set_ops_supported. */
function opsSupported(core: CoreCtx, inst: Instance, tb: Tb, type: RateType, ext: ExtAck): void {
  const d = inst.driver;
  const leaf = type === RateType.LEAF;
  const kind = leaf ? 'leafs' : 'nodes';
  const check = (attr: number, has: unknown, what: string): void => {
    if (tb[attr] && !has) fail(-E.EOPNOTSUPP, ext, core.mod(`${what} set isn't supported for the ${kind}`));
  };
  check(A.RATE_TX_SHARE, leaf ? d.rateLeafTxShareSet : d.rateNodeTxShareSet, 'TX share');
  check(A.RATE_TX_MAX, leaf ? d.rateLeafTxMaxSet : d.rateNodeTxMaxSet, 'TX max');
  check(A.RATE_PARENT_NODE_NAME, leaf ? d.rateLeafParentSet : d.rateNodeParentSet, 'Parent');
  if (core.family.flavor === 'current') {
    // mlx5 implements neither tx_priority nor tx_weight
    check(A.RATE_TX_PRIORITY, undefined, 'TX priority');
    check(A.RATE_TX_WEIGHT, undefined, 'TX weight');
  }
}

function isAncestor(node: Rate, parent: Rate | undefined): boolean {
  for (let p = parent; p; p = p.parent) if (p === node) return true;
  return false;
}

/** devlink_nl_rate_set. */
function rateSet(core: CoreCtx, rate: Rate, buf: Buffer, tb: Tb, ext: ExtAck): void {
  const d = rate.instance.driver;
  const leaf = rate.type === RateType.LEAF;
  const share = tb[A.RATE_TX_SHARE];
  if (share) {
    const v = buf.readBigUInt64LE(share.data);
    (leaf ? d.rateLeafTxShareSet : d.rateNodeTxShareSet)?.(rate, v, ext);
    rate.txShare = v;
  }
  const max = tb[A.RATE_TX_MAX];
  if (max) {
    const v = buf.readBigUInt64LE(max.data);
    (leaf ? d.rateLeafTxMaxSet : d.rateNodeTxMaxSet)?.(rate, v, ext);
    rate.txMax = v;
  }
  const pa = tb[A.RATE_PARENT_NODE_NAME];
  if (!pa) return;
  const name = cstr(buf, pa.data, pa.len);
  const parentSet = leaf ? d.rateLeafParentSet : d.rateNodeParentSet;
  if (rate.parent && name) fail(-E.EBUSY, ext, core.mod('Rate object already has parent.'));
  if (rate.parent && !name) {
    parentSet?.(rate, undefined, ext);
    rate.parent.refcnt--;
    rate.parent = undefined;
  } else if (!rate.parent && name) {
    const parent = rate.instance.rates.find((x) => x.type === RateType.NODE && x.name === name);
    if (!parent) throw new Errno(-E.ENODEV);
    if (parent === rate) fail(-E.EINVAL, ext, core.mod('Parent to self is not allowed'));
    if (!leaf && isAncestor(rate, parent.parent)) fail(-E.EEXIST, ext, core.mod('Node is already a parent of parent node.'));
    parentSet?.(rate, parent, ext);
    parent.refcnt++;
    rate.parent = parent;
  }
}

function rateNew(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const { req, tb, ext } = ctx;
  const buf = req.buf;
  const inst = t.inst;
  const d = inst.driver;
  if (!d.rateNodeNew || !d.rateNodeDel) fail(-E.EOPNOTSUPP, ext, core.mod("Rate nodes aren't supported"));
  opsSupported(core, inst, tb, RateType.NODE, ext);
  try {
    rateNodeFromAttrs(inst, buf, tb);
    throw new Errno(-E.EEXIST);
  } catch (e) {
    if (!(e instanceof Errno) || e.err !== -E.ENODEV) throw e;
  }
  const a = tb[A.RATE_NODE_NAME];
  const node: Rate = {
    instance: inst, type: RateType.NODE, name: a ? cstr(buf, a.data, a.len) : '',
    txShare: 0n, txMax: 0n, txPriority: 0, txWeight: 0, parent: undefined, refcnt: 1,
  };
  d.rateNodeNew(node, ext);
  try {
    rateSet(core, node, buf, tb, ext);
  } catch (e) {
    d.rateNodeDel(node, ext);
    throw e;
  }
  inst.rates.unshift(node);
  core.notifyRate(node, C.RATE_NEW);
}

function rateDel(core: CoreCtx, ctx: DoCtx, t: Target): void {
  const inst = t.inst;
  const node = t.rate as Rate;
  if (node.refcnt > 1) fail(-E.EBUSY, ctx.ext, core.mod('Node has children. Cannot delete node.'));
  core.notifyRate(node, C.RATE_DEL);
  inst.driver.rateNodeDel?.(node, ctx.ext);
  if (node.parent) node.parent.refcnt--;
  inst.rates.splice(inst.rates.indexOf(node), 1);
}

function rateGetDump(core: CoreCtx, ctx: DumpCtx): void {
  const { instances, filtered } = core.dumpScope(ctx);
  const flags = NLM_F_MULTI | (filtered ? NLM_F_DUMP_FILTERED : 0);
  for (const inst of instances) {
    for (const r of inst.rates) {
      ctx.put(fillRate(core.family, { cmd: C.RATE_NEW, portid: ctx.req.portid, seq: ctx.req.seq, flags }, r));
    }
  }
}

/** The rate commands' handlers. */
export const rateCmds: HandlerTable = {
  [C.RATE_GET]: {
    doit: (core, ctx, t) => {
      const { req } = ctx;
      ctx.reply(fillRate(core.family, { cmd: C.RATE_NEW, portid: req.portid, seq: req.seq, flags: 0 }, t.rate as Rate));
    },
    dumpit: rateGetDump,
  },
  [C.RATE_SET]: {
    doit: (core, ctx, t) => {
      const rate = t.rate as Rate;
      opsSupported(core, t.inst, ctx.tb, rate.type, ctx.ext);
      rateSet(core, rate, ctx.req.buf, ctx.tb, ctx.ext);
      core.notifyRate(rate, C.RATE_NEW);
    },
  },
  [C.RATE_NEW]: { doit: rateNew },
  [C.RATE_DEL]: { doit: rateDel },
};
