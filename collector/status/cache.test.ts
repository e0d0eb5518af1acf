// The status cache against an InfluxDB that accepts connections and never answers: a refresh still
// ends within its bound, and the page still shows the current state learnt from the ingest stream.
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { influxClient } from '../influx/setup.ts';
import { openDb } from '../state/db.ts';
import { sqliteStateSql } from '../state/sql/connect.ts';
import { StatusCache } from './cache.ts';

describe('status cache', () => {
  it('a hung InfluxDB costs one bounded wait; the current state still comes through', async () => {
    const held: Socket[] = [];
    const silent = createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const db = openDb(':memory:');
    const influx = influxClient({ url: `http://127.0.0.1:${port}`, database: 'x', rawRetentionMs: 86_400_000, rollupRetentionMs: 86_400_000 } as never);
    const cache = new StatusCache(
      sqliteStateSql(db),
      { enabled: true, staleAfter: '10m', staleAfterMs: 600_000, historyTimeoutMs: 300, services: [{ id: 'cong', name: { vi: 'Cổng' }, probes: [{ measurement: 'http', tags: { url: 'http://127.0.0.1:1/' } }] }] },
      influx,
      'x',
      { warn: () => undefined },
    );
    try {
      cache.probes.observe({ id: 'a1', agency: 'so-y-te' }, [{ measurement: 'http', tags: { url: 'http://127.0.0.1:1/', result: 'ok' }, fields: { up: 1 }, time: new Date().toISOString() }], Date.now());
      const t0 = Date.now();
      await cache.refresh();
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(cache.rendered.model.services[0].state).toBe('up');
      expect(held.length).toBeGreaterThan(0);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
      db.close();
    }
  });
});
