import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../agent/checks/registry.ts';
import { catalogue, type MeasurementName } from '../protocol/index.ts';
import { VERSION } from '../protocol/version.ts';

const ROOT = join(import.meta.dirname, '..');
const CHECKS = join(ROOT, 'agent', 'checks');
/** agent/checks/common/: probe code the checks share, not a check itself. */
const SHARED = 'common';

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

describe('layout', () => {
  const folders = readdirSync(CHECKS).filter((n) => statSync(join(CHECKS, n)).isDirectory() && n !== SHARED);

  it('every agent/checks folder is in the registry and has its four files', () => {
    for (const name of folders) {
      expect(registry, `agent/checks/${name} is not in agent/checks/registry.ts`).toHaveProperty(name);
      for (const f of ['index.ts', 'index.test.ts', 'README.md', 'sample.yaml']) {
        expect(existsSync(join(CHECKS, name, f)), `agent/checks/${name}/${f} is missing`).toBe(true);
      }
    }
    expect(Object.keys(registry).sort()).toEqual(folders.sort());
  });

  it('no check imports another check: shared probe code lives in agent/checks/common/', () => {
    const violations: string[] = [];
    for (const name of readdirSync(CHECKS).filter((n) => statSync(join(CHECKS, n)).isDirectory())) {
      for (const file of sourceFiles(join(CHECKS, name))) {
        for (const spec of importsOf(file)) {
          if (!spec.startsWith('.')) continue;
          const target = relative(CHECKS, join(file, '..', spec)).split('/');
          // Outside agent/checks/, or a top-level agent/checks/*.ts (types, registry): not another check.
          if (target[0] === '..' || target.length === 1) continue;
          if (target[0] !== name && target[0] !== SHARED) violations.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('agent/, collector/ and dashboards/ import nothing from each other; lib/ only protocol/; protocol/ nothing of ours', () => {
    // protocol/ is the contract; lib/ holds implementations both sides use (the disk queue).
    const allowedFor: Record<string, string[]> = {
      agent: ['protocol', 'lib'],
      collector: ['protocol', 'lib'],
      dashboards: ['protocol'],
      lib: ['protocol'],
      protocol: [],
    };
    const violations: string[] = [];
    for (const [top, allowed] of Object.entries(allowedFor)) {
      for (const file of sourceFiles(join(ROOT, top))) {
        const isTest = file.endsWith('.test.ts');
        for (const spec of importsOf(file)) {
          if (!spec.startsWith('.')) continue;
          const target = relative(ROOT, join(file, '..', spec)).split('/')[0];
          if (target === top) continue;
          // Tests may use the shared test support (servers, processes), never another component.
          if (isTest && (target === 'test' || target === 'scripts')) continue;
          if (!allowed.includes(target)) violations.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it("each check's README lists exactly the catalogue's tags and fields of its measurements", () => {
    for (const [type, def] of Object.entries(registry)) {
      const readme = readFileSync(join(CHECKS, type, 'README.md'), 'utf8');
      for (const section of ['## Configuration', '## Metrics', '## Example output']) {
        expect(readme, `agent/checks/${type}/README.md lacks "${section}"`).toContain(section);
      }
      const metrics = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('## Example output'));
      for (const m of def.measurements as MeasurementName[]) {
        const start = metrics.indexOf(`### ${m}\n`);
        expect(start, `agent/checks/${type}/README.md has no "### ${m}" under Metrics`).toBeGreaterThanOrEqual(0);
        const rest = metrics.slice(start + 4 + m.length);
        const body = rest.split(/\n### /)[0];
        const rowsInReadme = [...body.matchAll(/^\|\s*`?([a-z0-9_]+)`?\s*\|\s*([a-z]+)\s*\|\s*([a-z_]+)\s*\|/gm)]
          .filter((r) => r[1] !== 'name' || r[2] !== 'type')
          .map((r) => `${r[1]} ${r[2]} ${r[3]}`)
          .sort();
        const spec = catalogue[m];
        const expected = [
          ...Object.entries(spec.tags as Record<string, string>).map(([k, p]) => `${k} tag ${p}`),
          ...Object.entries(spec.fields as Record<string, { type: string; unit: string }>).map(([k, f]) => `${k} ${f.type} ${f.unit}`),
        ].sort();
        expect(rowsInReadme, `agent/checks/${type}/README.md, measurement ${m}`).toEqual(expected);
      }
    }
  });

  it('the catalogue follows the naming rules', () => {
    const suffix: Record<string, RegExp> = { ms: /_ms$/, seconds: /_seconds$/, bytes: /_bytes$/, percent: /_percent$/, days: /_days(_left)?$|^days_left$/, bps: /_bps$/, per_second: /_per_s$/ };
    for (const [m, spec] of Object.entries(catalogue)) {
      expect(m).toMatch(/^[a-z][a-z0-9_]*$/);
      for (const t of Object.keys(spec.tags)) expect(t, `${m} tag ${t}`).toMatch(/^[a-z][a-z0-9_]*$/);
      for (const [f, fs] of Object.entries(spec.fields as Record<string, { type: string; unit: string }>)) {
        expect(f, `${m}.${f}`).toMatch(/^[a-z][a-z0-9_]*$/);
        if (suffix[fs.unit]) expect(f, `${m}.${f} is in ${fs.unit} and must say so in its name`).toMatch(suffix[fs.unit]);
        if (fs.unit === 'bool') expect(fs.type, `${m}.${f} is a 0/1 flag`).toBe('integer');
        if (fs.type === 'string') expect(fs.unit, `${m}.${f}`).toBe('text');
      }
      for (const t of Object.keys(spec.tags)) expect(Object.keys(spec.fields), `${m}: ${t} is both tag and field`).not.toContain(t);
    }
  });

  it('the product version is the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
