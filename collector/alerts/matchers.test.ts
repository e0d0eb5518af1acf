import { describe, expect, it } from 'vitest';
import { compileMatchers, describeProblems, matchesAll, parseMatchers } from './matchers.ts';
import { MAX_SILENCE_MS, SilenceCache, silenceProblem } from './silences.ts';
import type { SilenceRow } from './store.ts';

describe('alert matchers', () => {
  it('the pathological (a+)+ against 30 a and a ! runs in linear time (well under 10 ms)', () => {
    const matchers = compileMatchers({ target: '~(a+)+' });
    const target = `${'a'.repeat(30)}!`;
    const started = performance.now();
    const matched = matchesAll(matchers, { target });
    const ms = performance.now() - started;
    expect(matched).toBe(false);
    expect(ms).toBeLessThan(10);
    expect(matchesAll(matchers, { target: 'a'.repeat(30) })).toBe(true);
  });

  it('~regex matches the whole value, as before; ! and exact values unchanged', () => {
    const m = compileMatchers({ name: '~Kho lưu trữ.*', port: '~[0-9]+', agency: 'so-y-te', result: '!ok' });
    expect(matchesAll(m, { name: 'Kho lưu trữ A', port: '445', agency: 'so-y-te', result: 'refused' })).toBe(true);
    expect(matchesAll(m, { name: 'Một Kho lưu trữ', port: '445', agency: 'so-y-te', result: 'refused' })).toBe(false);
    expect(matchesAll(m, { name: 'Kho lưu trữ A', port: '445x', agency: 'so-y-te', result: 'refused' })).toBe(false);
    expect(matchesAll(m, { name: 'Kho lưu trữ A', port: '445', agency: 'so-y-te', result: 'ok' })).toBe(false);
    // The whole value: a|b matches a or b, not "anything starting with a"; a pattern cannot close the group around it.
    expect(matchesAll(compileMatchers({ target: '~a|b' }), { target: 'abc' })).toBe(false);
    expect(matchesAll(compileMatchers({ target: '~a|b' }), { target: 'b' })).toBe(true);
    expect(parseMatchers({ target: '~a)|(b' }).ok).toBe(false);
  });

  it('refuses what does not compile with a clear reason, label by label', () => {
    const bad = parseMatchers({ target: '~(', name: '~(?=x)', port: '~\\1', ok: 'x' });
    expect(bad.ok).toBe(false);
    const problems = bad.ok ? [] : bad.problems;
    expect(problems.map((p) => p.label)).toEqual(['target', 'name', 'port']);
    expect(problems[0].message).toBe('invalid regular expression "~(": missing closing ): `(` (RE2 syntax: no look-around or back-references)');
    expect(describeProblems(problems)).toMatch(/^matchers\.target: invalid regular expression "~\(".*; matchers\.name: .*; matchers\.port: /);
    expect(() => compileMatchers({ target: '~(' })).toThrow(/matchers\.target: invalid regular expression/);
  });

  it('refuses bad labels, non-text patterns, an empty set where one is required, too many or too long', () => {
    const problems = (map: unknown, requireOne = true) => {
      const p = parseMatchers(map, { requireOne });
      return p.ok ? [] : p.problems.map((x) => `${x.label ?? ''}: ${x.message}`);
    };
    expect(problems({ 'Target Name': 'x' })).toEqual(['Target Name: a label is a snake_case tag name such as target or agency']);
    expect(problems({ target: 5 })).toEqual(['target: expected a text: a value, !value or ~regex']);
    expect(problems({})).toEqual([': at least one matcher, such as agency: so-y-te']);
    expect(problems({}, false)).toEqual([]);
    expect(problems(null)).toEqual([': expected a mapping of label: pattern']);
    expect(problems(['agency'])).toEqual([': expected a mapping of label: pattern']);
    expect(problems(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`l${i}`, 'x'])))[0]).toBe(': at most 20 matchers (got 21)');
    expect(problems({ target: `~${'a'.repeat(600)}` })).toEqual(['target: a pattern has at most 500 characters (got 601)']);
  });

  it("a matcher on an inherited name sees no label, not Object's", () => {
    expect(matchesAll(compileMatchers({ constructor: '!x' }), { target: 'a' })).toBe(true);
    expect(matchesAll(compileMatchers({ constructor: '~.+' }), { target: 'a' })).toBe(false);
  });
});

describe('silences', () => {
  const now = Date.parse('2026-11-27T03:00:00Z');
  it('silenceProblem: matchers through parseMatchers, an end in the future and at most 90 days away', () => {
    expect(silenceProblem({ matchers: { agency: 'so-y-te' }, startsAt: now, endsAt: now + 3_600_000 }, now)).toBeUndefined();
    expect(silenceProblem({ matchers: { target: '~(' }, startsAt: now, endsAt: now + 3_600_000 }, now)).toMatchObject({ field: 'matchers', message: expect.stringMatching(/^matchers\.target: invalid regular expression/) });
    expect(silenceProblem({ matchers: {}, startsAt: now, endsAt: now + 3_600_000 }, now)?.field).toBe('matchers');
    expect(silenceProblem({ matchers: { agency: 'so-y-te' }, startsAt: now, endsAt: now + MAX_SILENCE_MS }, now)).toBeUndefined();
    expect(silenceProblem({ matchers: { agency: 'so-y-te' }, startsAt: now, endsAt: now + MAX_SILENCE_MS + 1 }, now)).toEqual({ field: 'endsAt', message: 'a silence ends at most 90 days from now' });
    expect(silenceProblem({ matchers: { agency: 'so-y-te' }, startsAt: now + 80 * 86_400_000, endsAt: now + 100 * 86_400_000 }, now)?.field).toBe('endsAt');
    expect(silenceProblem({ matchers: { agency: 'so-y-te' }, startsAt: now, endsAt: now }, now)?.message).toBe('endsAt must be after startsAt');
  });

  it('SilenceCache: compiles each silence once, skips a bad stored row with one log line naming it', () => {
    const warnings: object[] = [];
    const cache = new SilenceCache({ warn: (o) => warnings.push(o) });
    const row = (id: number, matchers: Record<string, string>): SilenceRow => ({ id, matchers, startsAt: now - 1000, endsAt: now + 3_600_000, reason: 'r', author: 'a', createdAt: now - 1000, removedAt: null, removedBy: null });
    const rows = [row(1, { target: '~(' }), row(2, { agency: 'so-y-te' }), row(3, {})];
    for (let i = 0; i < 5; i++) expect(cache.active(rows, now).map((s) => s.row.id)).toEqual([2]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ silence: 1, problem: expect.stringMatching(/^matchers\.target: invalid regular expression/) });
    expect(warnings[1]).toMatchObject({ silence: 3 });
    const first = cache.active(rows, now)[0].matchers;
    expect(cache.active(rows, now)[0].matchers).toBe(first); // compiled once, not per tick
  });
});
