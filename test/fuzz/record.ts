/**
 * A Transport that records every datagram crossing it (requests sent, datagrams
 * received with the group they came through) and otherwise passes everything to the
 * transport it wraps. The seed corpus builder (build-seeds.ts) puts it around the
 * simulator's endpoint and around a real netlink socket.
 */
import type { RecvInfo, Transport, TransportFeatures, TransportHandlers } from '../../src/genl/transport';

export type Direction = 'request' | 'reply' | 'notification';

/** One datagram as it crossed the transport (a copy). */
export interface Recorded {
  readonly dir: Direction;
  /** The multicast group it came through (0: unicast). */
  readonly group: number;
  readonly bytes: Buffer;
}

export class RecordingTransport implements Transport {
  readonly recorded: Recorded[] = [];

  constructor(private readonly inner: Transport) {}

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

  start(handlers: TransportHandlers): void {
    const seen = (datagram: Buffer, from: RecvInfo): void => {
      const notification = from.group !== 0 || (datagram.length >= 16 && datagram.readUInt32LE(8) === 0);
      this.recorded.push({ dir: notification ? 'notification' : 'reply', group: from.group, bytes: Buffer.from(datagram) });
    };
    this.inner.start({
      ...handlers,
      message: (datagram, from) => {
        seen(datagram, from);
        handlers.message(datagram, from);
      },
    });
  }

  send(buffers: readonly Buffer[]): void {
    const bytes = Buffer.concat(buffers as Buffer[]);
    this.inner.send(buffers);
    this.recorded.push({ dir: 'request', group: 0, bytes });
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
