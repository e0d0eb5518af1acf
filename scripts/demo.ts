// The demo: InfluxDB, the collector (with its web console), a local agent probing loopback only, and a
// local mail catcher that receives the alert mails, with data under ./.demo/.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { loadCollectorConfig } from '../collector/config.ts';
import { startCollector } from '../collector/service.ts';
import { createEnrollCode } from '../collector/state/enroll-codes.ts';
import { createUser, generatePassword, setPassword, userByName } from '../collector/state/users.ts';
import { startInfluxd } from './lib/influxd.ts';
import { startMailServer } from './lib/mail-server.ts';
import { startMailViewer } from './lib/mail-viewer.ts';

const root = join(import.meta.dirname, '..');
const dir = process.env.CANHGAC_DEMO_DIR ?? join(root, '.demo');
const collectorPort = Number(process.env.CANHGAC_DEMO_PORT ?? 8443);
const influxPort = Number(process.env.CANHGAC_DEMO_INFLUX_PORT ?? 18086);
const rpcPort = Number(process.env.CANHGAC_DEMO_INFLUX_RPC_PORT ?? influxPort + 2);
const smtpPort = Number(process.env.CANHGAC_DEMO_SMTP_PORT ?? 2525);
const mailPort = Number(process.env.CANHGAC_DEMO_MAIL_PORT ?? 8025);
const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);

mkdirSync(dir, { recursive: true });
let agent: ChildProcess | undefined;
const stops: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping ...');
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
    }
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    say('stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  say(`starting InfluxDB on 127.0.0.1:${influxPort} (data in ${join(dir, 'influxdb')})`);
  const influx = await startInfluxd({ dir: join(dir, 'influxdb'), port: influxPort, rpcPort, keepData: true });
  stops.push(() => influx.stop());

  // The collector's mail relay is this catcher on loopback: every alert mail stops here, none leaves the machine.
  const mailDir = join(dir, 'mail');
  mkdirSync(mailDir, { recursive: true });
  const mailCatcher = await startMailServer({ port: smtpPort, dir: mailDir });
  stops.push(() => mailCatcher.stop());
  const mailViewer = await startMailViewer(mailCatcher, mailPort);
  stops.push(() => mailViewer.close());
  say(`mail catcher: SMTP on 127.0.0.1:${mailCatcher.port}, mails on ${mailViewer.url} and in ${mailDir}`);

  const sample = parse(readFileSync(join(root, 'deploy', 'collector.sample.yaml'), 'utf8')) as { agencies: unknown[] };
  const collectorFile = join(dir, 'collector.yaml');
  writeFileSync(
    collectorFile,
    stringify({
      listen: { host: '127.0.0.1', port: collectorPort },
      dataDir: join(dir, 'collector'),
      influx: { url: influx.url, database: 'canhgac' },
      agencies: sample.agencies,
      smtp: { host: '127.0.0.1', port: mailCatcher.port, secure: false, starttls: false, from: 'Canh Gác (demo) <canhgac@demo.invalid>' },
      alerts: {
        securityTeam: ['attt@demo.invalid'],
        consoleUrl: `https://127.0.0.1:${collectorPort}/console`,
        // Quicker than in production, so that the closed port below raises its mail within a minute.
        groupWait: '5s',
        rules: [{ name: 'target_down', for: '15s' }],
      },
    }),
  );
  const config = loadCollectorConfig(collectorFile);
  const collector = await startCollector(config, { statusIntervalMs: 10_000 });
  stops.push(() => collector.close());
  await collector.schemaReady;
  say(`collector on ${collector.url} (certificate ${collector.tls?.certFile}, SHA-256 ${collector.tls?.fingerprint256})`);
  // A fresh password for the demo admin on every start: it is printed below and stored only as a hash.
  const consolePassword = generatePassword();
  if (await userByName(collector.state, 'demo-admin')) await setPassword(collector.state, 'demo-admin', consolePassword);
  else await createUser(collector.state, { name: 'demo-admin', password: consolePassword, role: 'admin' });

  const tokenFile = join(dir, 'agent', 'agent.token');
  const agentFile = join(dir, 'agent.yaml');
  writeFileSync(
    agentFile,
    stringify({
      collector: { url: collector.url, tokenFile, ca: collector.tls?.certFile },
      agent: { maxSplay: '2s', statusInterval: '15s', sendInterval: '1s' },
      outbox: { dir: join(dir, 'agent', 'outbox') },
      checks: [
        { type: 'ping', name: 'loopback', group: 'demo', targets: ['127.0.0.1', '::1'], count: 5, interval: '15s' },
        { type: 'tcp', name: 'collector', targets: [`127.0.0.1:${collectorPort}`], interval: '15s' },
        // Closed on purpose: the alert, its mail and its resolve-less history for a first look.
        { type: 'tcp', name: 'cổng 9 (cố ý đóng)', targets: ['127.0.0.1:9'], interval: '15s' },
        { type: 'http', name: 'collector-health', targets: [`${collector.url}/healthz`], ca: collector.tls?.certFile, interval: '15s' },
        { type: 'host', interval: '30s' },
      ],
    }),
  );
  const agentBin = join(root, 'bin', 'canhgac-agent.js');
  if (!existsSync(tokenFile)) {
    const code = (await createEnrollCode(collector.state, 'so-y-te', 600_000)).code;
    say(`enrolling the local agent for Sở Y tế with the one-time code ${code}`);
    const enrolled = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, [agentBin, 'enroll', '--config', agentFile, '--code', code], { stdio: 'inherit' });
      p.on('exit', resolve);
    });
    if (enrolled !== 0) throw new Error('agent enrolment failed');
  }
  agent = spawn(process.execPath, [agentBin, 'run', '--config', agentFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  agent.stderr!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) process.stdout.write(`[agent] ${line}\n`);
  });
  agent.on('exit', (code) => {
    if (!stopping) {
      say(`the agent exited (${code}); stopping the demo`);
      void shutdown(1);
    }
  });

  const q = (sql: string) => `curl -sG '${influx.url}/query' --data-urlencode db=canhgac --data-urlencode "q=${sql}"`;
  process.stdout.write(`
================ Canh Gác demo is running ================
  Web console     ${collector.url}/console/   user demo-admin, password ${consolePassword}
                  (self-signed certificate: accept it in the browser, SHA-256 ${collector.tls?.fingerprint256})
  Collector API   ${collector.url}   (health: curl -k ${collector.url}/readyz)
  InfluxDB        ${influx.url}   database "canhgac"
  Agent config    ${agentFile}
  Collector cfg   ${collectorFile}
  Mail catcher    ${mailViewer.url}   (SMTP 127.0.0.1:${mailCatcher.port}; mails also in ${mailDir})
                  the agent probes the closed port 127.0.0.1:9: its "Mất kết nối" alert mail arrives within a minute

  Look at the data (after ~15 s):
    ${q('SELECT * FROM ping ORDER BY time DESC LIMIT 5')}
    influx -host 127.0.0.1 -port ${influxPort} -database canhgac -execute 'SHOW MEASUREMENTS'
  Agents:            node bin/canhgac-collector.js agent list --config ${collectorFile}
  One-off check run: node bin/canhgac-agent.js once --config ${agentFile}

  Ctrl-C stops everything. Data stays in ${dir} (delete it to start afresh).
==========================================================
`);
  say('ready');
} catch (err) {
  process.stderr.write(`[demo] failed: ${(err as Error).message}\n`);
  await shutdown(1);
}
