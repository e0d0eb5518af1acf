// `npm run bench -- dns`: 1,000 DNS questions to Debian's NSD on a loopback port, asked by Canh Gác's dns
// check (one run) and by Debian's blackbox_exporter dns prober (one probe per question, 16 at a time, the
// check's concurrency). Loopback only.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsCheck } from '../../agent/checks/dns/index.ts';
import { createLogger } from '../../agent/log.ts';
import { SampleRecorder } from '../../agent/recorder.ts';
import { freePort } from '../../scripts/lib/influxd.ts';
import { startDnsServer, zone } from '../support/dns-server.ts';
import { median, sleep, table } from './lib.ts';

const QUESTIONS = 1000;
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

async function main(): Promise<void> {
  for (const cmd of ['prometheus-blackbox-exporter', 'nsd']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
      console.error(`${cmd} is not installed (scripts/apt-packages.txt)`);
      process.exit(1);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-dns-'));
  const names = Array.from({ length: QUESTIONS }, (_, i) => `h${i}.example.vn`);
  const ns = await startDnsServer({ 'example.vn': zone('example.vn', 1, names.map((n, i) => `${n}. IN A 192.0.2.${(i % 250) + 1}`)) });
  let blackbox: ChildProcess | undefined;
  try {
    // One module per name: blackbox_exporter takes the question from its module.
    const modules = names.map((n, i) => `  q${i}:\n    prober: dns\n    timeout: 5s\n    dns:\n      transport_protocol: udp\n      preferred_ip_protocol: ip4\n      query_name: ${n}\n      query_type: A\n      valid_rcodes: [NOERROR]`);
    writeFileSync(join(dir, 'blackbox.yml'), `modules:\n${modules.join('\n')}\n`);
    const port = await freePort();
    blackbox = spawn('prometheus-blackbox-exporter', [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(url).then(() => true, () => false)) break;
      await sleep(100);
    }
    const probeAll = async () => {
      let next = 0;
      let ok = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < QUESTIONS) {
            const i = next++;
            const text = await (await fetch(`${url}/probe?module=q${i}&target=${encodeURIComponent(ns.server)}`)).text();
            if (/^probe_success 1$/m.test(text)) ok++;
          }
        }),
      );
      return { ms: performance.now() - started, ok };
    };
    const config = { type: 'dns', interval: '60s', timeout: '5s', intervalMs: 60_000, timeoutMs: 5000, server: ns.server, transport: 'udp', queries: names.map((name) => ({ name, type: 'A' })) };
    const checkAll = async () => {
      const recorder = new SampleRecorder();
      const started = performance.now();
      await dnsCheck.run(config as never, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} } as never) });
      return { ms: performance.now() - started, ok: recorder.samples.filter((s) => s.tags.result === 'ok').length };
    };
    await checkAll();
    await probeAll();
    const ours: number[] = [];
    const theirs: number[] = [];
    const answered = { ours: 0, theirs: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first.
      let c: { ms: number; ok: number };
      let b: { ms: number; ok: number };
      if (r % 2 === 0) {
        c = await checkAll();
        b = await probeAll();
      } else {
        b = await probeAll();
        c = await checkAll();
      }
      ours.push(c.ms);
      theirs.push(b.ms);
      answered.ours = c.ok;
      answered.theirs = b.ok;
    }
    console.log(`${QUESTIONS} A questions to NSD on loopback, ${ROUNDS} rounds, ${CONCURRENCY} in flight, load average ${loadavg()[0].toFixed(1)} on this machine\n`);
    console.log(
      table(
        ['prober', 'answered', 'median wall time (ms)', 'questions/s', 'ratio to blackbox_exporter'],
        [
          ['Canh Gác dns check (one run)', answered.ours, median(ours), (QUESTIONS / median(ours)) * 1000, median(ours) / median(theirs)],
          ['blackbox_exporter dns prober (one probe per question)', answered.theirs, median(theirs), (QUESTIONS / median(theirs)) * 1000, 1],
        ],
      ),
    );
  } finally {
    blackbox?.kill('SIGTERM');
    await ns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
