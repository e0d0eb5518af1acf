import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, validateSample, type WireSample } from '../../../protocol/index.ts';
import { freePort } from '../../../scripts/lib/influxd.ts';
import { missing } from '../../../test/support/require.ts';
import { loadAgentConfig, parseAgentConfig } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { buildOptions, isLiveSipStatus, parseResponse, sipOptionsProbe } from './sip.ts';
import { videoconfCheck } from './index.ts';
import { restartedBetween } from './snmp.ts';

// Network safety: every probe below goes to 127.0.0.1 (sipp, snmpd and Node servers started here),
// or to a .invalid name that never resolves.

const quiet = createLogger({ write: () => {} });

/** Run the check in this process on a config validated like the agent's own. */
async function runCheck(entry: Record<string, unknown>): Promise<WireSample[]> {
  const config = parseAgentConfig('test.yaml', { checks: [{ type: 'videoconf', name: 'vc', count: 5, packetInterval: '20ms', timeout: '3s', ...entry }] });
  const recorder = new SampleRecorder();
  await videoconfCheck.run(config.checks[0].config as never, { recorder, signal: new AbortController().signal, log: quiet });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return recorder.samples;
}

const byMeasurement = (samples: WireSample[], m: string) => samples.filter((s) => s.measurement === m);

/** A SIP responder that copies the dialog headers of a request into an answer with `status`. */
function answer(request: string, status: string): string {
  const pick = (name: string) => request.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)) ?? '';
  return [`SIP/2.0 ${status}`, pick('Via'), pick('From'), `${pick('To')};tag=t1`, pick('Call-ID'), pick('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
}

async function udpResponder(reply: (request: string) => string | undefined): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    const out = reply(msg.toString());
    if (out !== undefined) s.send(out, rinfo.port, rinfo.address);
  });
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return { port: s.address().port, close: () => s.close() };
}

describe('SIP message building and parsing', () => {
  it('builds an OPTIONS request with the headers RFC 3261 requires', () => {
    const msg = buildOptions({ host: '192.0.2.10', port: 5061, transport: 'tls', localAddress: '198.51.100.7', localPort: 40000, branch: 'z9hG4bKabc', tag: 't9', callId: 'c1@canhgac' });
    const lines = msg.split('\r\n');
    expect(lines[0]).toBe('OPTIONS sip:192.0.2.10:5061;transport=tls SIP/2.0');
    expect(lines).toContain('Via: SIP/2.0/TLS 198.51.100.7:40000;branch=z9hG4bKabc;rport');
    expect(lines).toContain('Max-Forwards: 70');
    expect(lines).toContain('From: <sip:canhgac@198.51.100.7:40000>;tag=t9');
    expect(lines).toContain('To: <sip:192.0.2.10:5061;transport=tls>');
    expect(lines).toContain('Call-ID: c1@canhgac');
    expect(lines).toContain('CSeq: 1 OPTIONS');
    expect(msg.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
    expect(buildOptions({ host: '2001:db8::1', port: 5060, transport: 'udp', localAddress: '::1', localPort: 5, branch: 'b', tag: 't', callId: 'c' })).toMatch(
      /^OPTIONS sip:\[2001:db8::1\]:5060 SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP \[::1\]:5;/,
    );
  });

  it('parses a status line, compact headers and a body length; waits for the rest of a stream', () => {
    const text = 'SIP/2.0 200 OK\r\nv: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx\r\ni: abc\r\nl: 4\r\n\r\nbody';
    const r = parseResponse(Buffer.from(text), true);
    expect(r).toMatchObject({ kind: 'response', response: { statusCode: 200, reason: 'OK', headers: { 'call-id': 'abc', 'content-length': '4' }, length: text.length } });
    expect(parseResponse(Buffer.from(text.slice(0, -2)), true).kind).toBe('incomplete');
    expect(parseResponse(Buffer.from('SIP/2.'), true).kind).toBe('incomplete');
    expect(parseResponse(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), true)).toMatchObject({ kind: 'invalid' });
    expect(parseResponse(Buffer.from('\r\n\r\nSIP/2.0 404 Not Found\r\nContent-Length: 0\r\n\r\n'), true)).toMatchObject({ response: { statusCode: 404 } });
  });

  it('counts 2xx and 4xx (but 408) as a live SIP stack', () => {
    expect([200, 202, 401, 403, 404, 405, 407, 486].every(isLiveSipStatus)).toBe(true);
    expect([100, 180, 302, 408, 500, 503, 603].some(isLiveSipStatus)).toBe(false);
  });
});

describe.skipIf(missing({ commands: ['sipp', 'ping'] }))('videoconf check against loopback components', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-vc-'));
  const sippPids: number[] = [];
  let sipUdp: number;
  let sipTcp: number;
  let sipTls: net.Server;
  let h323: net.Server;
  let web: https.Server;
  let caFile: string;
  const closers: (() => void)[] = [];

  function startSipp(transport: 'u1' | 't1', port: number): void {
    const r = spawnSync('sipp', ['-sf', join(dir, 'uas.xml'), '-i', '127.0.0.1', '-p', String(port), '-t', transport, '-nostdin', '-bg'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    const pid = /PID=\[(\d+)\]/.exec(r.stdout + r.stderr)?.[1];
    if (!pid) throw new Error(`sipp did not start: ${r.stdout}${r.stderr}`);
    sippPids.push(Number(pid));
  }

  async function untilSip(port: number, transport: 'udp' | 'tcp'): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const o = await sipOptionsProbe({ host: '127.0.0.1', port, transport, timeoutMs: 300, signal: new AbortController().signal });
      if (o?.up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`sipp on ${transport}/${port} never answered`);
  }

  beforeAll(async () => {
    writeFileSync(
      join(dir, 'uas.xml'),
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options-uas">
  <recv request="OPTIONS" crlf="true"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
</scenario>
`,
    );
    sipUdp = await freePort();
    sipTcp = await freePort();
    startSipp('u1', sipUdp);
    startSipp('t1', sipTcp);

    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      notAfterDate: new Date(Date.now() + 20 * 86_400_000),
      extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    } as never);
    caFile = join(dir, 'unit.pem');
    writeFileSync(caFile, pems.cert);

    // A SIP-over-TLS stack that answers 200 to OPTIONS.
    sipTls = tls.createServer({ key: pems.private, cert: pems.cert }, (sock) => {
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n\r\n')) sock.write(answer(buf, '200 OK'));
      });
      sock.on('error', () => undefined);
    });
    sipTls.listen(0, '127.0.0.1');
    await once(sipTls, 'listening');

    h323 = net.createServer((s) => s.destroy());
    h323.listen(0, '127.0.0.1');
    await once(h323, 'listening');

    web = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      res.writeHead(req.url === '/login' ? 401 : 200, { 'content-type': 'text/html' });
      res.end('<title>RealPresence</title>');
    });
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');

    await untilSip(sipUdp, 'udp');
    await untilSip(sipTcp, 'tcp');
  });

  afterAll(() => {
    for (const pid of sippPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const c of closers) c();
    sipTls?.close();
    h323?.close();
    web?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const port = (s: net.Server | https.Server) => (s.address() as net.AddressInfo).port;

  it('an endpoint with every component answering is ready, with one sip sample per transport', async () => {
    const samples = await runCheck({
      group: 'tinh',
      endpoints: [
        {
          name: 'ubnd-tinh',
          address: '127.0.0.1',
          sip: [{ transport: 'udp', port: sipUdp }, { transport: 'tcp', port: sipTcp }, { transport: 'tls', port: port(sipTls) }],
          h323: { port: port(h323) },
          https: { url: `https://127.0.0.1:${port(web)}/`, ca: caFile },
        },
      ],
    });
    const [vc] = byMeasurement(samples, 'videoconf');
    expect(vc.tags).toEqual({ endpoint: 'ubnd-tinh', address: '127.0.0.1', group: 'tinh' });
    expect(vc.fields).toMatchObject({ ready: 1, sent: 5, received: 5, loss_percent: 0, sip_up: 1, h323_up: 1, https_up: 1 });
    expect(vc.fields.reason).toBeUndefined();
    expect(vc.fields.mos).toBeGreaterThan(4.3); // loopback: R ≈ 93.2 - 10/40
    expect(vc.fields.jitter_ms).toBeGreaterThanOrEqual(0);
    expect(vc.fields.h323_connect_ms).toBeGreaterThan(0);
    expect(vc.fields.https_response_ms).toBeGreaterThan(0);
    // The unit's certificate was made to expire in 20 days (read with the tls check's handshake).
    expect(vc.fields.cert_days_left).toBeGreaterThan(19.99);
    expect(vc.fields.cert_days_left).toBeLessThanOrEqual(20);

    const sip = byMeasurement(samples, 'sip').sort((a, b) => a.tags.transport.localeCompare(b.tags.transport));
    expect(sip.map((s) => [s.tags.transport, s.tags.target, s.tags.result, s.fields.up, s.fields.status_code])).toEqual([
      ['tcp', `127.0.0.1:${sipTcp}`, 'ok', 1, 200],
      ['tls', `127.0.0.1:${port(sipTls)}`, 'ok', 1, 200],
      ['udp', `127.0.0.1:${sipUdp}`, 'ok', 1, 200],
    ]);
    for (const s of sip) {
      expect(s.tags).toMatchObject({ endpoint: 'ubnd-tinh', name: 'vc' });
      expect(s.fields.response_ms).toBeGreaterThan(0);
      expect(s.fields.response_ms).toBeLessThan(1000);
    }
  });

  it('a port with no SIP stack is up=0: a closed UDP port, a UDP service that is not SIP, a TCP service that is not SIP', async () => {
    const closed = await freePort();
    const garbage = await udpResponder(() => 'hello\n');
    const silent = await udpResponder(() => undefined);
    closers.push(garbage.close, silent.close);
    const notSip = net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'));
    notSip.listen(0, '127.0.0.1');
    await once(notSip, 'listening');
    try {
      const samples = await runCheck({
        timeout: '1s',
        endpoints: [
          {
            name: 'cau-ke',
            address: '127.0.0.1',
            sip: [
              { transport: 'udp', port: closed },
              { transport: 'udp', port: garbage.port },
              { transport: 'udp', port: silent.port },
              { transport: 'tcp', port: port(notSip) },
            ],
          },
        ],
      });
      const byPort = Object.fromEntries(byMeasurement(samples, 'sip').map((s) => [s.tags.target.split(':')[1], s]));
      expect(byPort[closed].tags.result).toBe('refused');
      expect(byPort[garbage.port].tags.result).toBe('error');
      expect(byPort[silent.port].tags.result).toBe('timeout');
      expect(byPort[port(notSip)].tags.result).toBe('error');
      for (const s of Object.values(byPort)) expect(s.fields).toEqual({ up: 0 });
      const [vc] = byMeasurement(samples, 'videoconf');
      expect(vc.fields).toMatchObject({ ready: 0, sip_up: 0 });
      expect(vc.fields.reason).toContain(`SIP udp/${closed} no SIP stack on the port`);
    } finally {
      notSip.close();
    }
  });

  it('a 4xx from a live stack counts as reachable; a 503 does not', async () => {
    const auth = await udpResponder((req) => answer(req, '401 Unauthorized'));
    const busy = await udpResponder((req) => answer(req, '503 Service Unavailable'));
    closers.push(auth.close, busy.close);
    const samples = await runCheck({
      endpoints: [
        { name: 'tra-cu', address: '127.0.0.1', sip: [{ port: auth.port }] },
        { name: 'duyen-hai', address: '127.0.0.1', sip: [{ port: busy.port }] },
      ],
    });
    const sip = Object.fromEntries(byMeasurement(samples, 'sip').map((s) => [s.tags.endpoint, s]));
    expect(sip['tra-cu']).toMatchObject({ tags: { result: 'ok', transport: 'udp' }, fields: { up: 1, status_code: 401 } });
    expect(sip['duyen-hai']).toMatchObject({ tags: { result: 'error' }, fields: { up: 0, status_code: 503 } });
    const vc = Object.fromEntries(byMeasurement(samples, 'videoconf').map((s) => [s.tags.endpoint, s.fields]));
    expect(vc['tra-cu']).toMatchObject({ ready: 1, sip_up: 1 });
    expect(vc['duyen-hai']).toMatchObject({ ready: 0, sip_up: 0, reason: 'SIP udp/' + busy.port + ' answered 503 Service Unavailable' });
  });

  it('H.323: a listener standing in for 1720 is up; once closed the endpoint is not ready', async () => {
    const stand = net.createServer((s) => s.destroy());
    stand.listen(0, '127.0.0.1');
    await once(stand, 'listening');
    const p = port(stand);
    const ep = { name: 'tieu-can', address: '127.0.0.1', h323: { port: p } };
    const [before] = byMeasurement(await runCheck({ endpoints: [ep] }), 'videoconf');
    expect(before.fields).toMatchObject({ ready: 1, h323_up: 1 });
    expect(before.fields.h323_connect_ms).toBeGreaterThan(0);
    await new Promise((r) => stand.close(r));
    const [after] = byMeasurement(await runCheck({ endpoints: [ep] }), 'videoconf');
    expect(after.fields).toMatchObject({ ready: 0, h323_up: 0, reason: 'H.323 refused' });
    expect(after.fields.h323_connect_ms).toBeUndefined();
  });

  it('HTTPS management: an untrusted certificate and an unexpected status are not ready', async () => {
    const samples = await runCheck({
      endpoints: [
        { name: 'untrusted', address: '127.0.0.1', https: { url: `https://127.0.0.1:${port(web)}/` } },
        { name: 'login', address: '127.0.0.1', https: { url: `https://127.0.0.1:${port(web)}/login`, ca: caFile } },
        { name: 'login-ok', address: '127.0.0.1', https: { url: `https://127.0.0.1:${port(web)}/login`, ca: caFile, expectStatus: [200, 401] } },
      ],
    });
    const vc = Object.fromEntries(byMeasurement(samples, 'videoconf').map((s) => [s.tags.endpoint, s.fields]));
    expect(vc.untrusted).toMatchObject({ ready: 0, https_up: 0, reason: 'HTTPS tls_error' });
    // Untrusted, yet its expiry is read all the same.
    expect(vc.untrusted.cert_days_left).toBeGreaterThan(19.99);
    expect(vc.login).toMatchObject({ ready: 0, https_up: 0, reason: 'HTTPS answered 401' });
    expect(vc['login-ok']).toMatchObject({ ready: 1, https_up: 1 });
  });

  it('a name that does not resolve is not ready, every component down', async () => {
    const samples = await runCheck({ endpoints: [{ name: 'chau-thanh', address: 'vc-chau-thanh.invalid', sip: [{ transport: 'udp' }], h323: true }] });
    const [vc] = byMeasurement(samples, 'videoconf');
    expect(vc.fields).toMatchObject({ ready: 0, sent: 5, received: 0, loss_percent: 100, sip_up: 0, h323_up: 0 });
    expect(vc.fields.mos).toBeUndefined();
    expect(byMeasurement(samples, 'sip')[0]).toMatchObject({ tags: { target: 'vc-chau-thanh.invalid:5060', result: 'dns_error' }, fields: { up: 0 } });
  });
});

describe.skipIf(missing({ commands: ['snmpd', 'ping'] }))('videoconf SNMP: sysDescr, sysUpTime and reboot detection (real snmpd)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'canhgac-vc-snmp-'));
  let snmpPort: number;
  let snmpd: ReturnType<typeof spawn> | undefined;

  async function startSnmpd(): Promise<void> {
    snmpd = spawn('snmpd', ['-f', '-Lo', '-C', '-c', join(dir, 'unit.conf'), '-M', '/nonexistent', '-m', '', '-p', join(dir, 'snmpd.pid')], {
      stdio: 'ignore',
      // snmpd rewrites $SNMP_PERSISTENT_DIR/snmpd.conf on exit: keep it apart from our config.
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') },
    });
    // Ready when it answers (bounded: 50 × 100 ms).
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('snmpget', ['-v2c', '-c', 'public', '-t', '0.2', '-r', '0', `127.0.0.1:${snmpPort}`, '1.3.6.1.2.1.1.3.0'], { encoding: 'utf8' });
      if (r.status === 0) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error('snmpd did not start');
  }

  async function stopSnmpd(): Promise<void> {
    if (!snmpd || snmpd.exitCode !== null) return;
    snmpd.kill('SIGTERM');
    await once(snmpd, 'exit');
  }

  beforeAll(async () => {
    snmpPort = await freePort();
    writeFileSync(join(dir, 'unit.conf'), `agentAddress udp:127.0.0.1:${snmpPort}\nrocommunity public 127.0.0.1\nsysDescr Polycom RealPresence Group 500\\r\\n6.2.2\n`);
    await startSnmpd();
  });
  afterAll(async () => {
    await stopSnmpd();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the model and uptime, sees no reboot while the unit stays up and a reboot after a restart; a wrong community is a timeout', async () => {
    const ep = { name: 'cang-long', address: '127.0.0.1', snmp: { port: snmpPort } };
    const [first] = byMeasurement(await runCheck({ endpoints: [ep] }), 'videoconf');
    expect(first.fields).toMatchObject({ ready: 1, snmp_up: 1 });
    expect(first.fields.sys_descr).toMatch(/^Polycom RealPresence Group 500/);
    expect(first.fields.sys_descr).not.toMatch(/[\r\n]/);
    expect(first.fields.rebooted).toBeUndefined(); // nothing to compare with yet
    // Let the uptime grow past the allowance (2 s) so that a restart shows.
    await new Promise((r) => setTimeout(r, 2500));
    const [second] = byMeasurement(await runCheck({ endpoints: [ep] }), 'videoconf');
    expect(second.fields).toMatchObject({ snmp_up: 1, rebooted: 0 });
    expect(second.fields.uptime_seconds as number).toBeGreaterThanOrEqual(2);

    await stopSnmpd();
    await startSnmpd();
    const [third] = byMeasurement(await runCheck({ endpoints: [ep] }), 'videoconf');
    expect(third.fields).toMatchObject({ snmp_up: 1, rebooted: 1 });
    expect(third.fields.uptime_seconds as number).toBeLessThan(second.fields.uptime_seconds as number);

    const [wrong] = byMeasurement(await runCheck({ timeout: '400ms', endpoints: [{ ...ep, name: 'wrong', snmp: { port: snmpPort, community: 'not-public' } }] }), 'videoconf');
    expect(wrong.fields).toMatchObject({ ready: 0, snmp_up: 0, reason: 'SNMP timeout' });
  });
});

describe('videoconf config validation', () => {
  const check = (entry: Record<string, unknown>) => () => parseAgentConfig('agent.yaml', { checks: [{ type: 'videoconf', ...entry }] });

  it('fills the documented defaults', () => {
    const cfg = parseAgentConfig('agent.yaml', { checks: [{ type: 'videoconf', endpoints: [{ name: 'a', address: '192.0.2.1', snmp: {} }] }] });
    expect(cfg.checks[0].config).toMatchObject({ count: 50, packetInterval: '20ms', interval: '60s', timeout: '3s', endpoints: [{ snmp: { community: 'public', port: 161 } }] });
  });

  it('names the key and what was expected', () => {
    const err = (entry: Record<string, unknown>) => {
      try {
        check(entry)();
      } catch (e) {
        return (e as ConfigError).message;
      }
      return 'no error';
    };
    expect(err({ endpoints: [{ name: 'a', address: 'a;rm -rf /' }] })).toBe('agent.yaml: checks[0].endpoints[0].address: expected a host name or an IP address, got "a;rm -rf /"');
    expect(err({ endpoints: [{ name: 'a', address: '192.0.2.1', sip: [{ transport: 'sctp' }] }] })).toMatch(/checks\[0\]\.endpoints\[0\]\.sip\[0\]\.transport: expected one of "udp", "tcp", "tls"/);
    expect(err({ endpoints: [{ name: 'a', address: '192.0.2.1', https: { url: 'ftp://192.0.2.1/' } }] })).toBe(
      'agent.yaml: checks[0].endpoints[0].https.url: expected a URL starting with http:// or https://, got "ftp://192.0.2.1/"',
    );
    expect(err({ endpoints: [{ name: 'a', address: '192.0.2.1' }, { name: 'a', address: '192.0.2.2' }] })).toBe('agent.yaml: checks[0].endpoints[1].name: expected a unique name, "a" is used twice');
    expect(err({ count: 200, packetInterval: '500ms', endpoints: [{ name: 'a', address: '192.0.2.1' }] })).toMatch(/checks\[0\]\.count: a burst of 200 packets every 500ms plus the wait for the last reply lasts longer than the interval \(60s\)/);
    expect(err({ thresholds: { maxLossPercent: 0 }, endpoints: [{ name: 'a', address: '192.0.2.1' }] })).toMatch(/checks\[0\]\.thresholds\.maxLossPercent: expected a percentage above 0, got number 0/);
    expect(err({ endpoints: [] })).toMatch(/checks\[0\]\.endpoints: .*expected a list of endpoints, each with name and address/);
  });
});

describe('deploy/videoconf-14-endpoints.yaml', () => {
  it('is a valid agent config with the 14 endpoints, all on documentation addresses (it is never run)', () => {
    const cfg = loadAgentConfig(join(import.meta.dirname, '../../../deploy/videoconf-14-endpoints.yaml'));
    const endpoints = (cfg.checks[0].config as unknown as { endpoints: { address: string }[] }).endpoints;
    expect(endpoints).toHaveLength(14);
    for (const e of endpoints) expect(e.address).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
  });
});

describe('sysUpTime restart arithmetic', () => {
  it('a grown uptime is no restart, a short one is, and the 497-day wrap is not', () => {
    const wrap = 2 ** 32 / 100;
    // 60 s later the uptime grew by 60 s (or a little less, within 2 s + 0.3 s): no restart
    expect(restartedBetween({ uptimeSeconds: 1000, atMs: 0 }, { uptimeSeconds: 1060, atMs: 60_000 })).toBe(false);
    expect(restartedBetween({ uptimeSeconds: 1000, atMs: 0 }, { uptimeSeconds: 1058, atMs: 60_000 })).toBe(false);
    // 60 s later the uptime is 30 s: booted 30 s ago
    expect(restartedBetween({ uptimeSeconds: 1000, atMs: 0 }, { uptimeSeconds: 30, atMs: 60_000 })).toBe(true);
    // a restart right after the previous reading still leaves the uptime short of prev + elapsed
    expect(restartedBetween({ uptimeSeconds: 10, atMs: 0 }, { uptimeSeconds: 55, atMs: 60_000 })).toBe(true);
    // the counter wrapped: (wrap - 20) + 60 = 40 modulo the wrap
    expect(restartedBetween({ uptimeSeconds: Math.floor(wrap) - 20, atMs: 0 }, { uptimeSeconds: 40, atMs: 60_000 })).toBe(false);
  });
});
