// Runs the Windows facts script and reads its JSON as PowerShell really writes it (dates, booleans,
// localised text).
import { commandProblem, type HostEnv } from '../env.ts';
import { powershellArgs } from './script.ts';

/** The JSON the facts script prints; every section may be absent (see `errors`). */
export interface WindowsFacts {
  culture?: string;
  errors: Record<string, string>;
  [section: string]: unknown;
}

/**
 * A date as PowerShell serialises it: ISO 8601 (our script), `/Date(ms)/` or `/Date(ms+0700)/`
 * (Windows PowerShell 5.1), `{ value: …, DateTime: "<localised text>" }` (5.1 with type data; the
 * localised text is ignored), epoch milliseconds, or a culture-formatted text as a last resort
 * (day first unless the culture is en-US; Vietnamese SA/CH for AM/PM).
 */
export function parseWindowsDate(v: unknown, culture = ''): Date | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? new Date(v) : undefined;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return parseWindowsDate(o.value ?? o.Value ?? o.DateTime, culture);
  }
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(s);
  if (ms) return new Date(Number(ms[1]));
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  const c = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM|SA|CH|SÁNG|CHIỀU)?)?$/i.exec(s);
  if (c) {
    const [a, b, year] = [Number(c[1]), Number(c[2]), Number(c[3])];
    const monthFirst = culture.toLowerCase() === 'en-us' ? b <= 31 && a <= 12 : a <= 12 && b > 12;
    const [month, day] = monthFirst ? [a, b] : [b, a];
    let hour = Number(c[4] ?? 0);
    const ampm = (c[7] ?? '').toUpperCase();
    if ((ampm === 'PM' || ampm === 'CH' || ampm === 'CHIỀU') && hour < 12) hour += 12;
    if ((ampm === 'AM' || ampm === 'SA' || ampm === 'SÁNG') && hour === 12) hour = 0;
    const d = new Date(Date.UTC(year, month - 1, day, hour, Number(c[5] ?? 0), Number(c[6] ?? 0)));
    return d.getUTCMonth() === month - 1 ? d : undefined;
  }
  return undefined;
}

/** PowerShell booleans arrive as true/false, "True"/"False", or enum numbers (GpoBoolean: 1 true, 0 false, 2 not configured). */
export function psBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v === 'string') {
    if (/^(true|1)$/i.test(v.trim())) return true;
    if (/^(false|0)$/i.test(v.trim())) return false;
  }
  return undefined;
}

/** ConvertTo-Json prints a one-element array as a bare object; this undoes it. */
export function asList(v: unknown): Record<string, unknown>[] {
  if (v === null || v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object');
}

export function parseFacts(stdout: string): WindowsFacts {
  // Windows PowerShell may prefix a UTF-8 byte order mark.
  const text = stdout.replace(/^\uFEFF/, '').trim();
  const start = text.indexOf('{');
  const parsed = JSON.parse(start > 0 ? text.slice(start) : text) as WindowsFacts;
  if (!parsed || typeof parsed !== 'object') throw new Error('the facts script printed no JSON object');
  parsed.errors ??= {};
  return parsed;
}

const cache = new WeakMap<HostEnv, Promise<WindowsFacts>>();

/** Runs the facts script once per cycle (every Windows check reads the same answer). */
export function windowsFacts(env: HostEnv): Promise<WindowsFacts> {
  let p = cache.get(env);
  if (!p) {
    p = (async () => {
      const r = await env.run('powershell.exe', powershellArgs(), { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(commandProblem('powershell.exe', r));
      try {
        return parseFacts(r.stdout);
      } catch (err) {
        throw new Error(`powershell.exe printed no readable JSON: ${(err as Error).message}`);
      }
    })();
    cache.set(env, p);
  }
  return p;
}
