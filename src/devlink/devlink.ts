/**
 * Devlink: the typed API over generic netlink. Every call validates its input before
 * anything is sent, encodes through the schema, and returns decoded objects; kernel
 * refusals are DevlinkError with errno, the kernel's message and the attribute path.
 */
import { ValidationError } from '../attrs/errors';
import { checkKeys, describeValue } from '../attrs/options';
import { checkCallOptions } from '../genl/call-options';
import { CallOptions, DecodedRequestSpec, DumpSpec, RequestSpec } from '../genl/connection';
import { ClosedError } from '../genl/errors';
import type { GenericNetlink, GenericNetlinkOptions } from '../genl/generic';
import { NlMsg } from '../genl/message';
import { Family } from '../genl/nlctrl';
import { Cmd, cmdName, ParamType } from './constants';
import { deviceFrom, decodeMessage, eswitchFrom, infoFrom, paramFrom, portFrom, rateFrom } from './decode';
import { makeDevlinkError, NotFoundError } from './errors';
import { DevlinkEvents } from './events';
import { checkName, checkNameString, isPortHandle, parseDevHandle, parsePortHandle, parseRateHandle, plainPortHandle } from './handle';
import { DevlinkCall } from './call';
import { DevlinkMonitor, monitor, MonitorOptions } from './monitor';
import { PortWatch, WatchPortsOptions } from './port-watch';
import { reloadDevice } from './reload';
import { openFamily } from './open';
import { health, HealthReporter, HealthReporterSettings } from './health';
import { FmsgObject } from './fmsg';
import { DevlinkRegion, RegionChunk, RegionReadOptions, regions } from './regions';
import {
  DevlinkTrap, DevlinkTrapGroup, DevlinkTrapPolicer, TrapActionName, TrapGroupSettings, TrapPolicerSettings, traps,
} from './traps';
import { flash, FlashOptions, FlashUpdate } from './flash';
import { DevlinkResource, DpipeTable, resources } from './resources';
import { LifecycleOptions, SfTarget, Subfunction, SubfunctionManager, SubfunctionSpec } from './subfunction';
import {
  addPortAttrs, devAttrs, DevlinkRequestAttrs, devlinkRequest, eswitchAttrs, PARAM_CMODES, paramSetRequest, portAttrs,
  portFunctionAttrs, portTypeAttrs, rateAttrs, rateHandleAttrs, rateSettingsFor, splitAttrs,
} from './requests';
import { decodeOne, dumpOf, onDevice, portByNetdev } from './dumps';
import { devlinkAttrs } from './schema';
import {
  AddPortOptions, CALL_OPTION_KEYS, DeviceFilter, DeviceInfo, DevlinkDevice, DevlinkParam,
  DevlinkPort, DevlinkRate, EswitchInfo, EswitchSettings, ParamValue, PortFunctionSettings, RateSettings,
  ReloadOptions, ReloadResult, SET_PARAM_OPTIONS_KEYS, SetParamOptions,
} from './types';

export interface DevlinkOptions extends GenericNetlinkOptions {
  /**
   * The generic netlink family to speak to: 'devlink' (default) or a devlink-compatible
   * family registered under another name, such as NVIDIA's out-of-tree 'mlxdevm'.
   */
  readonly family?: string;
}

export { NotFoundError };

/** Plumbing calls may also tell each message of the answer to `onReply`, in order with notifications. */
export type PlumbingOptions = CallOptions & Pick<RequestSpec, 'onReply'>;
const PLUMBING_KEYS = [...CALL_OPTION_KEYS, 'onReply'];

/** The options of a call given none (one object, where a default `{}` made one per call). */
const NO_OPTIONS: PlumbingOptions = Object.freeze({});

/** The keys of setParam's options: its own and the call options. */
const SET_PARAM_KEYS = [...SET_PARAM_OPTIONS_KEYS, ...CALL_OPTION_KEYS];

/**
 * A connection to the kernel's devlink family (or a simulator's): typed requests and
 * replies for devices, ports, port functions, rates and parameters; the sub-function
 * lifecycle (createSubfunction, ensureSubfunction, destroySubfunction, each saying what it
 * left behind when it fails); notifications as typed events (monitor) or as a kept view
 * (watchPorts). Every call checks its input before sending (ValidationError), takes
 * `timeoutMs` and `signal`, and rejects with ClosedError once close() is called.
 */
export class Devlink {
  private sfs: SubfunctionManager | undefined;
  /** The one notification reader (monitor, port watches, lifecycle waits). */
  private readonly events = new DevlinkEvents(this);
  /**
   * Set when close() is called: every new request and dump is refused as after the close
   * (ClosedError, nothing sent), except those of the lifecycle view (lifecycleView()).
   */
  private refusing = false;
  /** close()'s one run: a second call waits for the same end. */
  private closing: Promise<void> | undefined;

  private constructor(
    /** The generic netlink connection underneath (other families, raw requests). */
    readonly genl: GenericNetlink,
    /** The devlink family as nlctrl described it: id, version, groups. */
    readonly family: Family,
  ) {}

  /**
   * Open a socket (in `opts.netns` if given, or on `opts.transport`, a simulator's) and
   * resolve the devlink family (`opts.family`, 'devlink' by default, or NVIDIA's
   * 'mlxdevm'). Rejects with FamilyNotFoundError when the kernel has no such family.
   */
  static async open(opts: DevlinkOptions = {}): Promise<Devlink> {
    const { genl, family } = await openFamily(opts);
    return new Devlink(genl, family);
  }

  /** Which transport the connection runs on: 'native', 'netlink-npm' (fallback), 'sim'. */
  get transportName(): string {
    return this.genl.transportName;
  }

  /**
   * Close the connection. From the call on, every new call (requests, the lifecycle,
   * monitor, watchPorts) rejects with ClosedError, as after the close, and sends nothing.
   * Lifecycle calls in progress abandon their requests and clean up (the port a create
   * made is deleted again, with a short deadline of its own); they reject with a
   * SubfunctionError saying what they left, and close() resolves once they have. Then
   * everything else pending rejects with ClosedError; monitors and port watches end.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    // before the first await: nothing new gets through from here on
    this.refusing = true;
    this.events.refuseNew();
    await this.subfunctions.shutdown();
    await this.genl.close();
  }

  /**
   * The Devlink the lifecycle calls through: this one (the same connection, readers and
   * state), but not refused while close() waits for the lifecycle's clean-up.
   */
  private lifecycleView(): Devlink {
    return Object.create(this, { refusing: { value: false } }) as Devlink;
  }

  /** For a call made after close() was called: the ClosedError the connection gives a call once closed (call options are checked first, as there). */
  private refused(op: string, opts: CallOptions): Promise<never> {
    try {
      checkCallOptions(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.reject(new ClosedError(op));
  }

  // -- plumbing ------------------------------------------------------------------------

  /**
   * A doit request; resolves with its replies. Every method ends here or in dump(), which
   * refuse call options with keys other than timeoutMs and signal (the engine checks
   * their values; onReply is for the library's own readers); a method's own options are
   * checked, and taken out, before.
   */
  request(cmd: number, attrs: DevlinkRequestAttrs, opts: PlumbingOptions = NO_OPTIONS): Promise<NlMsg[]> {
    checkKeys(opts, '', PLUMBING_KEYS);
    const c = new DevlinkCall(this.family.id, cmd, attrs, opts, undefined);
    return this.refusing ? this.refused(c.op, opts) : this.genl.connection.request(c);
  }

  /**
   * request() whose one reply `decode` makes the call's value, in the engine before the
   * promise settles (requestDecoded): the gets, one promise and one turn fewer each than
   * awaiting request(). Throws ValidationError for bad options.
   */
  private get<T>(cmd: number, attrs: DevlinkRequestAttrs, opts: PlumbingOptions, decode: (replies: NlMsg[]) => T): Promise<T> {
    checkKeys(opts, '', PLUMBING_KEYS);
    const c = new DevlinkCall(this.family.id, cmd, attrs, opts, decode) as DecodedRequestSpec<T>;
    return this.refusing ? this.refused(c.op, opts) : this.genl.connection.requestDecoded(c);
  }

  /** A dump; resolves with every message. */
  dump(cmd: number, attrs: DevlinkRequestAttrs, opts: PlumbingOptions = {}): Promise<NlMsg[]> {
    const spec = this.dumpSpec(cmd, attrs, opts);
    return this.refusing ? this.refused(spec.op, opts) : this.genl.connection.dump(spec);
  }

  /**
   * A dump whose replies `each` decodes as they are read; resolves with what it made of
   * them, in order. Each message is valid only during `each`, its bytes and the object
   * (a view of the socket's receive area, read through one reused object): keep what you
   * decode, not the message. Nothing of the
   * dump is copied or held until its end, which is what makes a dump of thousands of
   * ports cheap. A throw of `each` rejects the dump with it once the kernel has finished.
   */
  dumpEach<T>(cmd: number, attrs: DevlinkRequestAttrs, each: (m: NlMsg) => T, opts: PlumbingOptions = {}): Promise<T[]> {
    const spec = this.dumpSpec(cmd, attrs, opts);
    return this.refusing ? this.refused(spec.op, opts) : this.genl.connection.dumpDecoded({ ...spec, each });
  }

  /** dump()'s and dumpEach()'s request, its options checked (ValidationError). */
  private dumpSpec(cmd: number, attrs: DevlinkRequestAttrs, opts: PlumbingOptions): DumpSpec {
    checkKeys(opts, '', PLUMBING_KEYS);
    const msg = devlinkRequest(this.family.id, cmd, attrs, true);
    return { ...opts, msg, op: `devlink ${cmdName(cmd)} dump`, attrs: devlinkAttrs, makeError: makeDevlinkError };
  }

  // -- devices -------------------------------------------------------------------------

  /** Every devlink instance (devlink dev show). */
  devices(opts: CallOptions = {}): Promise<DevlinkDevice[]> { return settle(() => this.dumpEach(Cmd.GET, {}, (m) => deviceFrom(decodeMessage(m)), opts)); }
  /** One instance ('pci/0000:06:00.0'); a DevlinkError (ENODEV) when there is none. */
  device(handle: string, opts: CallOptions = NO_OPTIONS): Promise<DevlinkDevice> {
    return settle(() => this.get(Cmd.GET, devAttrs(parseDevHandle(handle)), opts, decodeDevice));
  }
  /** The driver's name, serial number and versions of one instance (devlink dev info). */
  info(handle: string, opts: CallOptions = NO_OPTIONS): Promise<DeviceInfo> {
    return settle(() => this.get(Cmd.INFO_GET, devAttrs(parseDevHandle(handle)), opts, decodeInfo));
  }
  /** info() of every instance. */
  infos(opts: CallOptions = {}): Promise<DeviceInfo[]> { return settle(() => this.dumpEach(Cmd.INFO_GET, {}, (m) => infoFrom(decodeMessage(m)), opts)); }
  /** The eswitch mode, inline mode and encap mode of a device (devlink dev eswitch show). */
  eswitch(handle: string, opts: CallOptions = NO_OPTIONS): Promise<EswitchInfo> {
    return settle(() => this.get(Cmd.ESWITCH_GET, devAttrs(parseDevHandle(handle)), opts, decodeEswitch));
  }
  /** Set the eswitch mode (SFs exist only in switchdev), inline mode or encap mode. */
  async setEswitch(handle: string, settings: EswitchSettings, opts: CallOptions = {}): Promise<void> {
    await this.request(Cmd.ESWITCH_SET, eswitchAttrs(parseDevHandle(handle), settings), opts);
  }
  /** Reload a device (devlink dev reload): its driver, or a firmware activation, optionally into another network namespace (reload.ts); says what was done. */
  async reload(handle: string, o: ReloadOptions & CallOptions = {}): Promise<ReloadResult> { return reloadDevice(this, handle, o); }

  // -- params --------------------------------------------------------------------------

  /** Device parameters, of every device or of `o.dev`. */
  async params(o: DeviceFilter & CallOptions = {}): Promise<DevlinkParam[]> {
    return dumpOf(this, Cmd.PARAM_GET, o, paramFrom, (p, h) => p.handle === `${h.bus}/${h.dev}`, true);
  }
  /** One parameter of a device, by name. */
  param(handle: string, name: string, opts: CallOptions = NO_OPTIONS): Promise<DevlinkParam> {
    return settle(() => {
      const h = parseDevHandle(handle);
      checkNameString(name, 'name', 'a parameter name');
      return this.get(Cmd.PARAM_GET, { ...devAttrs(h), paramName: name }, opts, decodeParam);
    });
  }
  /**
   * Set a parameter; its type is read from the kernel first, as iproute2 does. Everything
   * but the value's fit to that type is checked before the read.
   */
  async setParam(handle: string, name: string, value: ParamValue, o: SetParamOptions & CallOptions): Promise<void> {
    const h = parseDevHandle(handle);
    const { cmode, ...call } = checkKeys(o, '', SET_PARAM_KEYS);
    checkName(cmode, 'cmode', PARAM_CMODES);
    if (!['number', 'bigint', 'string', 'boolean'].includes(typeof value)) {
      throw new ValidationError('value', `expected a number, bigint, string or boolean, got ${describeValue(value)}`);
    }
    const current = await this.param(handle, name, call);
    const type = typeof current.type === 'number' ? current.type : ParamType[current.type];
    const msg = paramSetRequest(this.family.id, h, name, type, value, cmode);
    const c = new DevlinkCall(this.family.id, Cmd.PARAM_SET, {}, call, undefined, msg, `${h.bus}/${h.dev} param ${name}`);
    await (this.refusing ? this.refused(c.op, call) : this.genl.connection.request(c));
  }

  // -- ports ---------------------------------------------------------------------------

  /** Every port, or the ports of one device (filtered by the kernel where it can: dumpOf). */
  async ports(o: DeviceFilter & CallOptions = {}): Promise<DevlinkPort[]> { return dumpOf(this, Cmd.PORT_GET, o, portFrom, onDevice, true); }
  /** One port by handle ('pci/0000:06:00.0/32768') or by its netdev name ('eth6'), like iproute2. */
  port(handleOrNetdev: string, opts: CallOptions = NO_OPTIONS): Promise<DevlinkPort> {
    try {
      // a handle as the kernel writes them first: one scan (port gets come by the thousand)
      const h = handleOrNetdev;
      const plain = typeof h === 'string' ? plainPortHandle(h) : undefined;
      if (plain === undefined && typeof h === 'string' && !isPortHandle(h) && !h.includes('/') && h !== '') return portByNetdev(this, h, opts);
      return this.get(Cmd.PORT_GET, portAttrs(plain ?? parsePortHandle(handleOrNetdev)), opts, decodePort);
    } catch (e) {
      // input refused synchronously still reaches the caller as a rejected promise (settle(), without its closure)
      return Promise.reject(e);
    }
  }
  /** DEVLINK_CMD_PORT_NEW; the kernel answers with the new port (command NEW), returned decoded. */
  async addPort(dev: string, o: AddPortOptions, opts: CallOptions = {}): Promise<DevlinkPort> {
    const attrs = addPortAttrs(parseDevHandle(dev), o);
    return decodeOne(await this.request(Cmd.PORT_NEW, attrs, opts), portFrom, 'port new');
  }
  /** Delete a port ('pci/0000:06:00.0/32768'); for an SF, destroySubfunction also waits for the driver. */
  async deletePort(handle: string, opts: CallOptions = {}): Promise<void> { await this.request(Cmd.PORT_DEL, portAttrs(parsePortHandle(handle)), opts); }
  /** Set a port function's hardware address, state, capabilities or max_io_eqs, in one request. */
  async setPortFunction(handle: string, settings: PortFunctionSettings, opts: CallOptions = {}): Promise<void> {
    await this.request(Cmd.PORT_SET, portFunctionAttrs(parsePortHandle(handle), settings), opts);
  }
  /** Set a port's type (devlink port set type). */
  async setPortType(handle: string, type: 'auto' | 'eth' | 'ib', opts: CallOptions = {}): Promise<void> {
    await this.request(Cmd.PORT_SET, portTypeAttrs(parsePortHandle(handle), type), opts);
  }
  /** Split a port into `count` ports (devlink port split). */
  async splitPort(handle: string, count: number, opts: CallOptions = {}): Promise<void> {
    await this.request(Cmd.PORT_SPLIT, splitAttrs(parsePortHandle(handle), count), opts);
  }
  /** Undo a split (devlink port unsplit). */
  async unsplitPort(handle: string, opts: CallOptions = {}): Promise<void> { await this.request(Cmd.PORT_UNSPLIT, portAttrs(parsePortHandle(handle)), opts); }

  // -- rates ---------------------------------------------------------------------------

  /** Rate objects (leaves and nodes), of every device or of `o.dev`. */
  async rates(o: DeviceFilter & CallOptions = {}): Promise<DevlinkRate[]> { return dumpOf(this, Cmd.RATE_GET, o, rateFrom, onDevice, true); }
  /** One rate object ('pci/0000:06:00.0/32768' for a leaf, 'pci/0000:06:00.0/group1' for a node). */
  rate(handle: string, opts: CallOptions = NO_OPTIONS): Promise<DevlinkRate> {
    return settle(() => this.get(Cmd.RATE_GET, rateHandleAttrs(handle), opts, decodeRate));
  }
  /** Create a rate node ('pci/0000:06:00.0/group1'). */
  async addRateNode(handle: string, settings: RateSettings = {}, opts: CallOptions = {}): Promise<void> {
    const r = parseRateHandle(handle);
    if (r.node === undefined) throw new ValidationError('rate', `${describeValue(handle)} names a leaf (a port); rate nodes are BUS/DEV/NAME`);
    await this.request(Cmd.RATE_NEW, { ...rateAttrs(r), ...rateSettingsFor(settings, this.family.maxAttr) }, opts);
  }
  /** Set a rate object's tx_share, tx_max, tx_priority, tx_weight or parent. */
  async setRate(handle: string, settings: RateSettings, opts: CallOptions = {}): Promise<void> {
    await this.request(Cmd.RATE_SET, { ...rateHandleAttrs(handle), ...rateSettingsFor(settings, this.family.maxAttr) }, opts);
  }
  /**
   * Narrow this connection's notifications to one device (or one port of it) in the kernel
   * (DEVLINK_CMD_NOTIFY_FILTER_SET, Linux 6.9+); with neither, every notification again.
   * It applies to every reader of this Devlink (monitor, port watches, the lifecycle).
   */
  async setNotifyFilter(o: { dev?: string; port?: string } & CallOptions = {}): Promise<void> {
    const { dev, port, ...call } = checkKeys(o, '', ['dev', 'port', ...CALL_OPTION_KEYS]);
    if (dev !== undefined && port !== undefined) throw new ValidationError('port', 'give a device or a port, not both');
    const attrs: DevlinkRequestAttrs = port !== undefined ? portAttrs(parsePortHandle(port)) : dev !== undefined ? devAttrs(parseDevHandle(dev)) : {};
    await this.request(Cmd.NOTIFY_FILTER_SET, attrs, call);
  }
  /** Delete a rate node. */
  async deleteRateNode(handle: string, opts: CallOptions = {}): Promise<void> { await this.request(Cmd.RATE_DEL, rateHandleAttrs(handle), opts); }

  // -- health reporters (health.ts) -----------------------------------------------------

  /** Every health reporter, or those of one device (its ports' included). */
  healthReporters(o: DeviceFilter & CallOptions = {}): Promise<HealthReporter[]> { return settle(() => health.list(this, o)); }
  /** One reporter of a device ('pci/0000:06:00.0') or a port ('pci/0000:06:00.0/65535'). */
  healthReporter(handle: string, name: string, opts: CallOptions = {}): Promise<HealthReporter> { return settle(() => health.get(this, handle, name, opts)); }
  /** Run the reporter's recovery (nothing happens when it is healthy). */
  recoverHealthReporter(handle: string, name: string, opts: CallOptions = {}): Promise<void> { return settle(() => health.recover(this, handle, name, opts)); }
  diagnoseHealthReporter(handle: string, name: string, opts: CallOptions = {}): Promise<FmsgObject> {
    return settle(() => health.diagnose(this, handle, name, opts));
  }
  /** The reporter's stored dump (the kernel takes one first when it has none). */
  healthReporterDump(handle: string, name: string, opts: CallOptions = {}): Promise<FmsgObject> { return settle(() => health.dump(this, handle, name, opts)); }
  /** Ask the driver to report a test error to the reporter. */
  testHealthReporter(handle: string, name: string, opts: CallOptions = {}): Promise<void> { return settle(() => health.test(this, handle, name, opts)); }
  clearHealthReporterDump(handle: string, name: string, opts: CallOptions = {}): Promise<void> {
    return settle(() => health.clearDump(this, handle, name, opts));
  }
  setHealthReporter(handle: string, name: string, settings: HealthReporterSettings, opts: CallOptions = {}): Promise<void> {
    return settle(() => health.set(this, handle, name, settings, opts));
  }
  /**
   * Flash a firmware file (a name under /lib/firmware): iterate the result for the
   * progress, await its `done` for the outcome. Input is checked before anything is sent.
   */
  flash(dev: string, o: FlashOptions & CallOptions): FlashUpdate { return flash(this, dev, o); }

  // -- traps (traps.ts) ------------------------------------------------------------------

  traps(o: DeviceFilter & CallOptions = {}): Promise<DevlinkTrap[]> { return settle(() => traps.list(this, o)); }
  trap(dev: string, name: string, opts: CallOptions = {}): Promise<DevlinkTrap> { return settle(() => traps.get(this, dev, name, opts)); }
  setTrapAction(dev: string, name: string, action: TrapActionName, opts: CallOptions = {}): Promise<void> {
    return settle(() => traps.set(this, dev, name, action, opts));
  }
  trapGroups(o: DeviceFilter & CallOptions = {}): Promise<DevlinkTrapGroup[]> { return settle(() => traps.groups(this, o)); }
  trapGroup(dev: string, name: string, opts: CallOptions = {}): Promise<DevlinkTrapGroup> { return settle(() => traps.group(this, dev, name, opts)); }
  setTrapGroup(dev: string, name: string, s: TrapGroupSettings, opts: CallOptions = {}): Promise<void> {
    return settle(() => traps.setGroup(this, dev, name, s, opts));
  }
  trapPolicers(o: DeviceFilter & CallOptions = {}): Promise<DevlinkTrapPolicer[]> { return settle(() => traps.policers(this, o)); }
  trapPolicer(dev: string, id: number, opts: CallOptions = {}): Promise<DevlinkTrapPolicer> { return settle(() => traps.policer(this, dev, id, opts)); }
  setTrapPolicer(dev: string, id: number, s: TrapPolicerSettings, opts: CallOptions = {}): Promise<void> {
    return settle(() => traps.setPolicer(this, dev, id, s, opts));
  }

  // -- regions (regions.ts) --------------------------------------------------------------

  regions(o: DeviceFilter & CallOptions = {}): Promise<DevlinkRegion[]> { return settle(() => regions.list(this, o)); }
  /** One region by 'BUS/DEV/REGION'. */
  region(handle: string, opts: CallOptions = {}): Promise<DevlinkRegion> { return settle(() => regions.get(this, handle, opts)); }
  /** Take a snapshot; resolves with its id (the kernel's choice when none is given). */
  newRegionSnapshot(handle: string, snapshot?: number, opts: CallOptions = {}): Promise<number> {
    return settle(() => regions.newSnapshot(this, handle, snapshot, opts));
  }
  deleteRegionSnapshot(handle: string, snapshot: number, opts: CallOptions = {}): Promise<void> {
    return settle(() => regions.deleteSnapshot(this, handle, snapshot, opts));
  }
  /** A snapshot's bytes (all of them, or `length` from `address`), as the kernel's chunks. */
  readRegion(handle: string, o: RegionReadOptions & CallOptions = {}): Promise<RegionChunk[]> { return settle(() => regions.read(this, handle, o)); }

  // -- resources (resources.ts) ---------------------------------------------------------

  /** The device's resources as a tree (EOPNOTSUPP from a driver that has none). */
  resources(dev: string, opts: CallOptions = {}): Promise<DevlinkResource[]> { return settle(() => resources.list(this, dev, opts)); }
  /** The device's dpipe tables (the resources' users). */
  dpipeTables(dev: string, opts: CallOptions = {}): Promise<DpipeTable[]> { return settle(() => resources.tables(this, dev, opts)); }
  /** Set a resource's size by path ('kvd/linear') or id; it applies at the next reload. */
  setResourceSize(dev: string, resource: string | bigint, size: number | bigint, opts: CallOptions = {}): Promise<void> {
    return settle(() => resources.set(this, dev, resource, size, opts));
  }

  // -- sub-functions -------------------------------------------------------------------

  private get subfunctions(): SubfunctionManager {
    return (this.sfs ??= new SubfunctionManager(this, this.lifecycleView(), this.events));
  }
  /**
   * Add an SF port, configure and activate its function, wait until attached, find its
   * devices. On failure a SubfunctionError says at which step and what was left
   * (`outcome`: 'none', 'rolled-back', or 'left' with `port`). `sfnum` may be left out
   * where the driver picks one (ice, on kernels whose ice allocates sfnums).
   */
  createSubfunction(spec: Omit<SubfunctionSpec, 'sfnum'> & { sfnum?: number } & LifecycleOptions): Promise<Subfunction> {
    return settle(() => this.subfunctions.create(spec as SubfunctionSpec & LifecycleOptions));
  }
  /**
   * Idempotent: find the SF by dev + controller + pfnum + sfnum and converge it to `spec`,
   * or create it. Converges with concurrent callers (other Devlinks, other processes).
   */
  ensureSubfunction(spec: SubfunctionSpec & LifecycleOptions): Promise<Subfunction & {
    /** Whether anything was created or set. */
    changed: boolean;
  }> {
    return settle(() => this.subfunctions.ensure(spec));
  }
  /**
   * Deactivate (waiting until detached) and delete; false when the device has no such SF.
   * A device that does not exist is an error. `target` is a port handle or exactly
   * { dev, pfnum, sfnum, controller? }; timeoutMs, signal and sysfsRoot go in `opts`.
   */
  destroySubfunction(target: string | SfTarget, opts: LifecycleOptions = {}): Promise<boolean> { return settle(() => this.subfunctions.destroy(target, opts)); }
  /**
   * The pcisf port of an SF, by dev + controller + pfnum + sfnum; undefined when the device
   * has none. The whole spec it was created with may name it: its other settings are
   * checked as createSubfunction checks them, and ignored.
   */
  findSubfunction(target: SfTarget, opts: LifecycleOptions = {}): Promise<DevlinkPort | undefined> {
    return settle(() => this.subfunctions.findChecked({ ...target, ...opts }));
  }

  // -- events --------------------------------------------------------------------------

  /**
   * Devlink notifications as typed events. Subscribed at the call: `ready` resolves once
   * the group is joined. An overrun yields a resync with the re-read state, and nothing
   * older than it is yielded after it.
   */
  monitor(o: MonitorOptions = {}): DevlinkMonitor { return monitor(this, this.events, o); }
  /**
   * A port informer: resolves once it has joined, dumped and applied what came during the
   * dump. `list()`/`get()` read its view; iterating yields added/updated/removed changes.
   */
  watchPorts(o: WatchPortsOptions = {}): Promise<PortWatch> { return settle(() => PortWatch.open(this, this.events, o)); }
  /** Counters of the notification reader: notifications that did not decode, overruns. */
  get eventStats(): Readonly<{
    /** Notifications that did not decode. */
    malformed: number;
    /** Receive overruns. */
    overruns: number;
  }> {
    return this.events.stats;
  }
}

// The gets' decoders (Devlink.get): module functions, not a closure per call.
const decodeDevice = (r: NlMsg[]): DevlinkDevice => decodeOne(r, deviceFrom, 'dev get');
const decodeInfo = (r: NlMsg[]): DeviceInfo => decodeOne(r, infoFrom, 'info get');
const decodeEswitch = (r: NlMsg[]): EswitchInfo => decodeOne(r, eswitchFrom, 'eswitch get');
const decodeParam = (r: NlMsg[]): DevlinkParam => decodeOne(r, paramFrom, 'param get');
const decodePort = (r: NlMsg[]): DevlinkPort => decodeOne(r, portFrom, 'port get');
const decodeRate = (r: NlMsg[]): DevlinkRate => decodeOne(r, rateFrom, 'rate get');

/** Input refused synchronously still reaches the caller as a rejected promise. */
function settle<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}
