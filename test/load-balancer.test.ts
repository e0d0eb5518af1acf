// The collector behind a real HAProxy (listen.trustedProxies): each client's own address drives the
// per-address limits and the audit log, and a forged X-Forwarded-For from anyone else is ignored; the
// shipped deploy/ha/haproxy.cfg ends TLS with the collector's certificate and re-encrypts to it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/lib/influxd.ts';
import { ROOT } from './support/agent.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { startHaproxy, type Haproxy } from './support/haproxy.ts';
import { missing } from './support/require.ts';

const skip = missing({ commands: ['influxd', 'haproxy'] });

/** POST from a chosen loopback address (the client's own), optionally with a forged X-Forwarded-For. */
function enrol(base: string, from: string, forged?: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ code: 'AAAA-BBBB-CCCC', hostname: 'pc', version: 'test' });
    const u = new URL('/api/v1/enroll', base);
    const send = u.protocol === 'https:' ? httpsRequest : request;
    const req = send(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', localAddress: from, timeout: 10_000, ca, headers: { 'content-type': 'application/json', ...(forged ? { 'x-forwarded-for': forged } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(skip)('the collector behind HAProxy', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let lb: Haproxy;
  beforeAll(async () => {
    influx = await startInfluxd();
    // Two enrolment attempts per address, then one a minute: tight, so that sharing an address shows.
    tc = await startTestCollector(influx.url, { extra: { listen: { host: '127.0.0.1', port: 0, plainHttp: true, trustedProxies: ['127.0.0.1'] }, ingest: { enrollRateLimit: { perMinute: 1, burst: 2 } } } });
    lb = await startHaproxy([tc.url]);
  }, 60_000);
  afterAll(async () => {
    await lb?.stop();
    await tc?.close();
    await influx?.stop();
  });

  it('limits each client by its own address, not the balancer’s', async () => {
    // 127.0.0.5 uses up its two attempts (bad codes: 403) and is then refused (429) ...
    expect([await enrol(lb.url, '127.0.0.5'), await enrol(lb.url, '127.0.0.5'), await enrol(lb.url, '127.0.0.5')]).toEqual([403, 403, 429]);
    // ... while another client through the same balancer still has its own.
    expect(await enrol(lb.url, '127.0.0.7')).toBe(403);
    const audit = tc.collector.db!.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE address = '127.0.0.1'").get() as { n: number };
    expect(audit.n).toBe(0);
  }, 30_000);

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    // Straight to the collector from 127.0.0.9, pretending to be a fresh client each time.
    const codes = [];
    for (const forged of ['127.0.0.21', '127.0.0.22', '127.0.0.23']) codes.push(await enrol(tc.url, '127.0.0.9', forged));
    expect(codes).toEqual([403, 403, 429]);
  }, 30_000);
});

/** deploy/ha/haproxy.cfg as shipped, with this machine's addresses and the test collector's certificate. */
function deployedConfig(dir: string, port: number, collector: string, tls: { cert: string; key: string; certFile: string }): string {
  const pem = join(dir, 'collector.pem');
  writeFileSync(pem, `${tls.cert.trim()}\n${tls.key.trim()}\n`, { mode: 0o600 });
  const text = readFileSync(join(ROOT, 'deploy', 'ha', 'haproxy.cfg'), 'utf8')
    .replace('bind :8443 ssl crt /etc/haproxy/canhgac-collector.pem', `bind 127.0.0.1:${port} ssl crt ${pem}`)
    .replace('ca-file /etc/haproxy/canhgac-ca.pem', `ca-file ${tls.certFile}`)
    .replace('server collector-1 10.0.0.11:8443', `server collector-1 ${new URL(collector).host}`)
    .replace('log /dev/log local0', 'log stderr local0');
  // Nothing of the LAN example may remain outside a comment: this test sends to loopback only.
  if (text.split('\n').some((line) => !line.trim().startsWith('#') && /\b10\.0\.0\.\d/.test(line))) {
    throw new Error('deploy/ha/haproxy.cfg changed: a LAN address was left in the test copy');
  }
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, text);
  return file;
}

describe.skipIf(skip)('deploy/ha/haproxy.cfg in front of an HTTPS collector', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let proxy: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-ha-deploy-'));
  beforeAll(async () => {
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { https: true, extra: { listen: { host: '127.0.0.1', port: 0, trustedProxies: ['127.0.0.1'] }, ingest: { enrollRateLimit: { perMinute: 1, burst: 2 } } } });
  }, 60_000);
  afterAll(async () => {
    proxy?.kill('SIGKILL');
    await tc?.close();
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes haproxy -c, ends TLS with the pinned certificate, re-encrypts to the collector and limits per client', async () => {
    const port = await freePort();
    const file = deployedConfig(dir, port, tc.url, tc.collector.tls!);
    const check = spawn('haproxy', ['-c', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    check.stdout!.on('data', (d: Buffer) => (out += d));
    check.stderr!.on('data', (d: Buffer) => (out += d));
    expect(await new Promise((r) => check.once('exit', r)), out).toBe(0);
    proxy = spawn('haproxy', ['-f', file, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proxy.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-3000)));
    const edge = `https://127.0.0.1:${port}`;
    const ca = readFileSync(tc.collector.tls!.certFile, 'utf8');
    // Health checks run every 2 s with rise 2: the collector is in service within a few seconds.
    let first: number | string = 0;
    for (let i = 0; i < 100 && first !== 403; i++) {
      first = await enrol(edge, '127.0.0.5', undefined, ca).catch((e: Error) => e.message);
      if (first !== 403) await new Promise((r) => setTimeout(r, 200));
    }
    expect(first, log).toBe(403);
    expect([await enrol(edge, '127.0.0.5', undefined, ca), await enrol(edge, '127.0.0.5', undefined, ca)]).toEqual([403, 429]);
    expect(await enrol(edge, '127.0.0.7', 'forged-by-client', ca)).toBe(403);
  }, 60_000);
});
