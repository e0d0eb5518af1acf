// The snmp_interfaces check end to end (issue 18): a router's WAN link goes down and the mail arrives. Debian's
// snmpd in a namespace of veth pairs, the real agent process (`canhgac-agent run`), the collector with its
// built-in rules, influxd and an SMTP server; the community in no log, sample or mail.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailServer, type MailServer } from '../scripts/lib/mail-server.ts';
import { rows, startInfluxd, type Influxd } from '../scripts/lib/influxd.ts';
import { AGENT_BIN, startProcess, waitFor, writeYaml } from './support/agent.ts';
import { startTestCollector, type TestCollector } from './support/collector.ts';
import { missing } from './support/require.ts';
import { createSnmpDevice, type SnmpDevice } from './support/snmp-device.ts';

// Network safety: the agent polls 127.0.0.1 (a relay into this file's namespace) and talks to the
// collector on 127.0.0.1; the link taken down is a veth between two namespaces of this file.

const skip = missing({ root: true, commands: ['influxd', 'snmpd', 'snmpget', 'socat', 'ip'] });

describe.skipIf(skip)('snmp_interfaces end to end: WAN link down → oper_up=0 in InfluxDB and the alert mail', () => {
  let influx: Influxd;
  let smtp: MailServer;
  let tc: TestCollector;
  let dev: SnmpDevice;
  let dir: string;
  let agent: ReturnType<typeof startProcess> | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-snmp-e2e-'));
    [influx, smtp, dev] = await Promise.all([startInfluxd(), startMailServer(), createSnmpDevice({ links: 2 })]);
    tc = await startTestCollector(influx.url, {
      extra: {
        alerts: { evaluationInterval: '100ms', groupWait: '300ms', rules: [{ name: 'wan_link_down', for: '1s', resolveAfter: '2s' }] },
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, starttls: false, from: 'Canh Gác <canhgac@canhgac.example.vn>', maxBackoff: '1s', timeout: '2s' },
      },
    });
    const { token } = await tc.enrolAgent('so-y-te', 'pc-mang');
    mkdirSync(join(dir, 'agent'), { recursive: true });
    writeFileSync(join(dir, 'agent', 'token'), token, { mode: 0o600 });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await tc?.close();
    await smtp?.stop();
    await influx?.stop();
    await dev?.teardown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const query = async (q: string) => rows(await influx.query(q, tc.config.influx.database));

  it('the WAN link set down reads oper_up=0 and link_down=1, and the agency gets one critical mail naming the router and the port', async () => {
    // The community reaches the agent through an environment variable (communityEnv), never a file of ours it could echo.
    const config = writeYaml(join(dir, 'agent.yaml'), {
      collector: { url: tc.url, tokenFile: join(dir, 'agent', 'token') },
      agent: { maxSplay: '0s', sendInterval: '100ms', statusInterval: '2s', logLevel: 'debug', sampleLog: join(dir, 'samples.jsonl') },
      checks: [
        {
          type: 'snmp_interfaces',
          interval: '3s',
          timeout: '1s',
          onceWindow: '1s',
          stateFile: join(dir, 'agent', 'snmp.json'),
          devices: [{ host: '127.0.0.1', port: dev.port, name: 'router-so-y-te', communityEnv: 'CANHGAC_TEST_COMMUNITY', wan: ['ge1'] }],
        },
      ],
    });
    agent = startProcess(AGENT_BIN, ['run', '--config', config], { CANHGAC_TEST_COMMUNITY: dev.community });
    await waitFor(async () => (await query(`SELECT last("oper_up") AS up FROM "net_interface" WHERE "interface" = 'ge1' AND "wan" = '1'`))[0]?.up === 1, { what: 'ge1 up in InfluxDB', timeoutMs: 30_000 });

    const link = dev.links[0];
    const downAt = Date.now();
    expect(dev.run(link.neighbourNs, ['ip', 'link', 'set', 'e0', 'down']).code).toBe(0);
    const mail = await waitFor(async () => smtp.mails.find((m) => m.subject.includes('ge1')), { what: 'the WAN alert mail', timeoutMs: 45_000 });
    expect(mail.subject).toBe('[NGHIÊM TRỌNG][Sở Y tế] Mất đường truyền WAN ge1 trên router-so-y-te');
    expect(mail.to).toContain('it@soyte.example.vn');
    expect(mail.text).toContain('Đối tượng: router-so-y-te ge1');
    expect(mail.text).toContain('link_down = 1');
    const down = await query(`SELECT "oper_up", "admin_up", "link_down" FROM "net_interface" WHERE "interface" = 'ge1' AND time > ${downAt}ms ORDER BY time DESC LIMIT 1`);
    expect(down[0]).toMatchObject({ oper_up: 0, admin_up: 1, link_down: 1 });
    // The other interface was never down.
    expect((await query(`SELECT min("oper_up") AS m FROM "net_interface" WHERE "interface" = 'ge2'`))[0]?.m).toBe(1);
    expect(smtp.mails.filter((m) => m.subject.includes('ge2'))).toEqual([]);
    dev.run(link.neighbourNs, ['ip', 'link', 'set', 'e0', 'up']);

    // The community is nowhere: the agent's log, its sample log, InfluxDB, the mails.
    const stored = JSON.stringify(await influx.query('SELECT * FROM "net_interface"; SELECT * FROM "net_device"', tc.config.influx.database));
    for (const [where, text] of [
      ['agent log', agent.output()],
      ['sample log', readFileSync(join(dir, 'samples.jsonl'), 'utf8')],
      ['InfluxDB', stored],
      ['mails', smtp.mails.map((m) => `${m.subject}\n${m.text}\n${m.html}`).join('\n')],
    ]) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.includes(dev.community), `the community in the ${where}`).toBe(false);
    }
  }, 90_000);
});
