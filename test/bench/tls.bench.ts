// `npm run bench -- tls`: 200 TLS endpoints on loopback, one check cycle of Canh Gác's tls check
// beside Debian's blackbox_exporter probing the same 200 endpoints all at once. Loopback only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { tlsCheck } from '../../agent/checks/tls/index.ts';
import { TLS_CONCURRENCY } from '../../agent/checks/tls/spec.ts';
import { createLogger } from '../../agent/log.ts';
import { SampleRecorder } from '../../agent/recorder.ts';
import { freePort } from '../../scripts/lib/influxd.ts';
import { makePki } from '../support/pki.ts';

const ENDPOINTS = 200;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** The concurrency of the third row (BENCH_TLS_WIDE), for comparison with the default. */
const WIDE = Number(process.env.BENCH_TLS_WIDE ?? 128);
/** The second row's: the previous default, for comparison. */
const OLD_DEFAULT = 32;

// The servers live in their own process, so that neither prober shares an event loop with them.
const SERVERS_CHILD = `
const tls = require('node:tls');
const fs = require('node:fs');
const [key, cert, n] = [fs.readFileSync(process.argv[1]), fs.readFileSync(process.argv[2]), Number(process.argv[3])];
const ports = [];
let pending = n;
for (let i = 0; i < n; i++) {
  const s = tls.createServer({ key, cert }, (sock) => { sock.on('error', () => {}); sock.end(); });
  s.on('tlsClientError', () => {});
  s.listen(0, '127.0.0.1', () => { ports.push(s.address().port); if (--pending === 0) console.log(JSON.stringify(ports)); });
}
setTimeout(() => process.exit(0), 15 * 60_000).unref();
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (spawnSync('sh', ['-c', 'command -v prometheus-blackbox-exporter']).status !== 0) {
    console.error('prometheus-blackbox-exporter is not installed (apt-get install prometheus-blackbox-exporter)');
    process.exit(1);
  }
  const pki = await makePki();
  const chainFile = join(pki.dir, 'bench-chain.pem');
  writeFileSync(chainFile, pki.leaves.good.chainPem);
  const children: ChildProcess[] = [];
  try {
    const servers = spawn(process.execPath, ['-e', SERVERS_CHILD, pki.leaves.good.keyFile, chainFile, String(ENDPOINTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(servers);
    const [line] = (await once(servers.stdout!, 'data')) as [Buffer];
    const ports = JSON.parse(line.toString()) as number[];
    const targets = ports.map((p) => `127.0.0.1:${p}`);

    const bbPort = await freePort();
    const bbConfig = join(pki.dir, 'blackbox.yml');
    writeFileSync(bbConfig, 'modules:\n  tls_connect:\n    prober: tcp\n    timeout: 10s\n    tcp:\n      preferred_ip_protocol: ip4\n      tls: true\n      tls_config:\n        insecure_skip_verify: true\n');
    const bb = spawn('prometheus-blackbox-exporter', [`--config.file=${bbConfig}`, `--web.listen-address=127.0.0.1:${bbPort}`], { stdio: 'ignore' });
    children.push(bb);
    const bbUrl = `http://127.0.0.1:${bbPort}`;
    for (let i = 0; i < 150 && !(await fetch(`${bbUrl}/-/ready`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));

    /** One cycle of the check. A config object stands for one configured check entry: the legacy answers it remembers are its own. */
    const canhGac = async (config: object) => {
      const recorder = new SampleRecorder();
      const t0 = performance.now();
      await tlsCheck.run(config as never, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} }) });
      const ms = performance.now() - t0;
      const ok = recorder.samples.filter((s) => s.fields.up === 1).length;
      if (ok !== ENDPOINTS) throw new Error(`Canh Gác read ${ok} of ${ENDPOINTS}`);
      return ms;
    };
    const entry = (extra: object = {}) => ({ type: 'tls', interval: '1h', timeout: '10s', intervalMs: 3_600_000, timeoutMs: 10_000, targets, ca: pki.rootFile, legacyCheck: true, concurrency: TLS_CONCURRENCY, ...extra });
    const blackbox = async () => {
      const t0 = performance.now();
      const bodies = await Promise.all(targets.map((t) => fetch(`${bbUrl}/probe?module=tls_connect&target=${t}`).then((r) => r.text())));
      const ms = performance.now() - t0;
      const ok = bodies.filter((b) => /^probe_success 1$/m.test(b)).length;
      if (ok !== ENDPOINTS) throw new Error(`blackbox_exporter succeeded on ${ok} of ${ENDPOINTS}`);
      return ms;
    };

    // The default settings as the daemon runs them: one entry whose first cycle (the warm-up here) made
    // the legacy handshakes; every later cycle within legacyInterval (24h) is one handshake per endpoint.
    const steady = entry();
    const wide = entry({ concurrency: WIDE });
    const old = entry({ concurrency: OLD_DEFAULT });
    const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
    await canhGac(steady);
    await canhGac(wide);
    await canhGac(old);
    await blackbox();
    const times = { steady: [] as number[], first: [] as number[], wide: [] as number[], old: [] as number[], bb: [] as number[] };
    // Each round runs the five in a rotated order, so that none always runs right after blackbox_exporter
    // (whose 200 connections the servers are still closing) or always first.
    const runs: [keyof typeof times, () => Promise<number>][] = [
      ['steady', () => canhGac(steady)],
      ['first', () => canhGac(entry())],
      ['wide', () => canhGac(wide)],
      ['old', () => canhGac(old)],
      ['bb', blackbox],
    ];
    for (let i = 0; i < ROUNDS; i++) {
      for (let j = 0; j < runs.length; j++) {
        const [key, run] = runs[(i + j) % runs.length];
        times[key].push(await run());
      }
    }
    const bbMs = median(times.bb);
    const rowsOut = [
      [`Canh Gác tls check, default settings: a usual cycle (1 handshake per endpoint, ${TLS_CONCURRENCY} at a time; the legacy answer is at most 24h old)`, median(times.steady)],
      ['Canh Gác tls check, default settings: the first cycle after start (+ the legacy TLS handshake: 2 per endpoint)', median(times.first)],
      [`Canh Gác tls check, a usual cycle with concurrency: ${WIDE}`, median(times.wide)],
      [`Canh Gác tls check, a usual cycle with concurrency: ${OLD_DEFAULT} (the default before issue 20)`, median(times.old)],
      ['blackbox_exporter 0.23 tcp+tls probe (200 concurrent /probe requests)', bbMs],
    ] as const;
    console.log(`${ENDPOINTS} TLS endpoints on 127.0.0.1 (one Node process, ECDHE + RSA-2048 chain), median of ${ROUNDS} rounds (the order rotated each round) after a warm-up; load average before ${loadBefore}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
    console.log('| prober | wall time for one cycle (ms) | ratio to blackbox_exporter |');
    console.log('| --- | ---: | ---: |');
    for (const [name, ms] of rowsOut) console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms / bbMs).toFixed(2)} |`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    pki.cleanup();
  }
}

await main();
