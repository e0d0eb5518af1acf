// Syslog file lines (rsyslog's traditional `Dec  1 15:57:16 host prog[pid]: msg` and RFC 3339
// `2026-12-01T15:57:16.123+07:00 host prog[pid]: msg`) split into time, program and message, with the
// year a traditional line does not carry taken from the file's modification time.

export interface SyslogLine {
  time: number;
  program: string;
  msg: string;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const digits = (s: string, from: number, n: number): number => {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
};

/**
 * Local midnight of a month and day of the year that makes the date no later than `reference` plus a
 * day: a line written on 31 December and read on 1 January belongs to the year before. Cached per day.
 */
export class YearResolver {
  private readonly cache = new Map<number, number>();

  constructor(private readonly reference: number) {}

  dayStart(month: number, day: number): number {
    const key = month * 32 + day;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const ref = new Date(this.reference);
    let t = new Date(ref.getFullYear(), month, day).getTime();
    if (t > this.reference + 86_400_000) t = new Date(ref.getFullYear() - 1, month, day).getTime();
    this.cache.set(key, t);
    return t;
  }
}

/** `prog[pid]: msg` or `prog: msg` after the host name; undefined for anything else. */
function splitTag(line: string, from: number): { program: string; msg: string } | undefined {
  const sp = line.indexOf(' ', from);
  if (sp < 0) return undefined;
  const colon = line.indexOf(': ', sp + 1);
  if (colon < 0 || colon - sp > 80) return undefined;
  let program = line.slice(sp + 1, colon);
  const br = program.indexOf('[');
  if (br >= 0) program = program.slice(0, br);
  const slash = program.lastIndexOf('/');
  if (slash >= 0) program = program.slice(slash + 1);
  return { program, msg: line.slice(colon + 2) };
}

/** One line of a syslog file; undefined when it is not one (garbage is skipped, never an error). */
export function parseSyslogLine(line: string, years: YearResolver): SyslogLine | undefined {
  if (line.length < 20) return undefined;
  const c0 = line.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) return parseRfc3339Line(line);
  const month = MONTHS[line.slice(0, 3)];
  if (month === undefined || line.charCodeAt(3) !== 32) return undefined;
  const day = line.charCodeAt(4) === 32 ? digits(line, 5, 1) : digits(line, 4, 2);
  const h = digits(line, 7, 2);
  const m = digits(line, 10, 2);
  const s = digits(line, 13, 2);
  if (!(day >= 1 && day <= 31 && h < 24 && m < 60 && s < 61) || line.charCodeAt(15) !== 32) return undefined;
  const tag = splitTag(line, 16);
  if (!tag) return undefined;
  return { time: years.dayStart(month, day) + h * 3_600_000 + m * 60_000 + s * 1000, program: tag.program, msg: tag.msg };
}

function parseRfc3339Line(line: string): SyslogLine | undefined {
  const sp = line.indexOf(' ');
  if (sp < 19 || sp > 40) return undefined;
  const time = Date.parse(line.slice(0, sp));
  if (!Number.isFinite(time)) return undefined;
  const tag = splitTag(line, sp + 1);
  if (!tag) return undefined;
  return { time, program: tag.program, msg: tag.msg };
}
