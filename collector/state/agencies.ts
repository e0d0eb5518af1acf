// The agencies table, a mirror of the agencies in collector.yaml (the source of truth) so that other
// state can refer to them.
import type { Agency } from '../config.ts';
import type { DB } from './db.ts';

export interface AgencyRow {
  id: string;
  name: string;
  nameEn?: string;
  level: string;
  district?: string;
  contacts: string[];
  locale: string;
  active: boolean;
}

/** The config file is the source of agencies; the table mirrors it so state can refer to them. */
export function syncAgencies(db: DB, agencies: Agency[]): void {
  const upsert = db.prepare(
    `INSERT INTO agencies (id, name, name_en, level, district, contacts, locale, active)
     VALUES (@id, @name, @nameEn, @level, @district, @contacts, @locale, 1)
     ON CONFLICT(id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, level = excluded.level,
       district = excluded.district, contacts = excluded.contacts, locale = excluded.locale, active = 1`,
  );
  db.transaction(() => {
    db.prepare('UPDATE agencies SET active = 0').run();
    for (const a of agencies) {
      upsert.run({ id: a.id, name: a.name, nameEn: a.nameEn ?? null, level: a.level, district: a.district ?? null, contacts: JSON.stringify(a.contacts ?? []), locale: a.locale ?? 'vi' });
    }
  })();
}

export function getAgency(db: DB, id: string): AgencyRow | undefined {
  const r = db.prepare('SELECT * FROM agencies WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  return r ? toRow(r) : undefined;
}

export function listAgencies(db: DB, opts: { includeInactive?: boolean } = {}): AgencyRow[] {
  const rows = db.prepare(`SELECT * FROM agencies ${opts.includeInactive ? '' : 'WHERE active = 1'} ORDER BY level, name`).all() as Record<string, unknown>[];
  return rows.map(toRow);
}

function toRow(r: Record<string, unknown>): AgencyRow {
  return {
    id: r.id as string,
    name: r.name as string,
    nameEn: (r.name_en as string | null) ?? undefined,
    level: r.level as string,
    district: (r.district as string | null) ?? undefined,
    contacts: JSON.parse(r.contacts as string) as string[],
    locale: r.locale as string,
    active: r.active === 1,
  };
}
