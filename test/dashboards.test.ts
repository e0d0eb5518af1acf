import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registry } from '../agent/checks/registry.ts';
import { RAW_RP as COLLECTOR_RAW_RP, ROLLUP_RP as COLLECTOR_ROLLUP_RP, rollupQuery } from '../collector/influx/setup.ts';
import { RAW_RP, ROLLUP_RP } from '../dashboards/influxql.ts';
import { catalogue, parseDuration, type MeasurementName, type MeasurementSpec, type WireSample } from '../protocol/index.ts';
import { freePort, rows, startInfluxd, type Influxd, type InfluxSeries } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, ROOT, runCli, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { expand, loadDashboards, panelQueries, variableQueries, type DashboardQuery, type Expansion } from './support/grafana.ts';
import { startDnsServer, zone } from './support/dns-server.ts';
import { createLan, waitListening, type TestLan } from './support/netns-lan.ts';
import { startSmtpServer } from './support/tls-servers.ts';
import { missing } from './support/require.ts';

/**
 * The proof that every panel shows data, without Grafana: the real pipeline (influxd, collector,
 * the agent as a process, with loopback targets for every registered check and a namespace LAN
 * for discovery) fills InfluxDB, then every query of the committed dashboard JSON is expanded the
 * way Grafana expands it and run against influxd. A panel that reads a measurement, field or tag
 * that nobody writes returns nothing, or an empty column, and fails here.
 *
 * Network safety: the agent probes 127.0.0.1 (servers started below) and, for discovery, addresses
 * inside network namespaces created and deleted by this file.
 */

const DASHBOARD_DIR = join(ROOT, 'deploy', 'grafana', 'dashboards');
const DATASOURCE_FILE = join(ROOT, 'deploy', 'grafana', 'provisioning', 'datasources', 'influxdb.yaml');
const AGENCY = 'so-y-te';

/**
 * Optional fields that a real check legitimately leaves empty on a test machine. Every entry says
 * why; anything else that comes back empty fails.
 */
const EMPTY_HERE: Record<string, string> = {
  'lan_device.hostname': 'reverse DNS: the test LAN has no resolver',
  'lan_device.vendor': 'test LAN MACs are locally administered: no IEEE vendor',
  'videoconf.rebooted': 'needs two runs of the same agent process (once --json starts fresh)',
  'net_interface.alias': "the loopback snmpd reads this machine's own `lo`, which has no ifAlias",
  'web_integrity.home_similarity': "the site's first crawl is its baseline: nothing to compare the start page with yet",
};

const skip = missing({ root: true, commands: ['influxd', 'ping', 'snmpd', 'snmpget', 'openssl', 'ip', 'socat', 'nsd'] });

describe.skipIf(skip)('dashboards against real data', () => {
  let influx: Influxd;
  let tc: TestCollector;
  let dir: string;
  let lan: TestLan | undefined;
  let token: string;
  const closers: (() => void | Promise<void>)[] = [];
  let started = 0;
  /** Measurements that reached InfluxDB through synthetic samples, with the reason (printed). */
  const synthetic = new Map<string, string>();

  async function post(path: string, body: unknown, auth?: string): Promise<Response> {
    return fetch(tc.url + path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    });
  }

  async function send(samples: WireSample[], as = token): Promise<void> {
    const res = await post('/api/v1/samples', { samples }, as);
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
  }

  /** Run the real agent once and send what it printed, the way its sender would (with `as`, another agent's token). */
  async function agentOnce(config: object, where: { lan?: TestLan; as?: string } = {}): Promise<WireSample[]> {
    const file = writeYaml(join(dir, `agent-${Math.random().toString(36).slice(2, 8)}.yaml`), config);
    // Asynchronous in both cases: the loopback servers of this process must keep answering.
    const r = where.lan
      ? await runIn(where.lan.scannerNs, [process.execPath, AGENT_BIN, 'once', '--config', file, '--json'])
      : await runCli(AGENT_BIN, ['once', '--config', file, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const samples = JSON.parse(r.stdout) as WireSample[];
    await send(samples, where.as);
    return samples;
  }

  function listen(server: NetServer | HttpServer | HttpsServer): Promise<number> {
    closers.push(() => new Promise<void>((res) => server.close(() => res())));
    return new Promise((res) => server.listen(0, '127.0.0.1', () => res((server.address() as AddressInfo).port)));
  }

  beforeAll(async () => {
    started = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'canhgac-dash-'));
    influx = await startInfluxd();
    tc = await startTestCollector(influx.url, { start: { statusIntervalMs: 250 } });
    token = (await tc.enrolAgent(AGENCY, 'dash-test')).token;

    // Loopback servers for the probes.
    const tcp = createNetServer((s) => s.end());
    const tcpPort = await listen(tcp);
    const http = createHttpServer((_req, res) => res.end('ok'));
    const httpPort = await listen(http);
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('ok'));
    const httpsPort = await listen(https);
    // A two-page portal with gambling text on its inner page, so web_finding has a row.
    const web = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.url === '/' ? '<html><body><a href="/tin-tuc">Tin tức</a></body></html>' : '<html><body><p>Top nhà cái uy tín nhất</p></body></html>');
    });
    const webPort = await listen(web);
    const sip = await sipResponder();
    closers.push(() => sip.close());
    const snmp = await startSnmpd(dir);
    closers.push(() => snmp.stop());
    const network = await networkPeers(dir, { key, cert, snmpPort: snmp.port });
    closers.push(() => network.close());

    /** A loopback config for every check this test knows; a registered check missing here fails the run. */
    const loopback: Record<string, object> = {
      host: { type: 'host' },
      ping: { type: 'ping', targets: ['127.0.0.1'], count: 2, packetInterval: '200ms', timeout: '1s' },
      tcp: { type: 'tcp', timeout: '10s', targets: [`127.0.0.1:${tcpPort}`, `127.0.0.1:${await freePort()}`] },
      http: { type: 'http', timeout: '10s', targets: [`http://127.0.0.1:${httpPort}/`] },
      tls: { type: 'tls', targets: [`127.0.0.1:${httpsPort}`], ca: cert },
      cert_file: { type: 'cert_file', paths: [cert] },
      ...network.checks,
      web_integrity: { type: 'web_integrity', timeout: '10s', budget: '30s', stateFile: join(dir, 'web-integrity.json'), sites: [{ url: `http://127.0.0.1:${webPort}/`, sitemap: false }] },
      // A log written here (documentation addresses, no traffic): a brute force, a login after it and a new admin.
      auth_events: { type: 'auth_events', logFiles: [authLog(dir)], stateFile: join(dir, 'auth-events.json') },
      // security_updates asks the package manager and takes 30 s or more: not what this test is about.
      security: { type: 'security', timeout: '30s', interval: '60s', disable: ['linux.security_updates'] },
      videoconf: {
        type: 'videoconf',
        name: 'vc',
        count: 5,
        packetInterval: '20ms',
        // Generous: two cores shared with other test files (a loaded machine answered HTTPS in 1.3 s).
        timeout: '10s',
        endpoints: [
          {
            name: 'ubnd-tinh',
            address: '127.0.0.1',
            sip: [{ transport: 'udp', port: sip.port }],
            h323: { port: tcpPort },
            https: { url: `https://127.0.0.1:${httpsPort}/`, ca: cert },
            snmp: { community: 'public', port: snmp.port },
          },
        ],
      },
    };
    const inNamespace = new Set(['discovery']);
    const unknown = Object.keys(registry).filter((t) => !(t in loopback) && !inNamespace.has(t));
    if (unknown.length > 0) throw new Error(`registered checks without a loopback config in test/dashboards.test.ts: ${unknown.join(', ')}`);

    const checks = Object.keys(registry).filter((t) => t in loopback).map((t) => loopback[t]);
    // A second agency, in a district: its agent reports host health, so the district panels have a district.
    const districtToken = (await tc.enrolAgent('ubnd-cang-long', 'dash-canglong')).token;
    const runs: Promise<unknown>[] = [agentOnce({ checks }), agentOnce({ checks: [{ type: 'host' }] }, { as: districtToken })];
    if (registry.discovery) {
      lan = createLan({ hosts: 3 });
      // One risky service on a LAN host, so exposures have a row.
      lan.spawnIn(lan.hosts[0].ns, ['socat', 'TCP-LISTEN:23,fork,reuseaddr', 'SYSTEM:true']);
      await waitListening(lan.hosts[0].ns, 23, 'tcp', 15_000);
      runs.push(agentOnce({ checks: [{ type: 'discovery', subnets: [lan.subnetA], resolveNames: false, stateFile: join(dir, 'known.json'), timeout: '300ms' }] }, { lan }));
    }
    await Promise.all(runs);

    // Measurements no registered check writes yet: catalogue-valid samples through the ingest API.
    const fromChecks = new Set<string>(['agent_status', ...Object.values(registry).flatMap((d) => d.measurements)]);
    const missingChecks = (Object.keys(catalogue) as MeasurementName[]).filter((m) => !fromChecks.has(m) && (catalogue[m] as MeasurementSpec).origin !== 'collector');
    for (const m of missingChecks) synthetic.set(m, `no registered check writes it yet (source: ${catalogue[m].source})`);
    if (missingChecks.length > 0) await send(missingChecks.flatMap((m) => syntheticSamples(m)));

    // Alerts come from the collector's alert engine: the failing security checks and the telnet
    // exposure the agent just reported fire rules at once, and their annotations reach InfluxDB.
    await waitFor(async () => rows(await influx.query('SELECT count("firing") AS n FROM "alerts" WHERE "firing" = 1', tc.config.influx.database))[0]?.n, { what: 'alert annotations', timeoutMs: 15_000 });

    // collector_status comes from the collector's own timer (250 ms here).
    await waitFor(async () => (await influx.query('SELECT count(*) FROM "collector_status"', tc.config.influx.database)).length > 0, { what: 'collector_status', timeoutMs: 10_000 });
    // The N of "n of N agencies reporting" is the configured list, including agencies that never reported.
    const configured = rows(await influx.query('SELECT last("agencies_configured") AS n FROM "collector_status"', tc.config.influx.database));
    expect(configured[0]?.n).toBe(tc.config.agencies.length);
    console.info(`dashboards test: synthetic measurements: ${[...synthetic].map(([m, why]) => `${m} (${why})`).join('; ')}`);
  }, 180_000);

  afterAll(async () => {
    lan?.teardown();
    for (const c of closers.reverse()) await c();
    await tc?.close();
    await influx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const db = () => tc.config.influx.database;
  const minInterval = () => parseDuration((parse(readFileSync(DATASOURCE_FILE, 'utf8')) as { datasources: { jsonData: { timeInterval: string } }[] }).datasources[0].jsonData.timeInterval)!;

  /** Why a query's answer would leave its panel empty, or undefined when it shows data. */
  function emptiness(q: DashboardQuery, series: InfluxSeries[]): string | undefined {
    const measurement = /FROM "[^"]+"\."([^"]+)"/.exec(q.query)?.[1] ?? '';
    if (series.length === 0) return 'no series';
    const columns = series[0].columns.filter((c) => c !== 'time');
    const empty = columns.filter((c) => !series.some((s) => s.values.some((row) => row[s.columns.indexOf(c)] !== null)) && !EMPTY_HERE[`${measurement}.${c}`]);
    return empty.length > 0 ? `column(s) ${empty.join(', ')} have no value` : undefined;
  }

  async function runAll(queries: DashboardQuery[], e: Expansion): Promise<string[]> {
    const failures: string[] = [];
    for (const q of queries) {
      const text = expand(q, e);
      try {
        const why = emptiness(q, await influx.query(text, db()));
        if (why) failures.push(`${q.dashboard} / ${q.panel} [${q.refId}]: ${why}\n    ${text}`);
      } catch (err) {
        failures.push(`${q.dashboard} / ${q.panel} [${q.refId}]: ${(err as Error).message}\n    ${text}`);
      }
    }
    return failures;
  }

  const dashboards = loadDashboards(DASHBOARD_DIR);
  const all = dashboards.flatMap((d) => [...panelQueries(d.json), ...variableQueries(d.json)]);

  it('has seven dashboards with queries', () => {
    expect(dashboards.map((d) => d.file)).toHaveLength(7);
    expect(all.length).toBeGreaterThan(40);
  });

  it('every panel, annotation and variable query returns data from the raw retention policy', async () => {
    const failures = await runAll(all, { from: started - 60_000, to: Date.now() + 60_000, minIntervalMs: minInterval(), variables: { rp: RAW_RP, agency: AGENCY, device: 'router-loopback' } });
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('every panel that follows $rp returns data from the hourly roll-ups after the continuous queries run', async () => {
    expect([RAW_RP, ROLLUP_RP]).toEqual([COLLECTOR_RAW_RP, COLLECTOR_ROLLUP_RP]);
    const hour = 3_600_000;
    const from = Math.floor(started / hour) * hour - hour;
    const to = Date.now() + 60_000;
    // What the continuous queries do each hour, run now for the test window (the CQ's own SELECT).
    for (const m of Object.keys(catalogue) as MeasurementName[]) {
      const cq = rollupQuery(db(), m);
      if (cq) await influx.query(cq.replace(' GROUP BY ', ` WHERE time >= ${from}ms AND time < ${to + hour}ms GROUP BY `), db());
    }
    const rollup = all.filter((q) => q.query.includes('"$rp"'));
    expect(rollup.length).toBeGreaterThan(30);
    const failures = await runAll(rollup, { from, to, minIntervalMs: minInterval(), variables: { rp: ROLLUP_RP, agency: AGENCY, device: 'router-loopback' } });
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('flags a panel whose field nobody writes, and one whose tag value never occurs', async () => {
    const e: Expansion = { from: started - 60_000, to: Date.now() + 60_000, minIntervalMs: minInterval(), variables: { rp: RAW_RP, agency: 'no-such-agency' } };
    const ghostField = { dashboard: 't', panel: 'ghost field', refId: 'A', query: 'SELECT mean("cpu_ghost_percent") FROM "$rp"."host" WHERE $timeFilter GROUP BY time($__interval)' };
    const ghostAgency = { dashboard: 't', panel: 'ghost agency', refId: 'A', query: 'SELECT last("cpu_percent") FROM "$rp"."host" WHERE "agency" =~ /^$agency$/ AND $timeFilter' };
    const halfEmpty = { dashboard: 't', panel: 'half empty', refId: 'A', query: 'SELECT last("cpu_percent") AS "cpu_percent", last("cpu_ghost") AS "cpu_ghost" FROM "$rp"."host" WHERE $timeFilter' };
    const failures = await runAll([ghostField, ghostAgency, { ...halfEmpty }], e);
    expect(failures).toHaveLength(3);
    expect(failures[2]).toMatch(/cpu_ghost have no value/);
  });

  it('ran the agent for every registered check rather than inventing its data', () => {
    const fromChecks = Object.values(registry).flatMap((d) => d.measurements);
    expect(fromChecks.filter((m) => synthetic.has(m))).toEqual([]);
  });
});

/** An auth.log in rsyslog's format with 12 failed passwords from one address, then its login, and a new sudo member. */
function authLog(dir: string): string {
  const file = join(dir, 'auth.log');
  const d = new Date();
  const stamp = `${d.toLocaleString('en-US', { month: 'short' })} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
  const lines = Array.from({ length: 12 }, (_, i) => `${stamp} srv sshd[900]: Failed password for root from 198.51.100.23 port ${40000 + i} ssh2`);
  lines.push(`${stamp} srv sshd[901]: Accepted password for ketoan from 198.51.100.23 port 40100 ssh2`, `${stamp} srv usermod[902]: add 'ketoan' to group 'sudo'`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Two catalogue-valid samples per measurement: one healthy (0/1 fields = 1), one failing (= 0). */
function syntheticSamples(m: MeasurementName): WireSample[] {
  const spec = catalogue[m];
  return (['a', 'b'] as const).map((variant) => ({
    measurement: m,
    tags: Object.fromEntries(Object.keys(spec.tags).map((t) => [t, `${t}-${variant}`])),
    fields: Object.fromEntries(
      Object.entries(spec.fields as Record<string, { type: string; unit: string }>).map(([name, f]) => [
        name,
        f.type === 'string' ? `${name} ${variant}` : f.unit === 'bool' ? (variant === 'a' ? 1 : 0) : f.type === 'integer' ? 3 : 12.5,
      ]),
    ),
    time: new Date().toISOString(),
  }));
}

/** A command inside a namespace, to completion (bounded), without blocking this process. */
function runIn(ns: string, cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The peers and configs of the network checks (issue 18): NSD on a loopback port serving a zone of
 * documentation addresses (real dns samples: ok, mismatch, nxdomain); its MX points at 127.0.0.1, an SMTP
 * server with STARTTLS and the localhost certificate (not valid for mail.example.vn), so mail_domain reports
 * real problems without leaving loopback; the loopback snmpd reads this machine's own interface table (`lo`
 * only, marked WAN so the WAN panels have a row).
 */
async function networkPeers(dir: string, o: { key: string; cert: string; snmpPort: number }): Promise<{ checks: Record<string, object>; close(): Promise<void> }> {
  const dns = await startDnsServer({
    'example.vn': zone('example.vn', 2026120101, ['portal IN A 192.0.2.10', '@ IN MX 10 mail.example.vn.', 'mail IN A 127.0.0.1', '@ IN TXT "v=spf1 mx -all"', '_dmarc IN TXT "v=DMARC1; p=none"']),
  });
  const smtpMx = await startSmtpServer({ key: readFileSync(o.key, 'utf8'), cert: readFileSync(o.cert, 'utf8') });
  const communityFile = join(dir, 'snmp-community');
  writeFileSync(communityFile, 'public\n', { mode: 0o600 });
  const queries = [
    { name: 'portal.example.vn', expect: ['192.0.2.10'] },
    { name: 'example.vn', type: 'MX', expect: ['20 mail.example.vn'] },
    { name: 'gone.example.vn' },
    { name: 'example.vn', type: 'SOA' },
  ];
  return {
    checks: {
      dns: { type: 'dns', server: dns.server, queries },
      mail_domain: { type: 'mail_domain', timeout: '10s', server: dns.server, ca: o.cert, domains: [{ domain: 'example.vn', smtpPort: smtpMx.port, httpsPort: await freePort() }] },
      snmp_interfaces: {
        type: 'snmp_interfaces',
        timeout: '5s',
        onceWindow: '1s',
        include: ['lo'],
        excludeTypes: [],
        devices: [{ host: '127.0.0.1', port: o.snmpPort, name: 'router-loopback', communityFile, wan: ['lo'] }],
      },
    },
    close: async () => {
      await smtpMx.close();
      await dns.stop();
    },
  };
}

/** A SIP UA on loopback UDP that answers OPTIONS with 200 (copying the dialog headers, RFC 3261). */
async function sipResponder(): Promise<{ port: number; close(): void }> {
  const s: UdpSocket = createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    const req = msg.toString();
    const pick = (name: string) => req.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)) ?? '';
    const out = ['SIP/2.0 200 OK', pick('Via'), pick('From'), `${pick('To')};tag=t1`, pick('Call-ID'), pick('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
    s.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  return { port: s.address().port, close: () => s.close() };
}

/** Debian's snmpd on a free loopback UDP port, answering the `public` community. */
async function startSnmpd(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const conf = join(dir, 'snmpd.conf');
  writeFileSync(conf, `agentAddress udp:127.0.0.1:${port}\nrocommunity public default\n`);
  const child: ChildProcess = spawn('snmpd', ['-f', '-Lo', '-C', '-c', conf, '-M', '/nonexistent', '-m', '', '-p', join(dir, 'snmpd.pid')], {
    stdio: 'ignore',
    env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'snmp-persist') },
  });
  for (let i = 0; i < 50; i++) {
    if (spawnSync('snmpget', ['-v2c', '-c', 'public', '-t', '0.2', '-r', '0', `127.0.0.1:${port}`, '1.3.6.1.2.1.1.3.0']).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
