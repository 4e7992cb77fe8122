/**
 * Calls in flight by sequence number: an array whose slot for a call is `seq & mask`.
 * The engine hands out only sequence numbers whose slot is free (`isFree`), so two calls
 * never share a slot, and a lookup is one array read and one comparison.
 *
 * Why not a Map: a Map that sees an insert and a delete per call rebuilds its hash table
 * every few dozen calls, and V8 links each table it leaves behind to its successor. Once a
 * table has reached the old generation (it was current during a full GC, or while a
 * large program loaded), each successor is kept alive by its dead predecessor through
 * every scavenge, promoted, and kept alive in turn: at 200,000 calls per second that chain
 * promoted megabytes per scavenge here and garbage collection took a third of the time.
 * This table allocates only when it grows.
 */
export class SeqTable<T extends { readonly seq: number }> {
  private slots: (T | undefined)[];
  private mask: number;
  private count = 0;

  constructor(initialSize = 256) {
    if (!Number.isInteger(Math.log2(initialSize))) throw new RangeError('SeqTable size must be a power of two');
    this.slots = new Array<T | undefined>(initialSize).fill(undefined);
    this.mask = initialSize - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The call with this sequence number, if it is in the table. */
  get(seq: number): T | undefined {
    const item = this.slots[seq & this.mask];
    return item !== undefined && item.seq === seq ? item : undefined;
  }

  /** Whether a call with this sequence number could be added (its slot is free). */
  isFree(seq: number): boolean {
    return this.slots[seq & this.mask] === undefined;
  }

  /**
   * Grow when half full, so that the search for a free sequence number stays short.
   * Call before choosing a sequence number.
   */
  reserve(): void {
    if (this.count < this.slots.length >> 1) return;
    const old = this.slots;
    const size = old.length * 2;
    this.slots = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
    // distinct in their low bits under the old mask, so distinct under the wider one too
    for (const item of old) if (item !== undefined) this.slots[item.seq & this.mask] = item;
  }

  /** Add a call; its slot must be free (see isFree). */
  add(item: T): void {
    const i = item.seq & this.mask;
    if (this.slots[i] !== undefined) throw new Error(`SeqTable: slot of sequence number ${item.seq} is taken by ${this.slots[i]!.seq}`);
    this.slots[i] = item;
    this.count++;
  }

  /** Remove the call with this sequence number; false when it was not there. */
  delete(seq: number): boolean {
    const i = seq & this.mask;
    const item = this.slots[i];
    if (item === undefined || item.seq !== seq) return false;
    this.slots[i] = undefined;
    this.count--;
    return true;
  }

  /** The calls in the table, as an array the caller may keep (changing the table meanwhile is safe). */
  values(): T[] {
    const out: T[] = [];
    if (this.count === 0) return out;
    for (const item of this.slots) if (item !== undefined) out.push(item);
    return out;
  }

  clear(): void {
    if (this.count === 0) return;
    this.slots.fill(undefined);
    this.count = 0;
  }
}
