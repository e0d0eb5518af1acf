// `npm run bench -- snmp`: one snmpd in a network namespace with 200 veth interfaces, polled by Canh Gác's
// snmp_interfaces check and by Debian's prometheus-snmp-exporter (an if_mib module) in the same run: poll wall
// time, and in/out octet rates of an interface carrying iperf3 traffic. Traffic stays inside the namespaces.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { snmpInterfacesCheck } from '../../agent/checks/snmp_interfaces/index.ts';
import { createLogger } from '../../agent/log.ts';
import { SampleRecorder } from '../../agent/recorder.ts';
import { freePort } from '../../scripts/lib/influxd.ts';
import { createSnmpDevice } from '../support/snmp-device.ts';
import { median, sleep, table } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PAIRS = 99; // 2 links + 198 pair ends + lo: 201 rows, 200 interfaces kept

// The snmp_exporter 0.21 module layout (what its generator writes for if_mib, limited to the columns the check reads).
function exporterConfig(): string {
  const col = (name: string, oid: string, type: string) => `  - name: ${name}\n    oid: ${oid}\n    type: ${type}\n    indexes:\n    - labelname: ifIndex\n      type: gauge\n`;
  const metrics = [
    col('ifOperStatus', '1.3.6.1.2.1.2.2.1.8', 'gauge'),
    col('ifAdminStatus', '1.3.6.1.2.1.2.2.1.7', 'gauge'),
    col('ifInErrors', '1.3.6.1.2.1.2.2.1.14', 'counter'),
    col('ifOutErrors', '1.3.6.1.2.1.2.2.1.20', 'counter'),
    col('ifInDiscards', '1.3.6.1.2.1.2.2.1.13', 'counter'),
    col('ifOutDiscards', '1.3.6.1.2.1.2.2.1.19', 'counter'),
    col('ifHCInOctets', '1.3.6.1.2.1.31.1.1.1.6', 'counter'),
    col('ifHCOutOctets', '1.3.6.1.2.1.31.1.1.1.10', 'counter'),
    col('ifHighSpeed', '1.3.6.1.2.1.31.1.1.1.15', 'gauge'),
    col('ifName', '1.3.6.1.2.1.31.1.1.1.1', 'DisplayString'),
    col('ifAlias', '1.3.6.1.2.1.31.1.1.1.18', 'DisplayString'),
  ].join('');
  return `if_mib:\n  walk:\n  - 1.3.6.1.2.1.2.2.1\n  - 1.3.6.1.2.1.31.1.1.1\n  version: 2\n  max_repetitions: 25\n  retries: 1\n  timeout: 5s\n  auth:\n    community: public\n  metrics:\n${metrics}`;
}

async function scrape(exporter: string, target: string): Promise<{ ms: number; inOctets: Map<string, number>; outOctets: Map<string, number> }> {
  const started = performance.now();
  const res = await fetch(`${exporter}/snmp?module=if_mib&target=${encodeURIComponent(target)}`);
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`snmp_exporter answered ${res.status}: ${text.slice(0, 300)}`);
  const read = (metric: string) => new Map([...text.matchAll(new RegExp(`^${metric}\\{ifIndex="(\\d+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], Number(m[2])]));
  return { ms, inOctets: read('ifHCInOctets'), outOctets: read('ifHCOutOctets') };
}

async function main(): Promise<void> {
  for (const cmd of ['prometheus-snmp-exporter', 'snmpd', 'iperf3']) {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
      console.error(`${cmd} is not installed (scripts/apt-packages.txt)`);
      process.exit(1);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-bench-snmp-'));
  const dev = await createSnmpDevice({ links: 2, pairs: PAIRS, community: 'public' });
  let exporter: ChildProcess | undefined;
  try {
    writeFileSync(join(dir, 'snmp.yml'), exporterConfig());
    writeFileSync(join(dir, 'community'), 'public\n', { mode: 0o600 });
    const port = await freePort();
    exporter = spawn('prometheus-snmp-exporter', [`--config.file=${join(dir, 'snmp.yml')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    const target = `127.0.0.1:${dev.port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(url).then(() => true, () => false)) break;
      await sleep(100);
    }
    const config = {
      type: 'snmp_interfaces', interval: '60s', timeout: '10s', intervalMs: 60_000, timeoutMs: 10_000, maxInterfaces: 1000, maxRepetitions: 20, onceWindow: '1s', concurrency: 8,
      stateFile: join(dir, 'state.json'), excludeTypes: [],
      devices: [{ host: '127.0.0.1', port: dev.port, name: 'bench', version: '2c', communityFile: join(dir, 'community'), authProtocol: 'sha256', privProtocol: 'aes' }],
    };
    const poll = async () => {
      const recorder = new SampleRecorder();
      const started = performance.now();
      await snmpInterfacesCheck.run(config as never, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} } as never) });
      return { ms: performance.now() - started, samples: recorder.samples };
    };
    await poll(); // the first run polls twice (no state): warm-up, and the state for the rounds
    await scrape(url, target);
    const ours: number[] = [];
    const theirs: number[] = [];
    let kept = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first; snmpd's 3 s interface cache is refreshed by whoever comes first.
      await sleep(3200);
      if (r % 2 === 0) {
        const a = await poll();
        kept = a.samples.filter((s) => s.measurement === 'net_interface').length;
        ours.push(a.ms);
        theirs.push((await scrape(url, target)).ms);
      } else {
        theirs.push((await scrape(url, target)).ms);
        ours.push((await poll()).ms);
      }
    }

    // Rates: iperf3 at 200 Mb/s through ge1; both read at t1 and t2, back to back.
    const link = dev.links[0];
    dev.spawnIn(dev.ns, ['iperf3', '-s', '-1', '-B', link.routerIp, '-p', '5201']);
    await sleep(500);
    dev.spawnIn(link.neighbourNs, ['iperf3', '-c', link.routerIp, '-p', '5201', '-b', '200M', '-t', '20']);
    await sleep(3500);
    await poll();
    const t1 = Date.now();
    const s1 = await scrape(url, target);
    await sleep(9000);
    const p2 = await poll();
    const t2 = Date.now();
    const s2 = await scrape(url, target);
    const ge1 = p2.samples.find((s) => s.measurement === 'net_interface' && s.tags.interface === link.ifName)!;
    // snmpd's ifIndex on Linux is the kernel's ifindex.
    const index = ifIndexOf(dev.ns, link.ifName);
    const expIn = ((s2.inOctets.get(index)! - s1.inOctets.get(index)!) * 8) / ((t2 - t1) / 1000);
    const expOut = ((s2.outOctets.get(index)! - s1.outOctets.get(index)!) * 8) / ((t2 - t1) / 1000);
    const ourIn = Number(ge1.fields.in_bps);
    const ourOut = Number(ge1.fields.out_bps);

    console.log(`snmpd in a namespace, ${kept} interfaces (veth), ${ROUNDS} rounds, load average ${loadavg()[0].toFixed(1)} on this machine\n`);
    console.log(
      table(
        ['poller', 'median poll wall time (ms)', 'min (ms)', 'max (ms)', 'ratio to snmp_exporter'],
        [
          ['Canh Gác snmp_interfaces (GETBULK, columns side by side)', median(ours), Math.min(...ours), Math.max(...ours), median(ours) / median(theirs)],
          ['prometheus-snmp-exporter 0.21, if_mib (ifTable + ifXTable walks)', median(theirs), Math.min(...theirs), Math.max(...theirs), 1],
        ],
      ),
    );
    console.log('\n' + table(['ge1 under iperf3 -b 200M', 'Canh Gác (bit/s)', 'snmp_exporter counters over the same polls (bit/s)', 'difference'], [
      ['in', Math.round(ourIn), Math.round(expIn), `${((Math.abs(ourIn - expIn) / expIn) * 100).toFixed(2)} %`],
      ['out', Math.round(ourOut), Math.round(expOut), `${((Math.abs(ourOut - expOut) / Math.max(expOut, 1)) * 100).toFixed(2)} %`],
    ]));
  } finally {
    exporter?.kill('SIGTERM');
    await dev.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

function ifIndexOf(ns: string, ifName: string): string {
  return spawnSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${ifName}/ifindex`], { encoding: 'utf8' }).stdout.trim();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
