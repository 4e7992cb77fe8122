/**
 * What a caller hands the request engine (connection.ts): one request or dump, with
 * what the engine needs to send it, to name it in errors and to resolve its ext-ack;
 * and the engine's counters.
 */
import type { AttrDefs, AttrSet } from '../attrs/schema';
import type { CallOptions } from './call-options';
import type { KernelError, KernelErrorInfo } from './errors';
import type { NlMsg } from './message';

export interface RequestSpec extends CallOptions {
  /** One whole message (startRequest/finishRequest); its sequence number is stamped here. */
  readonly msg: Buffer;
  /** Names the operation in errors: "devlink port-new". */
  readonly op: string;
  /** The request's attribute set: ext-ack offsets and missing attributes resolve through it. */
  readonly attrs?: AttrSet<AttrDefs>;
  /** The family's fixed header size (0 for most). */
  readonly hdrSize?: number;
  /** Build the error for a kernel refusal (a subclass such as DevlinkError). */
  readonly makeError?: (info: KernelErrorInfo) => KernelError;
  /**
   * The kernel answers this request with exactly one message or an error (a generic
   * netlink "do" that replies, such as a GET). It goes out without NLM_F_ACK and is done
   * at that message: one datagram less per call. Leave unset for anything that may
   * answer with nothing but an ACK (a SET, a DEL), which would then never complete.
   */
  readonly oneReply?: boolean;
  /**
   * Called with each message of the answer (replies, then the ACK, DONE or error) at the
   * moment it is read, in the socket's order with
   * the notifications listeners see (see listen()): a reader that keeps state from both
   * can tell which notifications came before a reply and which after.
   */
  readonly onReply?: (m: NlMsg) => void;
}

/**
 * A request whose replies the engine turns into the call's value itself, before the
 * promise resolves: one promise and one microtask fewer than `request(...).then(...)`.
 */
export interface DecodedRequestSpec<T> extends RequestSpec {
  readonly decode: (replies: NlMsg[]) => T;
  /** Told of every failure (a kernel refusal, a timeout, an abort, a decode error) before the call rejects with it. */
  readonly onError?: (err: unknown) => void;
}

export interface DumpSpec extends RequestSpec {
  /** Re-run a dump interrupted by NLM_F_DUMP_INTR up to this many times (array form only). */
  readonly retryInterrupted?: number;
  /**
   * Decode each reply as it is read: the dump resolves with what `each` returned, in
   * order, instead of the messages. The message may be lent, its bytes and the object
   * itself valid only during the call (the next message may reuse both), so `each` keeps
   * nothing of it but what it decodes, and no message of the dump is kept: a big dump's
   * datagrams are not copied, nor held until its DONE, and its messages are no objects
   * of their own. A throw
   * fails the dump with that error once the kernel has finished it (the rest is read and
   * dropped). Not with dumpStream(). Without `onReply` only: a reader that sees the
   * messages gets them copied.
   */
  readonly each?: (m: NlMsg) => unknown;
}

/** A dump whose replies `each` decodes as they are read: it resolves with the results. */
export interface DecodedDumpSpec<T> extends DumpSpec {
  /** See DumpSpec.each: required here, and what it returns is the type of the results. */
  readonly each: (m: NlMsg) => T;
}

/** A connection's counters, since it opened. */
export interface ConnectionStats {
  /** Messages sent. */
  sent: number;
  /** Send system calls (a batch of messages goes out in one). */
  sends: number;
  /** Datagrams received from our peer. */
  received: number;
  /** Dropped: wrong sender, unknown sequence number, malformed. */
  droppedSender: number;
  /** Messages dropped: their sequence number belongs to no call (late replies of a call given up on). */
  droppedSeq: number;
  /** Datagrams dropped: they did not parse as netlink messages. */
  malformed: number;
  /** Receive-buffer overruns (ENOBUFS): something addressed to us was lost. */
  overruns: number;
  /** Datagrams the transport read truncated (bounded receive mode), from our peer. */
  truncated: number;
  /** Exceptions thrown by listen() subscribers and by the onWarning callback (dropped). */
  listenerErrors: number;
  /** Warnings the kernel gave with requests it carried out (ACKs and DONEs with error 0 and a message). */
  warnings: number;
}
