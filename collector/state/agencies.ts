// The agencies table, a mirror of the agencies in collector.yaml (the source of truth) so that other
// state can refer to them.
import { sql } from 'kysely';
import type { Agency } from '../config.ts';
import type { StateSql } from './sql/connect.ts';
import { textOrder } from './sql/query.ts';

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
export async function syncAgencies(state: StateSql, agencies: Agency[]): Promise<void> {
  await state.db.transaction().execute(async (trx) => {
    await sql`UPDATE agencies SET active = 0`.execute(trx);
    for (const a of agencies) {
      await sql`INSERT INTO agencies (id, name, name_en, level, district, contacts, locale, active)
        VALUES (${a.id}, ${a.name}, ${a.nameEn ?? null}, ${a.level}, ${a.district ?? null}, ${JSON.stringify(a.contacts ?? [])}, ${a.locale ?? 'vi'}, 1)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, level = excluded.level,
          district = excluded.district, contacts = excluded.contacts, locale = excluded.locale, active = 1`.execute(trx);
    }
  });
}

export async function getAgency(state: StateSql, id: string): Promise<AgencyRow | undefined> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM agencies WHERE id = ${id}`.execute(state.db);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

export async function listAgencies(state: StateSql, opts: { includeInactive?: boolean } = {}): Promise<AgencyRow[]> {
  const where = opts.includeInactive ? sql`` : sql`WHERE active = 1`;
  const r = await sql<Record<string, unknown>>`SELECT * FROM agencies ${where} ORDER BY ${textOrder(state.driver, 'level')}, ${textOrder(state.driver, 'name')}`.execute(state.db);
  return r.rows.map(toRow);
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
