// Starting and failing to start a collector: what it said during start-up reaches its log, and a start
// that fails half way leaves nothing open behind it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadCollectorConfig } from '../collector/config.ts';
import { startCollector } from '../collector/service.ts';
import { Spool } from '../collector/spool/spool.ts';
import { TEST_AGENCIES } from './support/collector.ts';

const dir = mkdtempSync(join(tmpdir(), 'canhgac-start-'));
let busy: Server;
let busyPort: number;
// InfluxDB on a loopback port nobody listens on: the collector must start anyway and spool.
let deadPort: number;

function configAt(name: string, port: number) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ listen: { host: '127.0.0.1', port, plainHttp: true }, dataDir: join(dir, name), influx: { url: `http://127.0.0.1:${deadPort}` }, agencies: TEST_AGENCIES }));
  return loadCollectorConfig(file);
}

function captured() {
  const lines: Array<{ msg?: string; level?: number }> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, stream };
}

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  await new Promise((r) => busy.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('collector start-up', () => {
  it("the spool's start-up message (samples left from the last run) reaches the collector's log", async () => {
    const config = configAt('spooled', 0);
    const spool = new Spool({ dir: join(config.dataDir, 'spool'), maxBytes: 1 << 20, targets: [{ node: config.influx.url, write: () => Promise.reject(new Error('InfluxDB down')) }], minRetryMs: 60_000, maxRetryMs: 60_000 });
    await spool.append('host,agency=so-y-te cpu_percent=1 1700000000000000000\n', 1);
    await spool.close();

    const log = captured();
    const collector = await startCollector(config, { logger: { level: 'info', stream: log.stream }, spoolRetryMs: { min: 60_000, max: 60_000 } });
    try {
      expect(log.lines.map((l) => l.msg)).toContain('spool: samples left from the last run will be replayed');
    } finally {
      await collector.close();
    }
  });

  it('a start that fails half way (port taken) closes the state database and the spool, and a later start works', async () => {
    const config = configAt('taken', busyPort);
    await expect(startCollector(config)).rejects.toThrow(/EADDRINUSE/);
    // SQLite removes its -wal file when the last connection closes: proof the database was closed.
    expect(existsSync(join(config.dataDir, 'state.db'))).toBe(true);
    expect(existsSync(join(config.dataDir, 'state.db-wal'))).toBe(false);

    const again = await startCollector(configAt('taken', 0));
    await again.close();
  });
});

describe('state file permissions', () => {
  it('the data directory is 0700 and state.db, -wal and -shm are 0600, even under umask 000 and over a 0755 directory', async () => {
    const { chmodSync, mkdirSync, statSync } = await import('node:fs');
    const config = configAt('perms', 0);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o755 });
    chmodSync(config.dataDir, 0o755);
    const old = process.umask(0o000);
    try {
      const collector = await startCollector(config);
      try {
        // A write makes sure the WAL exists.
        collector.db!.prepare("INSERT INTO events (agency, kind, payload, created_at) VALUES ('so-y-te', 'test', '{}', 1)").run();
        expect(statSync(config.dataDir).mode & 0o777).toBe(0o700);
        for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) expect((statSync(join(config.dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
      } finally {
        await collector.close();
      }
    } finally {
      process.umask(old);
    }
  });
});
