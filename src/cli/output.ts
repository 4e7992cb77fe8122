/**
 * Output that is byte-for-byte iproute2's. Two halves, as in iproute2:
 *
 * - JsonWriter behaves as lib/json_writer.c: a separator is written before every value
 *   but the first of a container, pretty printing puts each member on its own line with
 *   4-space indents, arrays open with "[ " and close with " ]", and the stream ends
 *   with a newline when the writer is finished.
 * - Printer keeps devlink's text state (current indent, whether the cursor is at the
 *   start of an indented line, how many newlines were just written) and offers the
 *   primitives devlink's printers are made of: sections, handles, objects, arrays and
 *   PRINT_ANY values that go to JSON or to text. The printers in print.ts call them in
 *   the order devlink.c does, so the spacing and line breaks come out the same.
 */

export class JsonWriter {
  private depth = 0;
  private sep = '';

  constructor(
    private readonly emit: (s: string) => void,
    private readonly pretty: boolean,
  ) {}

  private eol(): void {
    if (this.pretty) this.emit('\n' + '    '.repeat(this.depth));
  }

  /** Before a value: a comma unless it is the first of its container. */
  private eor(): void {
    if (this.sep) this.emit(this.sep);
    this.sep = ',';
  }

  private begin(c: string): void {
    this.eor();
    this.emit(c);
    this.depth++;
    this.sep = '';
  }

  private end(c: string): void {
    this.depth--;
    if (this.sep) this.eol();
    this.emit(c);
    this.sep = ',';
  }

  name(name: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.emit(quote(name) + (this.pretty ? ': ' : ':'));
  }

  startObject(): void {
    this.begin('{');
  }

  endObject(): void {
    this.end('}');
  }

  startArray(): void {
    this.begin('[');
    if (this.pretty) this.emit(' ');
  }

  endArray(): void {
    if (this.pretty && this.sep) this.emit(' ');
    this.sep = '';
    this.end(']');
  }

  string(v: string): void {
    this.eor();
    this.emit(quote(v));
  }

  /** A number or boolean, written as it is. */
  literal(v: number | bigint | boolean): void {
    this.eor();
    this.emit(String(v));
  }

  /** jsonw_destroy. */
  finish(): void {
    this.emit('\n');
  }
}

/** jsonw_puts: escapes only what json_writer.c escapes. */
function quote(s: string): string {
  return '"' + s.replace(/[\t\n\r\f\b\\"]/g, (c) => ESCAPES[c]) + '"';
}

const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b', '\\': '\\\\', '"': '\\"' };

/** INDENT_STR_STEP, INDENT_STR_MAXLEN. */
const STEP = 2;
const MAX_INDENT = 32;

export interface PrinterOptions {
  readonly json: boolean;
  readonly pretty: boolean;
  /** -i: rates with IEC prefixes (Kibit). */
  readonly iec?: boolean;
}

export class Printer {
  readonly json: JsonWriter | undefined;
  readonly iec: boolean;
  private buf = '';
  private level = 0;
  private newlines = 0;
  private atIndent = false;
  private arrLast: string | undefined;
  /** Some JSON was written (a wrapper opened before the connection failed): the stream needs its end. */
  jsonWritten = false;

  constructor(opts: PrinterOptions) {
    this.json = opts.json ? new JsonWriter((s) => {
      this.buf += s;
      this.jsonWritten = true;
    }, opts.pretty) : undefined;
    this.iec = opts.iec ?? false;
  }

  /** What was printed since the last take(). */
  take(): string {
    const s = this.buf;
    this.buf = '';
    return s;
  }

  /** Text state starts afresh for each command (iproute2 carries it across batch lines). */
  resetText(): void {
    this.level = 0;
    this.newlines = 0;
    this.atIndent = false;
    this.arrLast = undefined;
  }

  // -- text primitives (devlink.c's pr_out, __pr_out_newline, ...) ---------------------

  /** pr_out: the pending indent, then the text. */
  out(s: string): void {
    if (this.atIndent) {
      this.buf += ' '.repeat(this.level);
      this.atIndent = false;
    }
    this.buf += s;
    this.newlines = 0;
  }

  /** A print_*() in text mode: written as it is, the line state untouched. */
  raw(s: string): void {
    if (!this.json) this.buf += s;
  }

  /** Text only, through pr_out. */
  text(s: string): void {
    if (!this.json) this.out(s);
  }

  newline(): void {
    if (this.newlines < 1) {
      this.out('\n');
      this.atIndent = true;
    }
    this.newlines++;
  }

  indentInc(): void {
    if (this.level + STEP <= MAX_INDENT) this.level += STEP;
  }

  indentDec(): void {
    if (this.level - STEP >= 0) this.level -= STEP;
  }

  /** check_indent_newline: a space between fields, or the indent at a line's start. */
  checkIndentNewline(): void {
    if (!this.atIndent && !this.json) this.buf += ' ';
    if (this.atIndent && !this.json) {
      this.buf += ' '.repeat(this.level);
      this.atIndent = false;
    }
    this.newlines = 0;
  }

  /** __pr_out_indent_newline: a space between fields, unless at the start of a line. */
  spaceUnlessAtIndent(): void {
    if (!this.atIndent && !this.json) this.out(' ');
  }

  /** JSON only: a member's name (jsonw_name). */
  jsonName(name: string): void {
    this.json?.name(name);
  }

  /** Forces the "just wrote a newline" count (pr_out_reload_actions_performed does). */
  setNewlineCount(n: number): void {
    this.newlines = n;
  }

  // -- PRINT_ANY values -----------------------------------------------------------------

  /** JSON: "key":"value" (or a bare string in an array); text: `text` + value. */
  str(key: string | undefined, text: string, value: string): void {
    if (this.json) {
      if (key !== undefined) this.json.name(key);
      this.json.string(value);
    } else {
      this.buf += text + value;
    }
  }

  uint(key: string | undefined, text: string, value: number | bigint): void {
    if (this.json) {
      if (key !== undefined) this.json.name(key);
      this.json.literal(value);
    } else {
      this.buf += text + String(value);
    }
  }

  bool(key: string | undefined, text: string, value: boolean): void {
    if (this.json) {
      if (key !== undefined) this.json.name(key);
      this.json.literal(value);
    } else {
      this.buf += text + (value ? 'true' : 'false');
    }
  }

  // -- structure (devlink.c's pr_out_section_start, pr_out_object_start, ...) -----------

  /** JSON only: an unnamed object (open_json_object(NULL)). */
  jsonOpen(name?: string): void {
    if (!this.json) return;
    if (name !== undefined) this.json.name(name);
    this.json.startObject();
  }

  jsonClose(): void {
    this.json?.endObject();
  }

  jsonArrayOpen(name?: string): void {
    if (!this.json) return;
    if (name !== undefined) this.json.name(name);
    this.json.startArray();
  }

  jsonArrayClose(): void {
    this.json?.endArray();
  }

  /**
   * A section around `body` (pr_out_section_start ... pr_out_section_end): the end is
   * written even when the body throws, so a failed command still leaves valid JSON.
   */
  section<T>(name: string, body: () => T): T {
    this.sectionStart(name);
    let r: T;
    try {
      r = body();
    } catch (e) {
      this.sectionEnd();
      throw e;
    }
    if (r instanceof Promise) return r.finally(() => this.sectionEnd()) as T;
    this.sectionEnd();
    return r;
  }

  sectionStart(name: string): void {
    this.jsonOpen();
    this.jsonOpen(name);
  }

  sectionEnd(): void {
    if (!this.json) return;
    if (this.arrLast !== undefined) this.json.endArray();
    this.arrLast = undefined;
    this.json.endObject();
    this.json.endObject();
  }

  arrayStart(name: string): void {
    this.namedStart(name, () => this.jsonArrayOpen(name));
  }

  arrayEnd(): void {
    this.namedEnd((j) => j.endArray());
  }

  objectStart(name: string): void {
    this.namedStart(name, () => this.jsonOpen(name));
  }

  objectEnd(): void {
    this.namedEnd((j) => j.endObject());
  }

  /** A named array or object: a JSON member, or in text `name:` on a new line, indented. */
  private namedStart(name: string, openJson: () => void): void {
    if (this.json) {
      openJson();
      return;
    }
    this.indentInc();
    this.newline();
    this.out(`${name}:`);
    this.indentInc();
    this.newline();
  }

  private namedEnd(closeJson: (j: JsonWriter) => void): void {
    if (this.json) {
      closeJson(this.json);
      return;
    }
    this.indentDec();
    this.indentDec();
  }

  entryStart(): void {
    this.jsonOpen();
  }

  entryEnd(): void {
    if (this.json) this.json.endObject();
    else this.newline();
  }

  /** __pr_out_handle_start: `content` adds the colon; `array` groups entries of one handle. */
  handleStart(handle: string, content: boolean, array = false): void {
    if (this.json) {
      if (!array) {
        this.jsonOpen(handle);
      } else {
        if (this.arrLast !== handle) {
          if (this.arrLast !== undefined) this.json.endArray();
          this.jsonArrayOpen(handle);
          this.arrLast = handle;
        }
        this.json.startObject();
      }
      return;
    }
    if (!array) {
      this.out(handle + (content ? ':' : ''));
      return;
    }
    if (this.arrLast === handle) return;
    if (this.arrLast !== undefined) this.indentDec();
    this.out(handle + (content ? ':' : ''));
    this.newline();
    this.indentInc();
    this.arrLast = handle;
  }

  handleEnd(): void {
    if (this.json) this.json.endObject();
    else this.newline();
  }

  /** pr_out_port_handle_start (also used for rate handles). */
  portHandleStart(handle: string): void {
    if (this.json) this.jsonOpen(handle);
    else this.out(`${handle}:`);
  }

  /**
   * pr_out_port_handle_end. iproute2 6.1 writes a plain "\n", newer iproute2 a newline
   * unless one was just written; they differ only after a nested devlink instance (which
   * 6.1 does not print), where the newer form avoids an empty line.
   */
  portHandleEnd(): void {
    if (this.json) this.json.endObject();
    else this.newline();
  }

  /** The end of the session's output: JSON gets its final newline. */
  finish(): void {
    this.json?.finish();
  }
}

/**
 * print_rate(): bytes/s as bits with the largest SI (or IEC) prefix that keeps the
 * value exact, unless it is 1000 of that unit or more. JSON gets the raw bytes/s.
 */
export function formatRate(bytesPerSec: bigint, iec = false): string {
  const kilo = iec ? 1024n : 1000n;
  const units = ['', 'K', 'M', 'G', 'T'];
  let rate = (bytesPerSec << 3n) & 0xffffffffffffffffn;
  let i = 0;
  for (; i < units.length - 1; i++) {
    if (rate < kilo) break;
    if (rate % kilo !== 0n && rate < 1000n * kilo) break;
    rate /= kilo;
  }
  return `${Number(rate).toFixed(0)}${units[i]}${i > 0 && iec ? 'i' : ''}bit`;
}

/** Columns padded to their widest cell (our own tables: sf list, apply plans). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd() + '\n').join('');
}
