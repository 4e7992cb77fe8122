/**
 * The library's one base error class and the codec's own errors.
 *
 * src/attrs is the leaf of the import graph, so the base class lives here; every other
 * error of devlink-sf (kernel errors, timeouts, closed connections, devlink errors)
 * extends NetlinkError, so `err instanceof NetlinkError` catches everything we throw.
 */
export class NetlinkError extends Error {
  /** Always 'NetlinkError': the class, for logs and stack traces. */
  override name = 'NetlinkError';
}

/** Bytes that are not valid netlink: a length below the header, past the end, a wrong size for a type, nesting too deep. */
export class MalformedError extends NetlinkError {
  /** Always 'MalformedError': the class, for logs and stack traces. */
  override name = 'MalformedError';
  constructor(
    /** What is wrong, without the location. */
    readonly detail: string,
    /** Byte offset in the buffer being read where the problem was found. */
    readonly offset: number,
    /** Attribute path being read, e.g. ".port-function.hw-addr", when known. */
    readonly path = '',
  ) {
    super(path ? `${detail} at ${path} (offset ${offset})` : `${detail} (offset ${offset})`);
  }

  /** The same error seen from one level up: `prefix` is prepended to the path. */
  within(prefix: string): MalformedError {
    return new MalformedError(this.detail, this.offset, prefix + this.path);
  }
}

/** Input refused before anything is sent; `field` names what was wrong. */
export class ValidationError extends NetlinkError {
  /** Always 'ValidationError': the class, for logs and stack traces. */
  override name = 'ValidationError';
  constructor(
    /** The field (or attribute path) that was refused, e.g. "hwAddr" or ".portFunction.state". */
    readonly field: string,
    /** Why it was refused ("expected an integer from 0 to 65535, got -1"). */
    readonly reason: string,
  ) {
    super(`invalid ${field}: ${reason}`);
  }
}
