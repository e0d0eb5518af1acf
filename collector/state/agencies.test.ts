// The agencies mirror on both engines: the config is the source, the table follows it.
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import type { Agency } from '../config.ts';
import { getAgency, listAgencies, syncAgencies } from './agencies.ts';

const agency = (id: string, name: string, extra: Record<string, unknown> = {}) => ({ id, name, level: 'department', contacts: [], locale: 'vi', ...extra }) as unknown as Agency;

describeEachStateDriver('agencies', (open) => {
  it('mirrors the config: new and changed agencies written, ones gone from it kept but inactive', async () => {
    const state = await open();
    await syncAgencies(state, [agency('so-y-te', 'Sở Y tế', { contacts: ['a@example.vn'] }), agency('so-tu-phap', 'Sở Tư pháp')]);
    expect((await getAgency(state, 'so-y-te'))?.contacts).toEqual(['a@example.vn']);
    await syncAgencies(state, [agency('so-y-te', 'Sở Y tế tỉnh', { district: 'Càng Long', nameEn: 'Health' })]);
    expect(await getAgency(state, 'so-y-te')).toEqual({ id: 'so-y-te', name: 'Sở Y tế tỉnh', nameEn: 'Health', level: 'department', district: 'Càng Long', contacts: [], locale: 'vi', active: true });
    expect((await getAgency(state, 'so-tu-phap'))?.active).toBe(false);
    expect((await listAgencies(state)).map((a) => a.id)).toEqual(['so-y-te']);
    expect((await listAgencies(state, { includeInactive: true })).map((a) => a.id).sort()).toEqual(['so-tu-phap', 'so-y-te']);
    expect(await getAgency(state, 'khong-co')).toBeUndefined();
  });

  it('lists by level, then name in code point order (as SQLite compares text), on either engine', async () => {
    const state = await open();
    await syncAgencies(state, [agency('b', 'Ủy ban'), agency('a', 'Sở Y tế'), agency('c', 'sở nhỏ'), agency('d', 'UBND', { level: 'district' })]);
    expect((await listAgencies(state)).map((a) => a.name)).toEqual(['Sở Y tế', 'sở nhỏ', 'Ủy ban', 'UBND']);
  });
});
