/**
 * Opens the socket transport for a connection: the native addon's when it loads,
 * else the `netlink` npm package's, after one warning per process saying what is lost.
 */
import { addonLoadError, loadAddon } from './addon';
import { NativeTransport } from './transport-native';
import type { SocketOptions, Transport } from './transport';

export const NO_ADDON_WARNING_CODE = 'DEVLINK_SF_NO_ADDON';

/** Once per process: the warning is about the installation, not about a connection. */
let warned = false;

/** Why the addon did not load, on one line (node-gyp-build's message has several). */
function reason(): string {
  return (addonLoadError()?.message ?? 'unknown reason').trim().replace(/\s*\n\s*/g, '; ');
}

function warnOnce(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `devlink-sf: the native netlink addon did not load (${reason()}); using the 'netlink' npm ` +
      'package instead, which loses: the kernel\'s error messages and attribute offsets (ext-ack), ' +
      'strict checking, capped acks, and network namespaces; and a receive-buffer overrun aborts the process. ' +
      'The package ships the addon prebuilt for linux-x64 (glibc); elsewhere, build it with a C compiler: ' +
      '`npx node-gyp rebuild` in the devlink-sf directory.',
    { code: NO_ADDON_WARNING_CODE },
  );
}

export function openSocketTransport(opts: SocketOptions = {}): Transport {
  if (loadAddon() !== null) return NativeTransport.open(opts);
  warnOnce();
  // loaded only here: where the addon loads, a start does not load the fallback
  const { FallbackTransport } = require('./transport-fallback.js') as typeof import('./transport-fallback');
  return FallbackTransport.open(opts, `the native addon did not load: ${reason()}`);
}
