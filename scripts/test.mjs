#!/usr/bin/env node
// `npm test`: install what is missing, type-check, run every vitest test, print one plain closing line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureAptPackages, ensureNodeModules } from './ensure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
ensureNodeModules();
ensureAptPackages({ required: process.env.CI === 'true' });

const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', '.'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('type check failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

mkdirSync(join(root, 'test-artifacts'), { recursive: true });
const report = join(root, 'test-artifacts', 'vitest-report.json');
const args = ['vitest', 'run', '--reporter=default', `--reporter=json`, `--outputFile.json=${report}`, ...process.argv.slice(2)];
const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit' });
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed = j.numPassedTests ?? 0;
  failed = j.numFailedTests ?? 0;
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  // A file that fails to load, or whose beforeAll fails, has no failed test of its own (its tests read
  // as skipped): count the file once as failed and its tests not as skipped.
  for (const file of j.testResults ?? []) {
    const results = file.assertionResults ?? [];
    if (file.status !== 'failed' || results.some((a) => a.status === 'failed')) continue;
    failed += 1;
    skipped -= results.filter((a) => a.status === 'skipped' || a.status === 'pending').length;
  }
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
