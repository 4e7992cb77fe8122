/**
 * The one place that loads the native addon (native/netlink.c), through node-gyp-build:
 * a local build (build/Release) first, else the prebuild shipped in prebuilds/.
 *
 * Setting DEVLINK_SF_NO_ADDON=1 makes the addon look absent, so the fallback
 * transport can be exercised on a machine where the addon does load.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The socket the addon wraps; see the comment at the top of native/netlink.c. */
export interface NativeSocket {
  /** bind(2); port 0 lets the kernel assign one. */
  bind(port: number, groups: number): void;
  /** getsockname(2). */
  getsockname(): { port: number; groups: number };
  /** setsockopt(2) with an int value. */
  setsockopt(level: number, name: number, value: number): void;
  /** getsockopt(2) of an int value. */
  getsockopt(level: number, name: number): number;
  /** sendmsg(2): the buffers go out as ONE datagram to (port, groups). */
  sendmsg(buffers: readonly Uint8Array[], port: number, groups: number): void;
  /**
   * sendmsg(2) of one buffer to `port`, then recvmmsg(2) of up to `count` datagrams into
   * the slots (as `recvmmsg`): one call from JavaScript. Throws when the send fails;
   * returns how many datagrams were read, or -errno when the read failed after the send
   * went out. Needs `setRecvSlots` first. Absent from addons built before it was added.
   */
  sendRecv?(buffer: Uint8Array, port: number, count: number): number;
  /**
   * recvmsg(2) of one whole datagram into the constructor's `area`: returns its length,
   * or -1 when nothing is queued. The sender's port and group go to the constructor's
   * `info` ([0], [1]). A datagram longer than the area stays queued: read it with
   * `recvmsgInto` into a buffer of the returned length. Throws ENOBUFS after an
   * overrun; the socket stays usable.
   */
  recvmsg(): number;
  /** Reads the queued datagram `recvmsg` found longer than the area; -1 if none. */
  recvmsgInto(buffer: Uint8Array): number;
  /**
   * Where `recvmmsg` reads: `area` cut into slots of `slotSize` bytes (at least 16,
   * NLMSG_HDRLEN; 1 to 1024 slots), `meta` with 4 entries per slot. Both are kept alive
   * by the socket; a later call replaces them. With `reserve`, each slot is followed by
   * that many bytes of address space (mmap, MAP_NORESERVE: no memory until used) that
   * the rest of a longer datagram spills into; throws (ENOMEM) when it cannot be had.
   */
  setRecvSlots(area: Uint8Array, slotSize: number, meta: Uint32Array, reserve?: number): void;
  /**
   * recvmmsg(2): up to `count` queued datagrams (at most one per slot) in one system
   * call, datagram i into slot i; returns how many, 0 when none is queued. For each,
   * `meta[4i .. 4i+3]` = [its real length, sender's port, group, flags]; flags has
   * `constants.RECV_TRUNCATED` when the datagram was longer than its slot (only the
   * slot's bytes were read; the rest is lost). Throws (ENOBUFS after an overrun) only
   * when nothing was read; an error met after some datagrams comes on the next call.
   */
  recvmmsg(count: number): number;
  /**
   * After `recvmmsg` read datagram `index` longer than its slot (and not truncated):
   * copies its bytes past the slot from the slot's reserve into `target` at `offset`;
   * returns how many. The reserve's pages are given back.
   */
  readReserve(index: number, target: Uint8Array, offset: number): number;
  /** Polls for readability on the event loop; `onReadable(err)` if polling fails. */
  start(onReadable: (err?: Error) => void): void;
  stop(): void;
  /**
   * Idempotent; safe from inside the readable callback. Frees the socket's memory at
   * once, not at garbage collection: the descriptor, the reserves (munmap), and the
   * memory of the constructor's `area` and of `setRecvSlots`' area (their ArrayBuffers
   * are detached where the buffer spans its ArrayBuffer whole: they read as empty
   * afterwards; `info` and `meta` are left readable). Other methods then throw EBADF.
   */
  close(): void;
}

export interface NativeSocketConstructor {
  /**
   * socket(AF_NETLINK, SOCK_RAW|SOCK_NONBLOCK|SOCK_CLOEXEC, protocol), created in the
   * network namespace at `netns` if given (the process stays where it is). `info`
   * (2 entries) and `area` are written by every receive and kept alive by the socket.
   */
  new (protocol: number, netns: string | null, info: Uint32Array, area: Uint8Array): NativeSocket;
}

/** Socket-level numbers as the addon's C headers define them. */
export interface AddonConstants {
  readonly SOL_SOCKET: number;
  readonly SOL_NETLINK: number;
  readonly SO_RCVBUF: number;
  readonly SO_RCVBUFFORCE: number;
  readonly SO_SNDBUF: number;
  readonly SO_SNDBUFFORCE: number;
  readonly NETLINK_ADD_MEMBERSHIP: number;
  readonly NETLINK_DROP_MEMBERSHIP: number;
  readonly NETLINK_PKTINFO: number;
  readonly NETLINK_CAP_ACK: number;
  readonly NETLINK_EXT_ACK: number;
  readonly NETLINK_GET_STRICT_CHK: number;
  readonly NETLINK_ROUTE: number;
  readonly NETLINK_GENERIC: number;
  /** recvmmsg()'s per-datagram flag: longer than its slot, truncated (NL_SLOT_TRUNCATED). */
  readonly RECV_TRUNCATED: number;
  /** sysconf(_SC_PAGESIZE); absent from addons built before it was added. */
  readonly PAGE_SIZE?: number;
}

export interface Addon {
  /** NL_ABI in native/netlink.c. */
  readonly abi: number;
  readonly NetlinkSocket: NativeSocketConstructor;
  readonly constants: AddonConstants;
}

/** The ABI this file is written against: NL_ABI in native/netlink.c. */
const EXPECTED_ABI = 2;

export const NO_ADDON_ENV = 'DEVLINK_SF_NO_ADDON';

let loaded: Addon | null | undefined;
let loadError: Error | null = null;

/**
 * The package root, where node-gyp-build looks for build/Release and prebuilds/: the
 * nearest directory above this file (dist/src/genl once compiled) holding binding.gyp,
 * which the package always ships.
 */
function packageRoot(): string {
  for (let dir = __dirname; ; ) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no binding.gyp found above ${__dirname}`);
    dir = parent;
  }
}

function isAddon(value: unknown): value is Addon {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { abi?: unknown; NetlinkSocket?: unknown; constants?: unknown };
  return typeof v.abi === 'number' && typeof v.NetlinkSocket === 'function' && typeof v.constants === 'object';
}

function load(): Addon {
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  const binding = nodeGypBuild(packageRoot());
  if (!isAddon(binding)) throw new Error('the native addon does not export NetlinkSocket, constants and abi');
  if (binding.abi !== EXPECTED_ABI) {
    throw new Error(`the native addon has ABI ${binding.abi}, this code needs ${EXPECTED_ABI}: rebuild it (npm run build:native)`);
  }
  return binding;
}

/** True when DEVLINK_SF_NO_ADDON=1 asks to behave as if the addon were absent. */
export function addonDisabled(): boolean {
  return process.env[NO_ADDON_ENV] === '1';
}

/**
 * The addon, or null when it cannot be loaded (or DEVLINK_SF_NO_ADDON=1);
 * `addonLoadError()` then says why. Loading is attempted once per process.
 */
export function loadAddon(): Addon | null {
  if (addonDisabled()) return null;
  if (loaded === undefined) {
    try {
      loaded = load();
    } catch (err) {
      loaded = null;
      loadError = err instanceof Error ? err : new Error(String(err));
    }
  }
  return loaded;
}

/** Why `loadAddon()` returned null, for diagnostics; null if it did not. */
export function addonLoadError(): Error | null {
  if (addonDisabled()) return new Error(`${NO_ADDON_ENV}=1 is set`);
  return loaded === null ? loadError : null;
}
