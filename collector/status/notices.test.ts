// Status page notices on both engines: what is kept and cut to its bounds, updates (at most 50, only on
// a notice that exists), ending, and which notices the public page and the console list.
import { expect, it } from 'vitest';
import { describeEachStateDriver } from '../../test/support/state-drivers.ts';
import { addNotice, addNoticeUpdate, currentNotices, endNotice, getNotice, listNotices, NOTICE_LIMITS, type Notice } from './notices.ts';

const T0 = Date.parse('2026-11-20T08:00:00Z');
const H = 3_600_000;
const DAY = 24 * H;

const notice = (extra: Partial<Notice> = {}): Omit<Notice, 'id' | 'createdAt' | 'updates'> => ({
  kind: 'maintenance',
  title: 'Bảo trì cổng dịch vụ công',
  body: 'Tạm ngừng từ 22 giờ.',
  services: ['cong'],
  startsAt: T0,
  endsAt: T0 + 2 * H,
  createdBy: 'quantri',
  ...extra,
});

describeEachStateDriver('status notices', (open) => {
  it('keeps a notice cut to its bounds, with its updates oldest first; an unknown id has none', async () => {
    const state = await open();
    const n = await addNotice(state, notice({ title: 'x'.repeat(300), body: 'y'.repeat(5000), services: Array.from({ length: 60 }, (_, i) => `s${i}`), endsAt: undefined }), T0);
    expect(n).toMatchObject({ kind: 'maintenance', startsAt: T0, createdBy: 'quantri', createdAt: T0, updates: [] });
    expect(n.endsAt).toBeUndefined();
    expect([n.title.length, n.body.length, n.services.length]).toEqual([NOTICE_LIMITS.title, NOTICE_LIMITS.body, NOTICE_LIMITS.services]);
    expect(await addNoticeUpdate(state, n.id, 'Đã khắc phục một phần', 'an', T0 + 2 * H)).toBe(true);
    expect(await addNoticeUpdate(state, n.id, 'z'.repeat(3000), 'binh', T0 + H)).toBe(true);
    const got = await getNotice(state, n.id);
    expect(got?.updates.map((u) => [u.at, u.author, u.text.length])).toEqual([
      [T0 + H, 'binh', NOTICE_LIMITS.update],
      [T0 + 2 * H, 'an', 'Đã khắc phục một phần'.length],
    ]);
    expect(await getNotice(state, n.id + 1000)).toBeUndefined();
    expect(await addNoticeUpdate(state, n.id + 1000, 'không có', 'an')).toBe(false);
  });

  it(`takes at most ${NOTICE_LIMITS.updates} updates per notice; another notice has its own`, async () => {
    const state = await open();
    const a = await addNotice(state, notice(), T0);
    const b = await addNotice(state, notice(), T0);
    for (let i = 0; i < NOTICE_LIMITS.updates; i++) expect(await addNoticeUpdate(state, a.id, `cập nhật ${i}`, 'an', T0 + i)).toBe(true);
    expect(await addNoticeUpdate(state, a.id, 'một nữa', 'an', T0 + 100)).toBe(false);
    expect(await addNoticeUpdate(state, b.id, 'của b', 'an', T0 + 100)).toBe(true);
    expect((await getNotice(state, a.id))?.updates).toHaveLength(NOTICE_LIMITS.updates);
    expect((await getNotice(state, b.id))?.updates.map((u) => u.text)).toEqual(['của b']);
  });

  it('ends a notice once (not one that already ended); the page shows running, future and recently ended ones, newest first', async () => {
    const state = await open();
    const running = await addNotice(state, notice({ kind: 'incident', title: 'Sự cố', endsAt: undefined, startsAt: T0 - H }), T0 - H);
    const future = await addNotice(state, notice({ title: 'Sắp tới', startsAt: T0 + DAY, endsAt: T0 + DAY + H }), T0);
    const old = await addNotice(state, notice({ title: 'Cũ', startsAt: T0 - 10 * DAY, endsAt: T0 - 9 * DAY }), T0 - 11 * DAY);
    const recent = await addNotice(state, notice({ title: 'Vừa xong', startsAt: T0 - 2 * DAY, endsAt: T0 - DAY }), T0 - 3 * DAY);
    await addNoticeUpdate(state, running.id, 'Đang xử lý', 'an', T0);
    expect((await currentNotices(state, T0)).map((n) => [n.title, n.updates.length])).toEqual([
      ['Sắp tới', 0],
      ['Sự cố', 1],
      ['Vừa xong', 0],
    ]);
    expect((await currentNotices(state, T0, 7 * DAY, 2)).map((n) => n.id)).toEqual([future.id, running.id]);
    expect(await endNotice(state, running.id, T0 + H)).toBe(true);
    expect(await endNotice(state, running.id, T0 + 2 * H)).toBe(false);
    expect(await endNotice(state, old.id, T0)).toBe(false);
    expect(await endNotice(state, 9999, T0)).toBe(false);
    expect((await getNotice(state, running.id))?.endsAt).toBe(T0 + H);
    // A planned end still ahead can be brought forward.
    expect(await endNotice(state, future.id, T0 + 2 * H)).toBe(true);
    expect((await listNotices(state)).map((n) => n.id)).toEqual([future.id, running.id, recent.id, old.id]);
    expect(await listNotices(state, 1)).toHaveLength(1);
  });
});
