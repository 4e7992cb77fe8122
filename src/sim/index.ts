/**
 * devlink-sf/sim: a simulated kernel that answers generic netlink the way nlctrl, the
 * devlink core and the mlx5 driver do, for tests and benchmarks without hardware.
 *
 *   const sim = new Simulator({ devices: [{ handle: 'pci/0000:06:00.0', pfnum: 0, eswitch: 'switchdev' }] });
 *   const dl = await Devlink.open({ transport: sim.transport() });   // in process
 *   const { port } = await sim.listen();                              // or over a real socket (root):
 *   const dl2 = await Devlink.open({ socket: { peerPort: port } });
 *   await sim.settle();   // every asynchronous step (attach, detach, free, late reply) has run
 *   await sim.close();
 *
 * Kernel flavours: '6.1' (default, Debian 12) and 'current', modelled on 6.12: per-op
 * policies (liberal, so PORT_NEW/PORT_DEL too; the port function nest validated by the op
 * policy), no "leftover: " prefix, port function caps, max_io_eqs and the nested devlink
 * handle of an attached SF (announced by a PORT_NEW of the SF port when its instance
 * comes and goes), tx_priority/tx_weight in rates, filtered dumps, DONE sharing the last
 * datagram, nlctrl reporting maxattr 0 for split ops, replies to port add and port dumps
 * with PORT_NEW, NOTIFY_FILTER_SET narrowing an in-process client's notifications (real
 * multicast to clients of listen() cannot be filtered per client).
 *
 * Devices are mlx5_core PFs (mlx5.ts, mlx5-sf.ts, mlx5-aux.ts) or, on 'current', ice PFs
 * (`driver: 'ice'`, ice.ts). Each mlx5 PF has its uplink port (flavour physical, index
 * (vhca << 16) | 0xffff, netdev enp<bus>s<slot>f<pf>np<pf>); an ECPF in switchdev mode also has the host PF's
 * port (flavour pcipf, controller 1, external). NLM_F_ECHO is accepted and changes
 * nothing (devlink multicasts without genl_notify). Fault injection: `sim.faults`
 * (faults.ts). Sysfs layout: sysfs.ts. Timing of the SF steps: world.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Transport } from '../genl/transport';
import type { ObjDesc } from './context';
import { DevlinkCore, descMatch } from './core';
import { SimEndpoint } from './endpoint';
import { Faults } from './faults';
import type { FamilyCtx } from './fill';
import { GenlFamily, GenlKernel, Origin } from './genl';
import { checkInvariants, InvariantReport } from './invariants';
import { IceDeviceOptions, IcePf, iceInvariants } from './ice';
import { Mlx5DeviceOptions, Mlx5Pf } from './mlx5';
import type { Mlx5PortAddOrder } from './mlx5-port-new';
import { nlctrlFamily } from './nlctrl';
import { ops61, opsCurrent } from './ops';
import { Scheduler } from './scheduler';
import { SimSocket } from './socket';
import { Sysfs } from './sysfs';
import { reportersOf } from './health';
import { setSyndrome } from './mlx5-health';
import { setFirmwareDir } from './cmd-flash';
import { C, DEVLINK_ATTR_MAX_6_1 } from './uapi';
import { Timing, World } from './world';
import { inView, netnsOfPath, ownNetns } from './netns';

export type { Mlx5DeviceOptions, IceDeviceOptions };
export type { Mlx5PortAddOrder } from './mlx5-port-new';
/** A simulated PF: mlx5_core (the default) or ice (`driver: 'ice'`, kernel 'current' only). */
export type SimDeviceOptions = Mlx5DeviceOptions | IceDeviceOptions;
export type SimPf = Mlx5Pf | IcePf;
export type { Timing as SimTiming } from './world';
export { Faults } from './faults';
export type { InvariantReport } from './invariants';

/** Which kernel the simulator answers as: Linux 6.1's devlink, or a current one (function caps, max_io_eqs, nested devlink). */
export type KernelFlavor = '6.1' | 'current';

/** What to simulate: the kernel, the mlx5 PFs, the timings, where the sysfs tree goes. */
export interface SimulatorOptions {
  /** Which kernel to act as; '6.1' by default. */
  readonly kernel?: KernelFlavor;
  /**
   * Keep the sysfs tree (bus/auxiliary/devices/..., class/net, class/infiniband) under this
   * directory. Without it the simulator makes one in a temporary directory, removed by
   * close(). Either way its transports tell the Devlink where it is (Transport.sysfsRoot).
   */
  readonly sysfsRoot?: string;
  /** The PFs, each a devlink instance with its uplink port ('pci/0000:06:00.0', pfnum 0): mlx5_core or ice. */
  readonly devices: readonly SimDeviceOptions[];
  /**
   * The order of mlx5's port add checks: '6.12' (default; on kernel '6.1' the 6.1 messages)
   * or 'newest' (the SF table and switchdev checks first, then the attributes; kernel
   * 'current' only). See Mlx5PortAddOrder.
   */
  readonly mlx5PortAddOrder?: Mlx5PortAddOrder;
  /** Milliseconds of the asynchronous steps; all 0 by default (they still run asynchronously). */
  readonly timing?: Partial<Timing>;
  /** Largest dump datagram; 32 KiB by default (what the kernel sends a reader with a large buffer). */
  readonly dumpBufferSize?: number;
  /** Where flash updates find their files (request_firmware's /lib/firmware by default). */
  readonly firmwareDir?: string;
}

/** How one client's transport behaves. */
export interface TransportOptions {
  /** false: a caller without CAP_NET_ADMIN (SET/NEW/DEL answer EPERM). */
  readonly privileged?: boolean;
  /**
   * The endpoint's network namespace, as a path (/var/run/netns/NAME, /proc/PID/ns/net):
   * it sees the instances reloaded into that namespace and no others, and gets no
   * notifications. The simulator's own namespace by default.
   */
  readonly netns?: string;
}

/** Family and group ids are handed out per simulator from numbers no kernel uses. */
let instances = 0;

/**
 * The kernel's devlink core and the mlx5 driver, simulated for tests on machines without
 * the hardware: `transport()` gives an in-process client connection
 * (`Devlink.open({ transport: sim.transport() })`), `listen()` a real netlink socket that
 * other processes reach with `socket: { peerPort }`. It answers with the kernel's policies,
 * ext-ack messages, errnos and notification order, runs the SF opstate machine with
 * `timing`, keeps a sysfs tree under `sysfsRoot`, and injects faults (`faults`).
 * close() ends every client and removes a temporary sysfs tree (one never closed is
 * removed when the process exits).
 */
export class Simulator {
  /** The kernel it answers as. */
  readonly kernel: KernelFlavor;
  /** The devlink family's id (never GENL_ID_CTRL, never a real kernel's small id). */
  readonly familyId: number;
  /** The `config` group id in-process endpoints join. */
  readonly groupId: number;
  /** Fault injection; see faults.ts. */
  readonly faults = new Faults();
  /** The simulated PFs, in the order of the options' devices. */
  readonly devices: readonly SimPf[];
  private readonly sched = new Scheduler();
  private readonly genl: GenlKernel;
  private readonly core: DevlinkCore;
  private readonly endpoints = new Map<number, SimEndpoint>();
  /** Notification filters of in-process endpoints (NOTIFY_FILTER_SET), by port. */
  private readonly filters = new Map<number, ObjDesc>();
  private nextPort: number;
  private socket: SimSocket | undefined;
  private closed = false;
  /** The sysfs tree's directory. */
  readonly sysfsRoot: string;
  /** A temporary tree of our own, removed at close(). */
  private readonly ownSysfs: boolean;

  constructor(opts: SimulatorOptions) {
    const n = instances++;
    this.kernel = opts.kernel ?? '6.1';
    this.familyId = 0x3a0 + (n % 0x400);
    this.groupId = 0x5c0 + (n % 0x400);
    this.nextPort = 0x40000000 + n * 0x10000;
    const family: FamilyCtx = { id: this.familyId, flavor: this.kernel };
    this.core = new DevlinkCore(family, (msg, desc) => this.multicast(msg, desc), (portid, flt) => {
      if (flt) this.filters.set(portid, flt);
      else this.filters.delete(portid);
    });
    if (opts.firmwareDir !== undefined) setFirmwareDir(this.core, opts.firmwareDir);
    this.genl = new GenlKernel(this.faults, this.sched, opts.dumpBufferSize ?? 32768);
    this.genl.add(nlctrlFamily(this.genl));
    this.genl.add(this.devlinkFamily());
    const timing: Timing = { attachMs: 0, detachMs: 0, freeMs: 0, ...opts.timing };
    this.ownSysfs = opts.sysfsRoot === undefined;
    this.sysfsRoot = opts.sysfsRoot ?? mkdtempSync(path.join(tmpdir(), 'devlink-sf-sim-sysfs-'));
    if (this.ownSysfs) removeAtExit(this.sysfsRoot);
    const sysfs = new Sysfs(this.sysfsRoot);
    const order = opts.mlx5PortAddOrder ?? '6.12';
    if (order !== '6.12' && order !== 'newest') throw new TypeError(`mlx5PortAddOrder "${String(order)}" is not '6.12' or 'newest'`);
    if (order === 'newest' && this.kernel === '6.1') throw new TypeError("mlx5PortAddOrder 'newest' needs kernel 'current'");
    const world = new World(this.core, this.sched, timing, sysfs, order);
    this.devices = opts.devices.map((d) => {
      if (d.driver === 'ice') return new IcePf(world, d);
      if (d.driver !== undefined && d.driver !== 'mlx5_core') {
        throw new TypeError(`device ${d.handle}: unknown driver "${String(d.driver)}" (mlx5_core or ice)`);
      }
      return new Mlx5Pf(world, d);
    });
  }

  private devlinkFamily(): GenlFamily {
    const six = this.kernel === '6.1';
    const core = this.core;
    return {
      id: this.familyId, name: 'devlink', version: 1, hdrsize: 0,
      // 6.12 registers split ops without a family maxattr: nlctrl reports 0
      maxattr: six ? DEVLINK_ATTR_MAX_6_1 : 0,
      resvStartOp: C.SELFTESTS_RUN + 1,
      ops: six ? ops61 : opsCurrent,
      splitOps: !six,
      coalesceDone: !six,
      faultable: true,
      groups: (origin: Origin) => [{ id: origin === 'socket' && this.socket ? this.socket.groupId : this.groupId, name: 'config' }],
      doit: (op, ctx) => inView(core, ctx.netns, () => core.doit(op, ctx)),
      dumpit: (op, ctx) => inView(core, ctx.netns, () => core.dumpit(op, ctx)),
    };
  }

  /** A new client endpoint (a transport the engine runs on), with a port of its own. */
  transport(opts: TransportOptions = {}): Transport {
    if (this.closed) throw new Error('the simulator is closed');
    let ns: string | undefined;
    if (opts.netns !== undefined) {
      ns = netnsOfPath(opts.netns);
      if (ns === undefined) throw new Error(`${opts.netns} is not a network namespace`);
      if (ns === ownNetns()) ns = undefined;
    }
    const ep = new SimEndpoint(
      {
        kernel: this.genl, sched: this.sched,
        detach: (e) => {
          this.endpoints.delete(e.localPort);
          this.filters.delete(e.localPort);
        },
        openInNetns: (e, netns) => this.transport({ privileged: e.privileged, netns }) as SimEndpoint,
      },
      this.nextPort++,
      opts.privileged !== false,
      this.sysfsRoot,
      ns,
    );
    this.endpoints.set(ep.localPort, ep);
    return ep;
  }

  /**
   * Bind a real AF_NETLINK socket and answer clients on it (root only). Resolves with its
   * port (clients open with `socket: { peerPort: port }`) and the multicast group socket
   * clients are told to join.
   */
  async listen(): Promise<{ port: number; groupId: number; multicast: boolean }> {
    if (this.closed) throw new Error('the simulator is closed');
    if (!this.socket) this.socket = SimSocket.open(this.genl);
    return { port: this.socket.port, groupId: this.socket.groupId, multicast: this.socket.multicast };
  }

  /** The real socket's port, once listen() resolved. */
  get port(): number | undefined {
    return this.socket?.port;
  }

  private multicast(msg: Buffer, desc: ObjDesc): void {
    // notifications reach the simulator's own namespace only (netns.ts)
    if (this.core.view !== undefined) return;
    const overruns = this.faults.takeOverruns();
    for (const o of overruns) {
      for (const ep of this.endpoints.values()) {
        if ((o.port === undefined || o.port === ep.localPort) && ep.member(this.groupId)) ep.loseNext += o.count;
      }
    }
    for (const ep of this.endpoints.values()) {
      if (ep.netns !== undefined) continue;
      const flt = this.filters.get(ep.localPort);
      if (!flt || descMatch(desc, flt)) ep.multicast(msg, this.groupId);
    }
    this.socket?.notify(msg);
  }

  /** Resolves when no asynchronous step (attach, detach, free, late reply, delivery) is pending. */
  settle(): Promise<void> {
    return this.sched.settle();
  }

  /** The simulated PF of a handle ("pci/0000:06:00.0"). */
  device(handle: string): SimPf {
    const d = this.devices.find((x) => `pci/${x.pci}` === handle);
    if (!d) throw new Error(`no simulated device ${handle}`);
    return d;
  }

  /** Check the model's invariants (no duplicate sfnum, unique indices, ...); throws on a violation. */
  /**
   * A driver reports an error to a health reporter (devlink_health_report) of the instance
   * `handle`, or of its port `port`: counted, announced, dumped and recovered as the
   * reporter's settings say. Returns 0 or the negative errno (-ECANCELED within the grace
   * period). `syndrome` sets what mlx5's fw reporter diagnoses.
   */
  reportHealth(handle: string, reporter: string, o: { port?: number; syndrome?: number } = {}): number {
    const inst = this.core.instances.find((i) => i.handle === handle);
    const r = inst && reportersOf(inst).find((x) => x.ops.name === reporter && x.port?.index === o.port);
    if (!inst || !r) throw new Error(`the simulator has no health reporter ${reporter} on ${handle}${o.port !== undefined ? `/${o.port}` : ''}`);
    if (o.syndrome !== undefined) setSyndrome(inst, o.syndrome);
    return r.report();
  }

  checkInvariants(): InvariantReport {
    const r = checkInvariants(this.core, this.devices.filter((d): d is Mlx5Pf => d instanceof Mlx5Pf));
    let { sfs, attached } = r;
    const check = (ok: boolean, what: () => string): void => {
      if (!ok) throw new Error(`simulator invariant violated: ${what()}`);
    };
    for (const d of this.devices) {
      if (!(d instanceof IcePf)) continue;
      const c = iceInvariants(d, check);
      sfs += c.sfs;
      attached += c.attached;
    }
    return { ...r, sfs, attached };
  }

  /** Stop: pending steps are cancelled, endpoints closed, the socket closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sched.close();
    for (const ep of [...this.endpoints.values()]) ep.close();
    this.socket?.close();
    this.socket = undefined;
    if (this.ownSysfs) {
      rmSync(this.sysfsRoot, { recursive: true, force: true });
      leftAtExit.delete(this.sysfsRoot);
    }
  }
}

/**
 * The temporary sysfs trees of simulators not closed yet: removed when the process exits,
 * so one never closed (a test that forgot, a script that ended without close()) does not
 * leave its tree in the temporary directory. One exit listener for all of them.
 */
const leftAtExit = new Set<string>();
let exitListener = false;

function removeAtExit(dir: string): void {
  if (!exitListener) {
    exitListener = true;
    process.once('exit', () => {
      for (const d of leftAtExit) rmSync(d, { recursive: true, force: true });
    });
  }
  leftAtExit.add(dir);
}
