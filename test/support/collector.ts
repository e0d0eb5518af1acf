// A real collector inside the test process on a free loopback port, with test agencies and
// enrolment helpers, for tests that need the whole collector rather than one module.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadCollectorConfig, type CollectorConfig } from '../../collector/config.ts';
import { startCollector, type Collector, type StartOptions } from '../../collector/service.ts';
import { createEnrollCode } from '../../collector/state/enroll-codes.ts';

export const TEST_AGENCIES = [
  { id: 'so-y-te', name: 'Sở Y tế', level: 'department', contacts: ['it@soyte.example.vn'] },
  { id: 'so-tu-phap', name: 'Sở Tư pháp', level: 'department', contacts: ['it@sotuphap.example.vn'] },
  { id: 'ubnd-cang-long', name: 'UBND huyện Càng Long', level: 'district', district: 'Càng Long', contacts: ['vp@canglong.example.vn'] },
];

export interface TestCollector {
  collector: Collector;
  config: CollectorConfig;
  configFile: string;
  dir: string;
  url: string;
  /** The collector certificate, for agents' `collector.ca` (HTTPS only). */
  caFile?: string;
  enrollCode(agency: string, ttlMs?: number): Promise<string>;
  /** Enrols an agent of `agency` through the real enrolment API (plain HTTP collectors), as `canhgac-agent enroll` does. */
  enrolAgent(agency: string, hostname?: string): Promise<{ agentId: string; token: string }>;
  close(): Promise<void>;
}

/** A real collector (in this process) on a free loopback port, with its config written to a file. */
export async function startTestCollector(influxUrl: string, opts: { https?: boolean; database?: string; extra?: Record<string, unknown>; start?: StartOptions } = {}): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-collector-'));
  const configFile = join(dir, 'collector.yaml');
  const doc = {
    listen: { host: '127.0.0.1', port: 0, plainHttp: !opts.https },
    dataDir: join(dir, 'data'),
    influx: { url: influxUrl, database: opts.database ?? `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` },
    agencies: TEST_AGENCIES,
    // Tests enrol many agents from 127.0.0.1; the per-address default (10, then 1 a minute) is tested
    // on its own, with `extra.ingest` replacing this.
    ingest: { enrollRateLimit: { perMinute: 600, burst: 1000 } },
    login: { perAddressPerMinute: 600, perAddressBurst: 1000, allPerSecond: 100, allBurst: 1000 },
    ...opts.extra,
  };
  writeFileSync(configFile, stringify(doc));
  const config = loadCollectorConfig(configFile);
  const collector = await startCollector(config, { schemaRetryMs: 200, ...opts.start });
  await collector.schemaReady;
  // The config file names port 0; tools started later need the real one.
  const port = Number(new URL(collector.url).port);
  writeFileSync(configFile, stringify({ ...doc, listen: { ...doc.listen, port } }));
  return {
    collector,
    config,
    configFile,
    dir,
    url: collector.url,
    caFile: collector.tls?.certFile,
    enrollCode: async (agency, ttlMs = 3_600_000) => (await createEnrollCode(collector.state, agency, ttlMs)).code,
    enrolAgent: async (agency, hostname = `pc-${agency}`) => {
      const res = await fetch(`${collector.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: (await createEnrollCode(collector.state, agency, 3_600_000)).code, hostname, version: 'test' }),
      });
      if (res.status !== 200) throw new Error(`enrolment for ${agency} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as { agentId: string; token: string };
    },
    close: async () => {
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
