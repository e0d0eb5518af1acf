// The collector's house rules, read from the code itself: no import circle inside collector/ (type-only
// imports count) and no function longer than a person can read at once.
import { describe, expect, it } from 'vitest';
import { functionSpans, importCircles, tsFiles } from './support/source-graph.ts';

const MAX_FUNCTION_LINES = 120;
// Data tables, not logic: generated or literal lists whose length is their content.
const DATA_FILES = new Set(['protocol/catalogue.ts', 'protocol/security-checks.ts', 'collector/console/i18n.ts']);
// A test suite's describe/it callback is a list of cases, not a function to read at once.
const SUITE_CALLBACK = /^callback of (describe|it|test)\b/;

describe('structure', () => {
  it('collector/ has no import circle (type-only imports count)', () => {
    expect(importCircles(tsFiles('collector'))).toEqual([]);
  });

  it('the whole source has no import circle', () => {
    const files = ['protocol', 'lib', 'agent', 'collector', 'dashboards', 'scripts', 'deploy', 'test'].flatMap(tsFiles);
    expect(importCircles(files)).toEqual([]);
  });

  it(`no function is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const files = ['protocol', 'lib', 'agent', 'collector', 'dashboards', 'scripts', 'deploy', 'test'].flatMap(tsFiles).filter((f) => !DATA_FILES.has(f));
    const long = files
      .flatMap(functionSpans)
      .filter((s) => s.lines > MAX_FUNCTION_LINES && !SUITE_CALLBACK.test(s.name))
      .map((s) => `${s.file}:${s.line} ${s.name} (${s.lines} lines)`);
    expect(long).toEqual([]);
  });

  it('the circle finder finds a circle when there is one (type-only import)', async () => {
    const { mkdtempSync, writeFileSync, rmSync, mkdirSync } = await import('node:fs');
    const { join, relative } = await import('node:path');
    const { ROOT } = await import('./support/source-graph.ts');
    const dir = mkdtempSync(join(ROOT, 'test-artifacts-circle-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts';\nexport type A = B;\n");
      writeFileSync(join(dir, 'b.ts'), "import { a } from './c.ts';\nexport type B = number;\nexport const b = a;\n");
      writeFileSync(join(dir, 'c.ts'), "import type { A } from './a.ts';\nexport const a: A = 1;\n");
      const rel = relative(ROOT, dir);
      expect(importCircles(tsFiles(rel))).toEqual([[`${rel}/a.ts`, `${rel}/b.ts`, `${rel}/c.ts`]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
