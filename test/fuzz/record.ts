/**
 * Transports around another transport. TransportWrapper passes everything through and
 * lets a subclass see each datagram sent (`sent`) and each one received (`received`);
 * RecordingTransport keeps a copy of every datagram crossing it (the seed corpus builder,
 * build-seeds.ts, puts it around the simulator's endpoint and around a real socket).
 */
import type { RecvInfo, Transport, TransportFeatures, TransportHandlers } from '../../src/genl/transport';

export class TransportWrapper implements Transport {
  constructor(protected readonly inner: Transport) {}

  get name(): string {
    return this.inner.name;
  }
  get features(): TransportFeatures {
    return this.inner.features;
  }
  get localPort(): number {
    return this.inner.localPort;
  }
  get peerPort(): number {
    return this.inner.peerPort;
  }

  /** A datagram went out (after the inner send returned). */
  protected sent(datagram: Buffer): void {
    void datagram;
  }

  /** A datagram came in (before the engine sees it). */
  protected received(datagram: Buffer, from: RecvInfo): void {
    void datagram;
    void from;
  }

  start(handlers: TransportHandlers): void {
    this.inner.start({
      ...handlers,
      message: (datagram, from) => {
        this.received(datagram, from);
        handlers.message(datagram, from);
      },
    });
  }

  send(buffers: readonly Buffer[]): void {
    this.inner.send(buffers);
    this.sent(Buffer.concat(buffers as Buffer[]));
  }

  poll(until?: () => boolean): void {
    this.inner.poll(until);
  }
  addMembership(group: number): void {
    this.inner.addMembership(group);
  }
  dropMembership(group: number): void {
    this.inner.dropMembership(group);
  }
  close(): void {
    this.inner.close();
  }
}

export type Direction = 'request' | 'reply' | 'notification';

/** One datagram as it crossed the transport (a copy). */
export interface Recorded {
  readonly dir: Direction;
  /** The multicast group it came through (0: unicast). */
  readonly group: number;
  readonly bytes: Buffer;
}

export class RecordingTransport extends TransportWrapper {
  readonly recorded: Recorded[] = [];

  protected override sent(datagram: Buffer): void {
    this.recorded.push({ dir: 'request', group: 0, bytes: datagram });
  }

  protected override received(datagram: Buffer, from: RecvInfo): void {
    const notification = from.group !== 0 || (datagram.length >= 16 && datagram.readUInt32LE(8) === 0);
    this.recorded.push({ dir: notification ? 'notification' : 'reply', group: from.group, bytes: Buffer.from(datagram) });
  }
}
