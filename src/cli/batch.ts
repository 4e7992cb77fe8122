/**
 * -b FILE: commands one per line, read as iproute2's do_batch reads them: '#' starts a
 * comment, a backslash at the end of a line continues it, words are split on blanks and
 * may be quoted with ' or ". Each command carries the number of its (first) line, for
 * "Command failed FILE:LINE".
 */
import { UsageError } from './args';

export interface BatchLine {
  readonly line: number;
  readonly words: readonly string[];
}

/** makeargs(): blanks separate words; a word that begins with a quote runs to the next one. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  const blank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  while (i < line.length) {
    while (i < line.length && blank(line[i])) i++;
    if (i >= line.length) break;
    const c = line[i];
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new UsageError('Unterminated quoted string');
      words.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < line.length && !blank(line[j])) j++;
      words.push(line.slice(i, j));
      i = j;
    }
  }
  return words;
}

/**
 * getcmdline() over a whole file: comments cut, continuations joined, blank lines
 * skipped. A command's line number is that of its last line, as iproute2 counts.
 */
export function batchLines(text: string): BatchLine[] {
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  const out: BatchLine[] = [];
  // a line continues when it ends in a backslash that no comment cut away
  const continues = (l: string): boolean => !l.includes('#') && l.endsWith('\\');
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i].split('#')[0];
    while (continues(raw[i]) && i + 1 < raw.length) line = line.slice(0, -1) + raw[++i].split('#')[0];
    const words = splitWords(line);
    if (words.length > 0) out.push({ line: i + 1, words });
  }
  return out;
}
