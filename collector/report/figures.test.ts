// The monthly report's SQL figures on both engines: incidents of the month by severity from the alert table.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { incidentFigures, INCIDENTS_SQL } from './figures.ts';
import { parseMonth } from './month.ts';

const NOV = parseMonth('2026-11')!;
const MIN = 60_000;
let ids = 0;

/** An alert row as the alert engine leaves it (written directly: the alert store is converted separately). */
async function alert(state: StateSql, a: { severity: string; firedAt: number | null; ackedAfter?: number; resolvedAfter?: number; state?: string }) {
  const id = ++ids;
  const fired = a.firedAt;
  await sql`INSERT INTO alerts (id, fingerprint, rule, severity, agency, labels, state, active_since, fired_at, acked_at, resolved_at)
    VALUES (${id}, ${`fp-${id}`}, 'r', ${a.severity}, 'so-y-te', '{}', ${a.state ?? 'resolved'}, ${fired ?? NOV.start}, ${fired},
      ${fired !== null && a.ackedAfter !== undefined ? fired + a.ackedAfter : null}, ${fired !== null && a.resolvedAfter !== undefined ? fired + a.resolvedAfter : null})`.execute(state.db);
}

describeEachStateDriver('monthly report figures', (open) => {
  it('counts alerts fired in the month by severity, critical first, with mean minutes to acknowledge and to resolve', async () => {
    const state = await open();
    await alert(state, { severity: 'warning', firedAt: NOV.start + 5 * MIN, resolvedAfter: 30 * MIN });
    await alert(state, { severity: 'critical', firedAt: NOV.start, ackedAfter: 10 * MIN, resolvedAfter: 40 * MIN });
    await alert(state, { severity: 'critical', firedAt: NOV.start + 86_400_000, ackedAfter: 20 * MIN, resolvedAfter: 80 * MIN });
    await alert(state, { severity: 'info', firedAt: NOV.end - 1, state: 'firing' });
    expect(await incidentFigures(state, NOV)).toEqual([
      { severity: 'critical', count: 2, acknowledged: 2, resolved: 2, mttaMinutes: 15, mttrMinutes: 60 },
      { severity: 'warning', count: 1, acknowledged: 0, resolved: 1, mttaMinutes: null, mttrMinutes: 30 },
      { severity: 'info', count: 1, acknowledged: 0, resolved: 0, mttaMinutes: null, mttrMinutes: null },
    ]);
  });

  it('takes the window as [start, end): an alert fired at the end, before the start or never is not counted', async () => {
    const state = await open();
    await alert(state, { severity: 'critical', firedAt: NOV.start - 1 });
    await alert(state, { severity: 'critical', firedAt: NOV.end });
    await alert(state, { severity: 'warning', firedAt: null, state: 'pending' });
    expect(await incidentFigures(state, NOV)).toEqual([]);
    await alert(state, { severity: 'critical', firedAt: NOV.start, ackedAfter: 90_000 });
    // Minutes to one decimal, from a mean that is not a whole number of minutes.
    await alert(state, { severity: 'critical', firedAt: NOV.start, ackedAfter: 0 });
    expect(await incidentFigures(state, NOV)).toEqual([{ severity: 'critical', count: 2, acknowledged: 2, resolved: 0, mttaMinutes: 0.8, mttrMinutes: null }]);
  });

  it('shows its SQL with a placeholder for each bound of the window', () => {
    expect(INCIDENTS_SQL.split('?').length - 1).toBe(2);
  });
});
