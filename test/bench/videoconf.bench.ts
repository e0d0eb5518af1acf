// The province's 14 video-conference endpoints, all components, on loopback (127.0.0.1-14): the
// wall time of one videoconf cycle and of a meeting-check (collector + a real agent process), beside
// `fping -C 50 -p 20` on the same targets for the ICMP part, whose loss and round trips must agree.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { generate } from 'selfsigned';
import type { VideoconfCheckResponse, WireSample } from '../../protocol/index.ts';
import { parseAgentConfig } from '../../agent/config.ts';
import { createLogger } from '../../agent/log.ts';
import { SampleRecorder } from '../../agent/recorder.ts';
import { videoconfCheck } from '../../agent/checks/videoconf/index.ts';
import { createAdminToken } from '../../collector/state/admin-tokens.ts';
import { freePort, startInfluxd } from '../../scripts/lib/influxd.ts';
import { startTestCollector } from '../support/collector.ts';
import { AGENT_BIN, COLLECTOR_BIN, runCli, startProcess, waitFor } from '../support/agent.ts';
import { median, table } from './lib.ts';

const N = 14;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ADDRESSES = Array.from({ length: N }, (_, i) => `127.0.0.${i + 1}`);
const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-vc-'));
const cleanup: (() => void)[] = [];
const quiet = createLogger({ write: () => {} });

// ---- the 14 endpoints' components, each bound to its own loopback address --------------------------
const sipPort = await freePort();
const h323Port = await freePort();
const webPort = await freePort();
const snmpPort = await freePort();
const pems = await generate([{ name: 'commonName', value: 'vc.invalid' }], {
  keySize: 2048,
  extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: ADDRESSES.map((ip) => ({ type: 7, ip })) }],
} as never);
const caFile = join(dir, 'units.pem');
writeFileSync(caFile, pems.cert);
for (const address of ADDRESSES) {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const lines = msg.toString().split('\r\n');
    const pick = (n: string) => lines.find((l) => l.toLowerCase().startsWith(`${n}:`)) ?? '';
    udp.send(['SIP/2.0 200 OK', pick('via'), pick('from'), `${pick('to')};tag=b`, pick('call-id'), pick('cseq'), 'Content-Length: 0', '', ''].join('\r\n'), rinfo.port, rinfo.address);
  });
  udp.bind(sipPort, address);
  await once(udp, 'listening');
  const h323 = net.createServer((s) => s.destroy()).listen(h323Port, address);
  await once(h323, 'listening');
  const web = https.createServer({ key: pems.private, cert: pems.cert }, (_q, r) => r.end('<title>VC</title>')).listen(webPort, address);
  await once(web, 'listening');
  cleanup.push(() => udp.close(), () => h323.close(), () => web.close());
}
const children: ChildProcess[] = [];
const haveSnmpd = spawnSync('sh', ['-c', 'command -v snmpd']).status === 0;
if (haveSnmpd) {
  writeFileSync(join(dir, 'unit.conf'), `agentAddress ${ADDRESSES.map((a) => `udp:${a}:${snmpPort}`).join(',')}\nrocommunity public 127.0.0.0/8\n`);
  const snmpd = spawn('snmpd', ['-f', '-Lo', '-C', '-c', join(dir, 'unit.conf'), '-M', '/nonexistent', '-m', '', '-p', join(dir, 'snmpd.pid')], { stdio: 'ignore', env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') } });
  children.push(snmpd);
  await waitFor(async () => spawnSync('snmpget', ['-v2c', '-c', 'public', '-t', '0.3', '-r', '0', `127.0.0.14:${snmpPort}`, '1.3.6.1.2.1.1.3.0']).status === 0, { what: 'snmpd' });
}

const endpoints = ADDRESSES.map((address, i) => ({
  name: `vc-${String(i + 1).padStart(2, '0')}`,
  address,
  sip: [{ transport: 'udp', port: sipPort }],
  h323: { port: h323Port },
  https: { url: `https://${address}:${webPort}/`, ca: caFile },
  ...(haveSnmpd ? { snmp: { port: snmpPort } } : {}),
}));
const icmpOnly = endpoints.map(({ name, address }) => ({ name, address }));

async function cycle(eps: object[]): Promise<{ ms: number; samples: WireSample[] }> {
  const cfg = parseAgentConfig('bench.yaml', { checks: [{ type: 'videoconf', count: 50, packetInterval: '20ms', timeout: '5s', endpoints: eps }] });
  const recorder = new SampleRecorder();
  const t = performance.now();
  await videoconfCheck.run(cfg.checks[0].config as never, { recorder, signal: new AbortController().signal, log: quiet });
  return { ms: performance.now() - t, samples: recorder.samples };
}

/** fping -C 50 -p 20: per target, 50 round trips or "-" for a lost one (on stderr). */
function fping(): { ms: number; stats: Map<string, { loss: number; avg: number }> } {
  const t = performance.now();
  // -i 1: fping's default 10 ms between any two packets would stretch 14 × 50 packets over 7 s.
  const r = spawnSync('fping', ['-C', '50', '-p', '20', '-i', '1', '-q', ...ADDRESSES], { encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t;
  const stats = new Map<string, { loss: number; avg: number }>();
  for (const line of r.stderr.split('\n')) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const vals = m[2].trim().split(/\s+/);
    const got = vals.filter((v) => v !== '-').map(Number);
    stats.set(m[1], { loss: ((vals.length - got.length) / vals.length) * 100, avg: got.reduce((a, b) => a + b, 0) / Math.max(1, got.length) });
  }
  return { ms, stats };
}

try {
  // Warm-up (module loading, first spawn), then alternate the two tools run by run.
  await cycle(icmpOnly);
  const icmpMs: number[] = [];
  const fullMs: number[] = [];
  const fpingMs: number[] = [];
  let lossDiff = 0;
  let rttDiff = 0;
  let readyAll = true;
  for (let i = 0; i < RUNS; i++) {
    const ours = await cycle(icmpOnly);
    const theirs = fping();
    icmpMs.push(ours.ms);
    fpingMs.push(theirs.ms);
    for (const s of ours.samples.filter((x) => x.measurement === 'videoconf')) {
      const f = theirs.stats.get(s.tags.address);
      if (!f) throw new Error(`fping has no line for ${s.tags.address}`);
      lossDiff = Math.max(lossDiff, Math.abs((s.fields.loss_percent as number) - f.loss));
      rttDiff = Math.max(rttDiff, Math.abs((s.fields.rtt_ms as number) - f.avg));
    }
    const full = await cycle(endpoints);
    fullMs.push(full.ms);
    readyAll &&= full.samples.filter((x) => x.measurement === 'videoconf').every((x) => x.fields.ready === 1);
  }

  // ---- meeting-check: collector over HTTPS + a real agent process with the full check ----
  const influx = await startInfluxd();
  cleanup.push(() => void influx.stop());
  const tc = await startTestCollector(influx.url, { https: true });
  const tokenFile = join(dir, 'agent.token');
  const agentFile = join(dir, 'agent.yaml');
  writeFileSync(
    agentFile,
    JSON.stringify({
      collector: { url: tc.url, tokenFile, ca: tc.caFile },
      agent: { maxSplay: '600s', sendInterval: '1s' },
      checks: [{ type: 'videoconf', interval: '600s', timeout: '5s', count: 50, packetInterval: '20ms', endpoints }],
    }),
  );
  const e = await runCli(AGENT_BIN, ['enroll', '--config', agentFile, '--code', await tc.enrollCode('so-y-te')]);
  if (e.code !== 0) throw new Error(e.stderr);
  const agent = startProcess(AGENT_BIN, ['run', '--config', agentFile]);
  children.push(agent.child);
  await waitFor(async () => tc.collector.db!.prepare("SELECT 1 FROM agent_polls WHERE checks LIKE '%videoconf%'").get() !== undefined, { timeoutMs: 30_000, what: 'agent poll' });
  const token = await createAdminToken(tc.collector.state, 'bench', 'operator');
  const apiMs: number[] = [];
  const cliMs: number[] = [];
  let apiEndpoints = 0;
  let apiReady = N;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const body = await new Promise<VideoconfCheckResponse>((resolve, reject) => {
      const req = https.request(`${tc.url}/api/v1/videoconf/check`, { method: 'POST', ca: tc.collector.tls!.cert, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(JSON.parse(text) as VideoconfCheckResponse));
      });
      req.on('error', reject);
      req.end('{}');
    });
    apiMs.push(performance.now() - t);
    apiEndpoints = body.endpoints.filter((x) => x.fresh).length;
    apiReady = Math.min(apiReady, body.endpoints.filter((x) => x.fresh && x.ready === 1).length);
    const c = performance.now();
    const r = await runCli(COLLECTOR_BIN, ['meeting-check', '--config', tc.configFile, '--json']);
    cliMs.push(performance.now() - c);
    if (r.code !== 0) {
      if (!r.stdout) throw new Error(`meeting-check exited ${r.code}: ${r.stderr}`);
      const notReady = (JSON.parse(r.stdout) as VideoconfCheckResponse).endpoints.filter((x) => x.ready !== 1).map((x) => `${x.endpoint}: ${x.fields.reason}`);
      console.error(`meeting-check run ${i + 1}: not ready: ${notReady.join('; ')}`);
    }
  }
  await agent.stop('SIGTERM');
  await tc.close();

  const fp = median(fpingMs);
  console.log(
    table(
      ['14 endpoints on loopback', 'Canh Gác', 'fping -C 50 -p 20', 'ratio (Canh Gác / fping)'],
      [
        ['ICMP part: 50 packets at 20 ms to each, wall time (ms, median of ' + RUNS + ')', median(icmpMs), fp, (median(icmpMs) / fp).toFixed(2)],
        ['one full cycle: ICMP + SIP/UDP + H.323 + HTTPS' + (haveSnmpd ? ' + SNMP' : '') + ' (ms)', median(fullMs), fp, (median(fullMs) / fp).toFixed(2)],
        ['meeting-check API, request to answer with 14 fresh rows (ms)', median(apiMs), '-', '-'],
        ['`canhgac-collector meeting-check --json` incl. process start (ms)', median(cliMs), '-', '-'],
        ['largest loss difference per target (percentage points)', lossDiff, 0, '-'],
        ['largest mean-RTT difference per target (ms)', rttDiff, 0, '-'],
      ],
    ),
  );
  console.log(`\nendpoints ready in every full cycle: ${readyAll ? 'all 14' : 'NOT all'}; fresh rows per meeting-check: ${apiEndpoints}, fewest ready in one: ${apiReady}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  for (const c of children) {
    if (c.exitCode !== null) continue;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  for (const c of cleanup) c();
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
