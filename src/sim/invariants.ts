/**
 * The simulator's invariants, checked after each step of the random-operations test and
 * available to users' tests: no sfnum twice per controller (live SFs and hardware slots
 * alike), port indices unique per instance, every SF with exactly one port and a leaf
 * rate, rate node reference counts, auxiliary devices only for attached functions.
 */
import type { DevlinkCore } from './core';
import type { Mlx5Pf } from './mlx5';
import { Hw } from './mlx5-sf';
import { Flavour, RateType } from './uapi';

export interface InvariantReport {
  readonly instances: number;
  readonly ports: number;
  readonly sfs: number;
  readonly slotsInUse: number;
  readonly attached: number;
}

function check(ok: boolean, what: () => string): void {
  if (!ok) throw new Error(`simulator invariant violated: ${what()}`);
}

export function checkInvariants(core: DevlinkCore, pfs: readonly Mlx5Pf[]): InvariantReport {
  let ports = 0;
  let sfs = 0;
  let slots = 0;
  let attached = 0;
  const instIdx = new Set<number>();
  const auxIds = new Set<number>();
  for (const inst of core.instances) {
    check(inst.registered, () => `${inst.handle} listed but not registered`);
    check(!instIdx.has(inst.index), () => `instance index ${inst.index} twice`);
    instIdx.add(inst.index);
    const seen = new Set<number>();
    for (const p of inst.ports) {
      check(!seen.has(p.index), () => `${inst.handle}/${p.index} twice`);
      seen.add(p.index);
      ports++;
      if (p.rate) check(inst.rates.includes(p.rate), () => `${inst.handle}/${p.index}: leaf rate not listed`);
    }
    for (const r of inst.rates) {
      if (r.type === RateType.LEAF) check(!!r.port && inst.ports.includes(r.port), () => `${inst.handle}: leaf rate of an unregistered port`);
      if (r.parent) check(inst.rates.includes(r.parent), () => `${inst.handle}: rate parent not listed`);
      if (r.type === RateType.NODE) {
        const children = inst.rates.filter((x) => x.parent === r).length;
        check(r.refcnt === 1 + children, () => `${inst.handle}: node ${r.name} refcnt ${r.refcnt} with ${children} children`);
      }
    }
  }
  for (const pf of pfs) {
    const live = new Set<string>();
    for (const sf of pf.sfTable.byIndex.values()) {
      sfs++;
      const key = `${sf.controller}:${sf.sfnum}`;
      check(!live.has(key), () => `${pf.inst.handle}: sfnum ${key} used by two SFs`);
      live.add(key);
      check(!sf.deleted, () => `${pf.inst.handle}: deleted SF ${sf.sfnum} still in the table`);
      const port = pf.inst.port(sf.index);
      check(port !== undefined && port === sf.port, () => `${pf.inst.handle}: SF ${sf.sfnum} has no port ${sf.index}`);
      check(!!port?.rate, () => `${pf.inst.handle}: SF ${sf.sfnum} has no leaf rate`);
      const slot = pf.sfTable.hwc(sf.controller).slots[sf.slot];
      check(slot.allocated && slot.sfnum === sf.sfnum && !slot.pendingDelete, () => `${pf.inst.handle}: SF ${sf.sfnum}'s slot is not its own`);
      const aux = sf.aux;
      if (aux) {
        attached++;
        check(sf.hw === Hw.IN_USE || sf.hw === Hw.TEARDOWN, () => `${pf.inst.handle}: SF ${sf.sfnum} has an auxiliary device while ${sf.hw}`);
        check(aux.inst.registered, () => `${aux.name} not registered`);
        check(!auxIds.has(aux.id), () => `auxiliary id ${aux.id} twice`);
        auxIds.add(aux.id);
      }
    }
    const used = new Set<string>();
    for (const s of pf.sfTable.slotsInUse()) {
      slots++;
      const key = `${s.controller}:${s.sfnum}`;
      check(!used.has(key), () => `${pf.inst.handle}: sfnum ${key} in two hardware slots`);
      used.add(key);
      if (!s.pendingDelete) check(live.has(key), () => `${pf.inst.handle}: slot ${key} allocated without an SF`);
    }
    for (const p of pf.inst.ports) {
      if (p.flavour === Flavour.PCI_SF) check(pf.sfTable.byIndex.has(p.index), () => `${pf.inst.handle}/${p.index}: SF port without an SF`);
    }
    check(pf.sfTable.enabled || pf.sfTable.byIndex.size === 0, () => `${pf.inst.handle}: SFs in legacy mode`);
  }
  return { instances: core.instances.length, ports, sfs, slotsInUse: slots, attached };
}
