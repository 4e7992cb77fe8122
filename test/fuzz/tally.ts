/**
 * What a fuzz run found: inputs tried, the library's typed errors by class, and the
 * findings (an exception that is not a NetlinkError, a call that never settled, a monitor
 * that stopped without an error, a throw out of the transport's receive handler), each
 * with what is needed to make the input again.
 */
import { NetlinkError } from '../../src/attrs/errors';

export type FindingKind = 'untyped-error' | 'hang' | 'monitor-stopped' | 'escaped-receive' | 'unhandled-rejection' | 'transport-left-open';

export interface Finding {
  readonly kind: FindingKind;
  /** 'decoders' or 'engine'. */
  readonly target: string;
  readonly seed: number;
  readonly index: number;
  /** What failed: the decoder, the call. */
  readonly where: string;
  readonly error: string;
  /** The datagrams that were fed, in hex. */
  readonly inputs: readonly string[];
}

export class Tally {
  inputs = 0;
  /** Datagrams fed (an engine case feeds many). */
  datagrams = 0;
  readonly typed = new Map<string, number>();
  readonly findings: Finding[] = [];
  /** Findings beyond this many are counted, not kept. */
  private readonly keep: number;
  dropped = 0;

  constructor(keep = 200) {
    this.keep = keep;
  }

  /** Count a thrown value; false when it is not one of the library's errors. */
  error(e: unknown): boolean {
    if (!(e instanceof NetlinkError)) return false;
    const name = e.constructor.name;
    this.typed.set(name, (this.typed.get(name) ?? 0) + 1);
    return true;
  }

  find(f: Finding): void {
    if (this.findings.length < this.keep) this.findings.push(f);
    else this.dropped++;
  }

  get findingCount(): number {
    return this.findings.length + this.dropped;
  }

  /** "MalformedError 1234, KernelError 56" (largest first). */
  typedSummary(): string {
    const rows = [...this.typed].sort((a, b) => b[1] - a[1]);
    return rows.length ? rows.map(([k, n]) => `${k} ${n}`).join(', ') : 'none';
  }

  merge(o: Tally): void {
    this.inputs += o.inputs;
    this.datagrams += o.datagrams;
    for (const [k, n] of o.typed) this.typed.set(k, (this.typed.get(k) ?? 0) + n);
    for (const f of o.findings) this.find(f);
    this.dropped += o.dropped;
  }
}

/** A thrown value on one line, with the top of its stack. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? '\n' + e.stack.split('\n').slice(1, 6).join('\n') : ''}`;
  return `non-Error thrown: ${String(e)}`;
}
