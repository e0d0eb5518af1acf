import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildDashboards, DEFAULT_OUT_DIR, serialize } from './build.ts';
import { DATASOURCE } from './datasource.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, DEFAULT_OUT_DIR);
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'table', 'bargauge', 'state-timeline']);

const panelsOf = (d: Dashboard): (Panel | RowPanel)[] => d.panels ?? [];

describe('dashboards as code', () => {
  const vi = buildDashboards('vi');
  const en = buildDashboards('en');

  it('the committed JSON is exactly a fresh build (run `npm run dashboards` after changing dashboards/ or the catalogue)', () => {
    const committed = readdirSync(OUT).filter((f) => f.endsWith('.json')).sort();
    expect(committed).toEqual(vi.map((b) => b.file).sort());
    for (const b of vi) expect(readFileSync(join(OUT, b.file), 'utf8'), b.file).toBe(serialize(b.dashboard));
  });

  it('builds the six dashboards of the issue and the network board (issue 18) with stable uids', () => {
    expect(vi.map((b) => b.dashboard.uid)).toEqual([
      'canhgac-overview',
      'canhgac-agency',
      'canhgac-videoconf',
      'canhgac-certificates',
      'canhgac-compliance',
      'canhgac-pipeline',
      'canhgac-network',
    ]);
    expect(en.map((b) => b.dashboard.uid)).toEqual(vi.map((b) => b.dashboard.uid));
  });

  it('is Vietnamese by default and English with --locale en, with the same queries', () => {
    const titles = (d: Dashboard) => [d.title, ...panelsOf(d).map((p) => p.title ?? '')];
    const viText = vi.flatMap((b) => titles(b.dashboard)).join(' ');
    const enText = en.flatMap((b) => titles(b.dashboard)).join(' ');
    expect(viText).toMatch(/[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểệỉịọỏốồổộớờởợụủứừửựỳỷỹ]/);
    expect(enText).not.toMatch(/[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểệỉịọỏốồổộớờởợụủứừửựỳỷỹ]/);
    // Nothing Vietnamese left anywhere in the English build (descriptions, aliases, variable labels).
    for (const b of en) expect(serialize(b.dashboard), b.file).not.toMatch(/[ăâđêôơưạảấầẩậắằẳặẹẻẽếềểệỉịọỏốồổộớờởợụủứừửựỳỷỹ]/i);
    const queries = (d: Dashboard) => JSON.stringify(panelsOf(d).map((p) => ('targets' in p ? (p.targets as unknown as { query: string }[]).map((t) => t.query) : [])));
    vi.forEach((b, i) => expect(queries(en[i].dashboard)).toBe(queries(b.dashboard)));
  });

  it('every panel is a known type inside the 24-column grid with a unique id, and reads the provisioned data source', () => {
    const provisioned = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    expect(provisioned.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: DATASOURCE.type });
    for (const { file, dashboard } of vi) {
      const ids = new Set<number>();
      for (const p of panelsOf(dashboard)) {
        const where = `${file}: ${p.title}`;
        expect(PANEL_TYPES.has(p.type), where).toBe(true);
        expect(p.gridPos!.x + p.gridPos!.w, where).toBeLessThanOrEqual(24);
        const overlap = panelsOf(dashboard).find((o) => o !== p && o.gridPos!.x < p.gridPos!.x + p.gridPos!.w && p.gridPos!.x < o.gridPos!.x + o.gridPos!.w && o.gridPos!.y < p.gridPos!.y + p.gridPos!.h && p.gridPos!.y < o.gridPos!.y + o.gridPos!.h);
        expect(overlap?.title, `${where}: overlaps`).toBeUndefined();
        expect(ids.has(p.id!), `${where}: duplicate id`).toBe(false);
        ids.add(p.id!);
        if (p.type === 'row') continue;
        const panel = p as Panel;
        expect(panel.description, where).toBeTruthy();
        expect(panel.datasource, where).toEqual(DATASOURCE);
        expect(panel.targets?.length, where).toBeGreaterThan(0);
        const refIds = panel.targets!.map((t) => (t as unknown as { refId: string }).refId);
        expect(new Set(refIds).size, `${where}: refIds`).toBe(refIds.length);
        for (const t of panel.targets as unknown as { datasource: unknown; rawQuery: boolean; query: string }[]) {
          expect(t.datasource, where).toEqual(DATASOURCE);
          expect(t.rawQuery, where).toBe(true);
          expect(t.query, where).toMatch(/^SELECT /);
        }
      }
      expect(dashboard.annotations.list?.[0]?.target, `${file}: alert annotations`).toBeDefined();
      expect(dashboard.templating.list?.map((v) => v.name), file).toContain('rp');
    }
  });
});
