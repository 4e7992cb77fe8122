/**
 * mlx5's health reporters (Linux 6.1), on the PF and on each SF's own instance:
 *
 * - health.c, mlx5_fw_reporters_create (every mlx5_core device, SFs included): "fw"
 *   (diagnose, dump; grace period 0) and "fw_fatal" (recover, dump; grace period 60000 ms
 *   on a PF, 180000 on an ECPF, 30000 on a VF or SF). fw's diagnose is the health buffer's
 *   Syndrome (u8; "Description" only when non-zero). fw's dump needs the firmware tracer
 *   (mlx5_fw_tracer_trigger_core_dump_general: EOPNOTSUPP without one: an SF has none);
 *   fw_fatal's dump is the PF's CR-space dump (EPERM elsewhere).
 * - en/reporter_tx.c and en/reporter_rx.c: "tx" and "rx" on the netdev's devlink port
 *   (devlink_port_health_reporter_create, grace period 500 ms), with recover, diagnose
 *   (Common Config, then one entry per queue with its CQ and EQ) and dump (the firmware's
 *   resource dumps: opaque bytes here).
 */
import type { DevlinkCore } from './core';
import { notifyRecover } from './cmd-health';
import { FmsgWriter, reporterCreate, ReporterOps, SimReporter } from './health';
import { Errno, Instance, Port } from './model';
import { E } from './uapi';

const FW_FATAL_GRACE_PF = 60000n;
const FW_FATAL_GRACE_SF = 30000n;
const EN_GRACE = 500n;
/** Channels of the simulated netdev, one traffic class each. */
const CHANNELS = 2;

/** The simulated health buffer's syndrome (0: no error). */
const syndromes = new WeakMap<Instance, number>();

function fwOps(pf: boolean): ReporterOps {
  return {
    name: 'fw',
    diagnose: (r, f) => {
      const synd = syndromes.get(r.inst) ?? 0;
      f.u8('Syndrome', synd);
      if (synd) f.string('Description', 'unrecognized error');
    },
    dump: (_r, f) => {
      if (!pf) throw new Errno(-E.EOPNOTSUPP);
      // mlx5_fw_reporter_heath_buffer_data_put's "health buffer" (no error: nothing but the syndrome)
      f.pairObjStart('health buffer').u8('Syndrome', 0).pairObjEnd();
    },
  };
}

function fwFatalOps(pf: boolean): ReporterOps {
  return {
    name: 'fw_fatal',
    recover: (r) => syndromes.set(r.inst, 0),
    dump: (_r, f) => {
      if (!pf) throw new Errno(-E.EPERM);
      f.binary('crdump_data', Buffer.alloc(64));
    },
  };
}

function cqEq(f: FmsgWriter, i: number): void {
  f.pairObjStart('CQ').u32('cqn', 0x400 + i).u8('HW status', 0).u32('ci', 0).u32('size', 1024).pairObjEnd();
  f.pairObjStart('EQ').u8('eqn', 7 + i).u32('irqn', 40 + i).u32('vecidx', 1 + i).u32('ci', 0).u32('size', 1024).pairObjEnd();
}

/** devlink_fmsg_binary_pair_nest_start("data") with one chunk: a firmware resource dump. */
function resourceDump(f: FmsgWriter, label: string, index?: number): void {
  f.pairObjStart(label);
  if (index !== undefined) f.u32('index', index);
  f.binary('data', Buffer.alloc(64)).pairObjEnd();
}

/** A queue reporter's dump: its slice, then each channel's queue (`queues`, each `queue` with its number from `first`). */
function queuesDump(f: FmsgWriter, slice: string, queues: string, queue: string, first: number): void {
  resourceDump(f, slice);
  f.arrPairStart(queues);
  for (let i = 0; i < CHANNELS; i++) {
    f.objStart();
    resourceDump(f, queue, first + i);
    f.objEnd();
  }
  f.arrPairEnd();
}

const txOps: ReporterOps = {
  name: 'tx',
  recover: () => undefined,
  diagnose: (_r, f) => {
    f.pairObjStart('Common Config');
    f.pairObjStart('SQ').u64('stride size', 64n).u32('size', 1024).string('ts_format', 'FRC').pairObjEnd();
    f.pairObjEnd();
    f.arrPairStart('SQs');
    for (let i = 0; i < CHANNELS; i++) {
      f.objStart().u32('channel ix', i).u32('tc', 0).u32('txq ix', i).u32('sqn', 0x200 + i).u8('HW state', 1).bool('stopped', false)
        .u32('cc', 0).u32('pc', 0);
      cqEq(f, i);
      f.objEnd();
    }
    f.arrPairEnd();
  },
  dump: (_r, f) => queuesDump(f, 'SX Slice', 'SQs', 'SQ', 0x200),
};

const rxOps: ReporterOps = {
  name: 'rx',
  recover: () => undefined,
  diagnose: (_r, f) => {
    f.pairObjStart('Common config');
    f.pairObjStart('RQ').u8('type', 1).u64('stride size', 2048n).u32('size', 8).string('ts_format', 'FRC').pairObjEnd();
    f.pairObjStart('CQ').u64('stride size', 64n).u32('size', 1024).pairObjEnd();
    f.pairObjEnd();
    f.arrPairStart('RQs');
    for (let i = 0; i < CHANNELS; i++) {
      f.objStart().u32('channel ix', i).u32('rqn', 0x300 + i).u8('HW state', 1).u8('SW state', 3).u32('WQE counter', 0)
        .u32('posted WQEs', 1023).u32('cc', 0);
      cqEq(f, i);
      f.objEnd();
    }
    f.arrPairEnd();
  },
  dump: (_r, f) => queuesDump(f, 'RX Slice', 'RQs', 'RQ', 0x300),
};

/** mlx5_fw_reporters_create, for a PF (`pf`) or an SF's own instance. */
export function mlx5FwReporters(core: DevlinkCore, inst: Instance, pf: boolean): SimReporter[] {
  const notify = (r: SimReporter): void => notifyRecover(core, r);
  return [
    reporterCreate(inst, undefined, fwOps(pf), 0n, notify),
    reporterCreate(inst, undefined, fwFatalOps(pf), pf ? FW_FATAL_GRACE_PF : FW_FATAL_GRACE_SF, notify),
  ];
}

/** mlx5e_reporter_tx_create and mlx5e_reporter_rx_create, on the netdev's port. */
export function mlx5EnReporters(core: DevlinkCore, port: Port): SimReporter[] {
  const notify = (r: SimReporter): void => notifyRecover(core, r);
  return [reporterCreate(port.instance, port, txOps, EN_GRACE, notify), reporterCreate(port.instance, port, rxOps, EN_GRACE, notify)];
}

/** Make the fw reporter's next diagnose show a syndrome (a firmware error the test reports). */
export function setSyndrome(inst: Instance, synd: number): void {
  syndromes.set(inst, synd);
}
