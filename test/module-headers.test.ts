// Every source module opens with a comment saying what it is for, before its imports (issue 14): a
// reader learns a file's one job from its first lines, not by reading its code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tsFiles } from './support/source-graph.ts';

const DIRS = ['agent', 'collector', 'protocol', 'lib', 'dashboards', 'scripts', 'deploy', 'test/support'];

/** True when the text, after an optional `#!` line and blank lines, starts with a `//` or `/*` comment. */
export function opensWithComment(text: string): boolean {
  const lines = text.split('\n');
  if (lines[0]?.startsWith('#!')) lines.shift();
  const first = lines.find((l) => l.trim() !== '');
  return first !== undefined && /^\s*(\/\/|\/\*)/.test(first);
}

describe('module headers', () => {
  it(`every non-test .ts file under ${DIRS.join(', ')} opens with a comment`, () => {
    const files = DIRS.flatMap(tsFiles).filter((f) => !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(100);
    const missing = files.filter((f) => !opensWithComment(readFileSync(join(ROOT, f), 'utf8')));
    expect(missing, `these modules do not open with a comment saying what they are for:\n${missing.join('\n')}\n`).toEqual([]);
  });

  it('the check accepts a shebang and blank lines before the comment, and nothing else', () => {
    expect(opensWithComment('#!/usr/bin/env node\n// what it is for\nimport x from "x";\n')).toBe(true);
    expect(opensWithComment('\n\n/**\n * what it is for\n */\nexport const a = 1;\n')).toBe(true);
    expect(opensWithComment('import x from "x";\n// a comment after the imports\n')).toBe(false);
    expect(opensWithComment('#!/usr/bin/env node\nimport x from "x";\n')).toBe(false);
    expect(opensWithComment('')).toBe(false);
  });
});
