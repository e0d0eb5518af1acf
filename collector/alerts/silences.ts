// What makes a silence acceptable, for every path that creates one (operator API, console, CLI), and
// the compiled form the notifier matches alerts against.
import { describeProblems, parseMatchers, type Matcher, type MatcherProblem } from './matchers.ts';
import type { SilenceRow } from './store.ts';

/** A silence ends at most this long after it is made (a forgotten silence must not hide alerts for ever). */
export const MAX_SILENCE_MS = 90 * 86_400_000;
export const MAX_SILENCE_DAYS = MAX_SILENCE_MS / 86_400_000;

export type SilenceProblem = { field: 'matchers'; problems: MatcherProblem[]; message: string } | { field: 'endsAt' | 'startsAt'; message: string };

/** Why a silence may not be stored, or undefined when it may. */
export function silenceProblem(s: { matchers: unknown; startsAt: number; endsAt: number }, now: number): SilenceProblem | undefined {
  const parsed = parseMatchers(s.matchers, { requireOne: true });
  if (!parsed.ok) return { field: 'matchers', problems: parsed.problems, message: describeProblems(parsed.problems) };
  if (!Number.isFinite(s.startsAt)) return { field: 'startsAt', message: 'startsAt: expected a time' };
  if (!Number.isFinite(s.endsAt)) return { field: 'endsAt', message: 'endsAt: expected a time' };
  if (s.endsAt <= s.startsAt) return { field: 'endsAt', message: 'endsAt must be after startsAt' };
  if (s.endsAt <= now) return { field: 'endsAt', message: 'endsAt must be in the future' };
  if (s.endsAt > now + MAX_SILENCE_MS) return { field: 'endsAt', message: `a silence ends at most ${MAX_SILENCE_DAYS} days from now` };
  return undefined;
}

export interface CompiledSilence {
  row: SilenceRow;
  matchers: Matcher[];
}

/**
 * Compiles each silence once (by id and matcher text) and skips one whose matchers do not compile, a row
 * written before they were checked, with one log line naming it: a bad silence silences nothing and
 * never stops the mail of others.
 */
export class SilenceCache {
  private readonly compiled = new Map<number, { key: string; matchers?: Matcher[] }>();

  constructor(private readonly log?: { warn(o: object, m: string): void }) {}

  active(rows: SilenceRow[], now: number): CompiledSilence[] {
    const out: CompiledSilence[] = [];
    const seen = new Set<number>();
    for (const row of rows) {
      if (row.removedAt !== null || row.startsAt > now || row.endsAt <= now) continue;
      seen.add(row.id);
      const key = JSON.stringify(row.matchers);
      let entry = this.compiled.get(row.id);
      if (!entry || entry.key !== key) {
        const parsed = parseMatchers(row.matchers, { requireOne: true });
        entry = { key, matchers: parsed.ok ? parsed.matchers : undefined };
        this.compiled.set(row.id, entry);
        if (!parsed.ok) this.log?.warn({ silence: row.id, matchers: key.slice(0, 500), problem: describeProblems(parsed.problems) }, 'silence skipped: its matchers are invalid (it silences nothing; remove it)');
      }
      if (entry.matchers) out.push({ row, matchers: entry.matchers });
    }
    for (const id of this.compiled.keys()) if (!seen.has(id)) this.compiled.delete(id);
    return out;
  }
}
