/**
 * The agent's log: pino, one JSON line per action; on a terminal the same records as
 * short human lines ("12:03:04 INFO  repaired pci/0000:06:00.0 pfnum 0 sfnum 88 (deleted)").
 */
import { Writable } from 'node:stream';
import pino, { Logger } from 'pino';

/** What the agent logs through: a pino logger, or anything with its four methods. */
export type AgentLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** A record as one human line: time, level, message, then the other fields as key=value. */
export function humanLine(json: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, pid: _pid, hostname: _host, ...rest } = r;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return `${t} ${LEVELS[level as number] ?? String(level)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}\n`;
}

/** JSON lines to `out`, or human lines when `human` (default: when `out` is a terminal). */
export function agentLogger(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout, human = out.isTTY === true, level = 'info'): Logger {
  if (!human) return pino({ level, base: undefined }, out as unknown as pino.DestinationStream);
  let partial = '';
  const dest = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      partial += chunk.toString();
      let i: number;
      while ((i = partial.indexOf('\n')) >= 0) {
        out.write(humanLine(partial.slice(0, i)));
        partial = partial.slice(i + 1);
      }
      cb();
    },
  });
  return pino({ level, base: undefined }, dest);
}
