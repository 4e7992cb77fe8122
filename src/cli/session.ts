/**
 * One run of the command line: its streams, global options, printer and connections.
 * A batch (-b) is one session, so its commands share the socket, the JSON stream and
 * (with --sim) the simulator, as iproute2 shares its socket and JSON writer.
 * Connections open on first use, so argument mistakes are reported without a kernel.
 */
import * as path from 'node:path';
import type { Devlink } from '../devlink/devlink';
import { FamilyNotFoundError } from '../genl/errors';
import type { GenericNetlink, GenericNetlinkOptions } from '../genl/generic';
import type { Transport } from '../genl/transport';
import { UsageError } from './args';
import { Printer } from './output';
import type { SimHandle } from './sim';
import { exitBy, Interrupted, onSignal } from './signals';
import { SIM_ENV } from './options';

/** errors.ts, loaded when a line of it is printed: a command that succeeds does not load it (main.ts's failures()). */
function errorLines(): typeof import('./errors') {
  return require('./errors.js') as typeof import('./errors');
}

export interface OutStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutStream;
  readonly stderr: { write(s: string): unknown };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface MainOptions extends Partial<CliIo> {
  /** Run on this transport instead of a socket (a test's own simulator); called once per connection. */
  readonly transport?: () => Transport;
  /** The sysfs root that goes with `transport` (overridden by --sysfs). */
  readonly sysfsRoot?: string;
  /** Ends long-running commands (monitor, demo); the process itself uses SIGINT and SIGTERM. */
  readonly signal?: AbortSignal;
  /** Called when a long-running command (monitor) is subscribed and listening. */
  readonly onListening?: () => void;
}

export interface GlobalOptions {
  readonly json: boolean;
  readonly pretty: boolean;
  readonly iec: boolean;
  readonly stats: boolean;
  readonly verbose: boolean;
  readonly force: boolean;
  readonly help: boolean;
  readonly version: boolean;
  readonly sim: boolean;
  readonly batch?: string;
  readonly netns?: string;
  readonly family?: string;
  readonly simConfig?: string;
  readonly sysfs?: string;
}

/** /var/run/netns/NAME, as ip-netns names them; a path is taken as it is. */
export function netnsPath(name: string): string {
  return name.includes('/') ? name : path.join('/var/run/netns', name);
}

export class Session {
  readonly printer: Printer;
  private sim: Promise<SimHandle> | undefined;
  private dl: Promise<Devlink> | undefined;
  private gn: Promise<GenericNetlink> | undefined;
  /** A connection was opened at some point (iproute2 ends its JSON output only then). */
  connected = false;
  /** The signal (SIGINT, SIGTERM) that stopped a command: the program ends, a batch too. */
  interruptedBy: 'SIGINT' | 'SIGTERM' | undefined;
  /**
   * The command treats that signal as its normal end (the agent: a service manager's stop),
   * so the program ends with 0, not 128 + signal; a batch still stops there.
   */
  signalIsNormalEnd = false;

  constructor(
    readonly io: CliIo,
    readonly opts: GlobalOptions,
    private readonly main: MainOptions,
  ) {
    this.printer = new Printer({ json: opts.json, pretty: opts.pretty, iec: opts.iec });
  }

  get json(): boolean {
    return this.opts.json;
  }

  /** The caller's abort signal (tests), if any. */
  get signal(): AbortSignal | undefined {
    return this.main.signal;
  }

  /** A signal that fires on SIGINT or SIGTERM (or the caller's signal); dispose() when done. */
  stopSignal(): { readonly signal: AbortSignal; dispose(): void } {
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    const outer = this.main.signal;
    let off: (() => void) | undefined;
    if (outer) {
      if (outer.aborted) ac.abort();
      else outer.addEventListener('abort', stop, { once: true });
    } else {
      off = onSignal((sig) => {
        this.interruptedBy ??= sig;
        ac.abort();
      });
    }
    return {
      signal: ac.signal,
      dispose: () => {
        outer?.removeEventListener('abort', stop);
        off?.();
      },
    };
  }

  /**
   * For a command that changes things (sf create, ensure, destroy; apply): the first
   * SIGINT or SIGTERM aborts its calls with an Interrupted reason (a lifecycle call then
   * rolls back what it made), and the command reports as it reports any failure; the
   * program then ends with 128 + the signal. A second one while that goes on ends the
   * program at once, naming what `leftover()` says may be left. With the caller's signal
   * (tests) that signal is used as it is.
   */
  interruptible(leftover: () => string): { readonly signal?: AbortSignal; dispose(): void } {
    if (this.main.signal !== undefined) return { signal: this.main.signal, dispose: () => undefined };
    const ac = new AbortController();
    const off = onSignal((sig) => {
      if (this.interruptedBy === undefined) {
        this.interruptedBy = sig;
        ac.abort(new Interrupted(sig));
        return;
      }
      const left = leftover();
      this.err(`Interrupted again (${sig}) while stopping: exiting at once; ${left !== '' ? `${left} may be left behind` : 'nothing was in progress'}\n`);
      exitBy(sig);
    });
    return { signal: ac.signal, dispose: off };
  }

  /** Tell the caller a long-running command is listening. */
  listening(): void {
    this.main.onListening?.();
  }

  /** Whether this session talks to a simulator (ours, the background one, or the caller's). */
  get simulated(): boolean {
    return this.opts.sim || this.main.transport !== undefined || this.daemonNamed;
  }

  /** $DEVLINK_SF_SIM names a background simulator's state file: every command runs on it. */
  private get daemonNamed(): boolean {
    return (this.io.env[SIM_ENV] ?? '') !== '';
  }

  /** Write what the printer holds to stdout. */
  flush(): void {
    const s = this.printer.take();
    if (s) this.io.stdout.write(s);
  }

  /** Text straight to stdout (our own commands' narration), after anything pending. */
  out(s: string): void {
    this.flush();
    this.io.stdout.write(s);
  }

  err(s: string): void {
    this.flush();
    this.io.stderr.write(s);
  }

  /** A warning the kernel gave with a request it carried out, as iproute2 prints it (`Warning: ...`). */
  private readonly printWarning = (w: { readonly message: string }): void => this.err(errorLines().warningLine(w.message));

  /** Whether the session's connections go to a simulator of ours (not a caller's transport). */
  private get ownSimulator(): boolean {
    return this.main.transport === undefined && (this.opts.sim || this.daemonNamed);
  }

  /**
   * A new simulator in this process when --sim-config names its configuration (the option
   * given on the command line wins over the environment); otherwise the background
   * simulator when $DEVLINK_SF_SIM names it (it must be running), or with --sim when one
   * runs at the well-known path; otherwise a new one in this process.
   */
  private simulator(): Promise<SimHandle> {
    const find = async (): Promise<SimHandle> => {
      const { daemonHandle, readSimState, simStatePath } = require('./sim-daemon.js') as typeof import('./sim-daemon');
      const file = simStatePath(this.io.env);
      if (this.opts.simConfig === undefined) {
        const state = await readSimState(file);
        if (state !== undefined) return daemonHandle(state);
        if (this.daemonNamed) throw new UsageError(`${SIM_ENV}=${file}: no simulator is running (devlink-sf sim start starts one)`);
      }
      // require(), not import(): see commands.ts
      return (require('./sim.js') as typeof import('./sim')).startSimulator(this.opts.simConfig);
    };
    return (this.sim ??= find());
  }

  private async connection(): Promise<GenericNetlinkOptions> {
    if (this.ownSimulator) {
      if (this.opts.netns !== undefined) throw new UsageError('-N cannot be combined with --sim: the simulator has no network namespaces');
      return (await this.simulator()).connection();
    }
    if (this.main.transport) return { transport: this.main.transport() };
    return this.opts.netns !== undefined ? { netns: netnsPath(this.opts.netns) } : {};
  }

  devlink(): Promise<Devlink> {
    const family = this.opts.family ?? 'devlink';
    const open = async (): Promise<Devlink> => {
      try {
        // loaded when a command needs it: a start loads only what it uses
        const { Devlink } = require('../devlink/devlink.js') as typeof import('../devlink/devlink');
        const dl = await Devlink.open({ ...(await this.connection()), family, onWarning: this.printWarning });
        this.connected = true;
        return dl;
      } catch (e) {
        if (!(e instanceof FamilyNotFoundError)) throw e;
        // iproute2's words, then why
        throw new UsageError(`Failed to connect to ${family} Netlink\n` +
          errorLines().errorLine(`this kernel has no "${family}" generic netlink family, so no devlink device (try --sim)`));
      }
    };
    const p = (this.dl ??= open());
    p.catch(() => {
      if (this.dl === p) this.dl = undefined;
    });
    return p;
  }

  /** A plain generic netlink connection (genl commands work where devlink does not exist). */
  genl(): Promise<GenericNetlink> {
    const open = async (): Promise<GenericNetlink> => {
      const { GenericNetlink } = require('../genl/generic.js') as typeof import('../genl/generic');
      const g = await GenericNetlink.open({ ...(await this.connection()), onWarning: this.printWarning });
      this.connected = true;
      return g;
    };
    const p = (this.gn ??= open());
    p.catch(() => {
      if (this.gn === p) this.gn = undefined;
    });
    return p;
  }

  /** Where sysfs is for sf and apply: --sysfs, the caller's, the simulator's, or /sys. */
  async sysfsRoot(): Promise<string> {
    if (this.opts.sysfs !== undefined) return this.opts.sysfs;
    if (this.main.sysfsRoot !== undefined) return this.main.sysfsRoot;
    if (this.ownSimulator) return (await this.simulator()).sysfsRoot;
    return '/sys';
  }

  async close(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    if (this.dl) closing.push(this.dl.then((d) => d.close(), () => undefined));
    if (this.gn) closing.push(this.gn.then((g) => g.close(), () => undefined));
    await Promise.all(closing);
    this.dl = this.gn = undefined;
    if (this.sim) await this.sim.then((s) => s.close(), () => undefined);
    this.sim = undefined;
  }
}
