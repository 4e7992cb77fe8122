/**
 * devlink port function rate: show, add, set, del. Rates are read as iproute2 reads
 * them (a bare number is bits per second; bit, kbit, mbit, ..., Bps, KBps, ... and IEC
 * variants) and sent in bytes per second; tx_share may not exceed tx_max.
 */
import type { RateSettings } from '../devlink/types';
import { Args, nextDevHandle, nextRate, nextRateHandle, nextRateNode, nextStr, nextUint, parseKeywords, UsageError } from './args';
import { printRate } from './print';
import type { Session } from './session';

/** port function rate show [DEV | DEV/INDEX | DEV/NODE]. */
export async function rateShow(s: Session, a: Args): Promise<void> {
  let dev: string | undefined;
  let handle: string | undefined;
  if (!a.empty) {
    if ((a.peek() ?? '').split('/').length === 2) dev = nextDevHandle(a);
    else handle = nextRateHandle(a).handle;
  }
  a.done();
  const dl = await s.devlink();
  await s.printer.section('rate', async () => {
    const rates = handle !== undefined ? [await dl.rate(handle)] : await dl.rates(dev !== undefined ? { dev } : {});
    for (const r of rates) printRate(s.printer, r);
  });
}

type Settings = { -readonly [K in keyof RateSettings]: RateSettings[K] };

function rateKeywords(set: Settings, withPriority: boolean): ReadonlyArray<readonly [string, (a: Args) => void]> {
  const k: [string, (a: Args) => void][] = [
    ['tx_share', (x) => (set.txShare = nextRate(x))],
    ['tx_max', (x) => (set.txMax = nextRate(x))],
  ];
  if (withPriority) {
    k.push(['tx_priority', (x) => (set.txPriority = nextUint(x))]);
    k.push(['tx_weight', (x) => (set.txWeight = nextUint(x))]);
  }
  k.push(['parent', (x) => (set.parent = nextStr(x))]);
  k.push(['noparent', () => (set.parent = '')]);
  return k;
}

/** port_fn_check_tx_rates. */
function checkRates(share: bigint, max: bigint): void {
  if (max && share > max) throw new UsageError('Invalid. Expected tx_share <= tx_max or tx_share == 0.');
}

/** port function rate add DEV/NODE [tx_share R] [tx_max R] [tx_priority N] [tx_weight N] [parent NODE]. */
export async function rateAdd(s: Session, a: Args): Promise<void> {
  const node = nextRateNode(a);
  const set: Settings = {};
  parseKeywords(a, rateKeywords(set, true));
  if (set.txShare !== undefined && set.txMax !== undefined) checkRates(BigInt(set.txShare), BigInt(set.txMax));
  const dl = await s.devlink();
  await dl.addRateNode(node, set);
}

/**
 * port function rate set DEV/INDEX|DEV/NODE [tx_share R] [tx_max R] [tx_priority N]
 * [tx_weight N] [parent NODE | noparent]. Given only one of tx_share and tx_max, the
 * other is read from the kernel for the check, as iproute2 does.
 */
export async function rateSet(s: Session, a: Args): Promise<void> {
  const { handle } = nextRateHandle(a);
  const set: Settings = {};
  parseKeywords(a, rateKeywords(set, true));
  const dl = await s.devlink();
  if (set.txShare !== undefined && set.txMax !== undefined) {
    checkRates(BigInt(set.txShare), BigInt(set.txMax));
  } else if (set.txShare !== undefined || set.txMax !== undefined) {
    const cur = await dl.rate(handle);
    checkRates(BigInt(set.txShare ?? cur.txShare ?? 0n), BigInt(set.txMax ?? cur.txMax ?? 0n));
  }
  await dl.setRate(handle, set);
}

/** port function rate del DEV/NODE. */
export async function rateDel(s: Session, a: Args): Promise<void> {
  const node = nextRateNode(a);
  a.done();
  const dl = await s.devlink();
  await dl.deleteRateNode(node);
}
