// The mail_domain check against Debian's NSD on loopback serving good and bad SPF, DMARC, MTA-STS,
// TLS-RPT and DKIM records, an SMTP server with STARTTLS (npm smtp-server) as the MX, one without, and a
// loopback HTTPS server serving the MTA-STS policies.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { AGENT_BIN, runCli, writeYaml } from '../../../test/support/agent.ts';
import { startDnsServer, zone, type DnsTestServer } from '../../../test/support/dns-server.ts';
import { makePki, MAIL_NAME, type Pki } from '../../../test/support/pki.ts';
import { missing } from '../../../test/support/require.ts';
import { startSmtpServer, type Running } from '../../../test/support/tls-servers.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { mxMatches, parseStsPolicy, spfTerms } from './records.ts';
import { mailDomainCheck } from './index.ts';

// Network safety: DNS questions go to NSD on 127.0.0.1; every name of the zones (under .invalid,
// RFC 6761) points at 127.0.0.1, where this file's SMTP and HTTPS servers listen.

const ZONE = 'canhgac.invalid';
const GOOD = ZONE;
const BAD = `xa.${ZONE}`;
const EMPTY = `huyen.${ZONE}`;
const MIXED = `phuong.${ZONE}`;

function records(): string[] {
  return [
    // The good domain: MX with STARTTLS and a certificate for its name, SPF with one include, DMARC reject
    // with reports, MTA-STS enforcing, TLS-RPT, a DKIM key.
    '@ IN MX 10 mail.canhgac.invalid.',
    'mail IN A 127.0.0.1',
    '@ IN TXT "v=spf1 ip4:127.0.0.0/8 include:_spf.canhgac.invalid -all"',
    '_spf IN TXT "v=spf1 a mx -all"',
    '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@canhgac.invalid"',
    '_mta-sts IN TXT "v=STSv1; id=20261201T000000"',
    'mta-sts IN A 127.0.0.1',
    '_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@canhgac.invalid"',
    'default._domainkey IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest"',
    // The bad domain: an MX without STARTTLS, SPF with +all and 12 lookups, DMARC p=none without rua,
    // an _mta-sts record whose policy host does not exist, no TLS-RPT, a listed DKIM selector revoked.
    'xa IN MX 10 mx.xa.canhgac.invalid.',
    'mx.xa IN A 127.0.0.1',
    'xa IN TXT "v=spf1 a mx include:l1.xa.canhgac.invalid include:xa.canhgac.invalid +all"',
    'l1.xa IN TXT "v=spf1 a mx ptr exists:%{i}.x.invalid include:l2.xa.canhgac.invalid -all"',
    'l2.xa IN TXT "v=spf1 a a:b.invalid a:c.invalid mx mx:d.invalid ptr -all"',
    '_dmarc.xa IN TXT "v=DMARC1; p=none"',
    '_mta-sts.xa IN TXT "v=STSv1; id=1"',
    'sel1._domainkey.xa IN TXT "v=DKIM1; p="',
    // Nothing at all but two SPF records.
    'huyen IN TXT "v=spf1 -all"',
    'huyen IN TXT "v=spf1 ip4:192.0.2.0/24 -all"',
    // An MX whose certificate is for another name, and a testing MTA-STS policy that misses the MX.
    'phuong IN MX 10 mx1.phuong.canhgac.invalid.',
    'mx1.phuong IN A 127.0.0.1',
    'phuong IN TXT "v=spf1 mx -all"',
    '_dmarc.phuong IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@phuong.canhgac.invalid"',
    '_mta-sts.phuong IN TXT "v=STSv1; id=2"',
    'mta-sts.phuong IN A 127.0.0.1',
    '_smtp._tls.phuong IN TXT "v=TLSRPTv1; rua=mailto:t@phuong.canhgac.invalid"',
  ];
}

const POLICIES: Record<string, string> = {
  [`mta-sts.${GOOD}`]: `version: STSv1\r\nmode: enforce\r\nmx: ${MAIL_NAME}\r\nmax_age: 86400\r\n`,
  [`mta-sts.${MIXED}`]: 'version: STSv1\nmode: testing\nmx: *.other.invalid\nmax_age: 86400\n',
};

describe('mail_domain record parsing', () => {
  it('counts SPF lookups, reads all, includes and redirect; reads MTA-STS policies; matches mx patterns', () => {
    expect(spfTerms('v=spf1 ip4:192.0.2.0/24 a mx include:_spf.example.vn ~all')).toEqual({ lookups: 3, includes: ['_spf.example.vn'], all: '~all' });
    expect(spfTerms('v=spf1 redirect=_spf.example.vn').redirect).toBe('_spf.example.vn');
    expect(spfTerms('v=spf1 all').all).toBe('+all');
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmx: mail.example.vn\nmx: *.example.vn\nmax_age: 604800\n')).toEqual({ version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mail.example.vn', '*.example.vn'] });
    expect(mxMatches('*.example.vn', 'mx1.example.vn')).toBe(true);
    expect(mxMatches('*.example.vn', 'a.b.example.vn')).toBe(false);
    expect(mxMatches('mail.example.vn', 'MAIL.example.vn.')).toBe(true);
  });
});

const skip = missing({ commands: ['nsd', 'openssl'] });

describe.skipIf(skip)('mail_domain against NSD, SMTP and HTTPS servers on loopback', () => {
  let ns: DnsTestServer;
  let pki: Pki;
  let dir: string;
  let mx: Running;
  let wrongMx: Running;
  let plainMx: Running;
  let https: Server;
  let httpsPort: number;
  let caFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canhgac-mail-'));
    [ns, pki] = await Promise.all([startDnsServer({ [ZONE]: zone(ZONE, 2026120101, records()) }), makePki()]);
    // The MTA-STS hosts' certificate: self-signed for both policy names, trusted through `ca` like the test root.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'sts.key'), '-out', join(dir, 'sts.pem'), '-days', '30', '-subj', `/CN=mta-sts.${GOOD}`, '-addext', `subjectAltName=DNS:mta-sts.${GOOD},DNS:mta-sts.${MIXED}`], { stdio: 'ignore' });
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pki.rootPem + readFileSync(join(dir, 'sts.pem'), 'utf8'));
    const mail = pki.leaves.mail;
    [mx, wrongMx, plainMx] = await Promise.all([
      startSmtpServer({ key: mail.key, cert: mail.chainPem }),
      startSmtpServer({ key: pki.leaves.good.key, cert: pki.leaves.good.chainPem }),
      startSmtpServer({ key: mail.key, cert: mail.chainPem, offerStartTls: false }),
    ]);
    https = createServer({ key: readFileSync(join(dir, 'sts.key')), cert: readFileSync(join(dir, 'sts.pem')) }, (req, res) => {
      const policy = POLICIES[String(req.headers.host)];
      if (req.url !== '/.well-known/mta-sts.txt' || !policy) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(policy);
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', () => r()));
    httpsPort = (https.address() as AddressInfo).port;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([ns?.stop(), mx?.close(), wrongMx?.close(), plainMx?.close()]);
    await new Promise<void>((r) => (https ? https.close(() => r()) : r()));
    pki?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function run(domains: object[], server = ns.server, timeoutMs = 10_000): Promise<WireSample[]> {
    const recorder = new SampleRecorder();
    const config = { type: 'mail_domain', interval: '1h', timeout: `${timeoutMs}ms`, intervalMs: 3_600_000, timeoutMs, server, ca: caFile, maxMx: 5, domains: domains.map((d) => ({ smtpPort: 25, httpsPort, ...d })) };
    expect(mailDomainCheck.validate!(config as never, 'checks[0]')).toEqual([]);
    await mailDomainCheck.run(config as never, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} }) });
    for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
    return recorder.samples;
  }
  const summary = (samples: WireSample[], domain: string) => samples.find((s) => s.measurement === 'mail_domain' && s.tags.domain === domain)!;
  const problems = (samples: WireSample[], domain: string) => samples.filter((s) => s.measurement === 'mail_domain_problem' && s.tags.domain === domain).map((s) => s.tags.problem);

  it('a well-kept domain scores 100 with no problem', async () => {
    const samples = await run([{ domain: GOOD, smtpPort: mx.port, dkimSelectors: ['default'] }]);
    expect(problems(samples, GOOD)).toEqual([]);
    expect(summary(samples, GOOD).tags).toEqual({ domain: GOOD, result: 'ok' });
    expect(summary(samples, GOOD).fields).toMatchObject({
      up: 1,
      score_percent: 100,
      problems: 0,
      mx_count: 1,
      mx_starttls_ok: 1,
      mx_cert_ok: 1,
      spf_ok: 1,
      spf_lookups: 3,
      dmarc_ok: 1,
      dmarc_policy: 'reject',
      mta_sts_ok: 1,
      mta_sts_mode: 'enforce',
      tls_rpt_ok: 1,
      dkim_ok: 1,
    });
    expect(Number(summary(samples, GOOD).fields.mx_cert_days_left)).toBeGreaterThan(85);
  });

  it('a neglected domain: no STARTTLS, +all, too many SPF lookups, DMARC p=none without rua, a broken MTA-STS, no TLS-RPT, a revoked DKIM key', async () => {
    const samples = await run([{ domain: BAD, smtpPort: plainMx.port, dkimSelectors: ['sel1'] }]);
    expect(problems(samples, BAD)).toEqual(['mx_no_starttls', 'spf_plus_all', 'spf_too_many_lookups', 'dmarc_policy_none', 'dmarc_no_rua', 'mta_sts_policy', 'tls_rpt_missing', 'dkim_missing']);
    const s = summary(samples, BAD);
    expect(s.fields).toMatchObject({ up: 1, problems: 8, mx_starttls_ok: 0, spf_ok: 0, dmarc_ok: 0, dmarc_policy: 'none', mta_sts_ok: 0, tls_rpt_ok: 0, dkim_ok: 0 });
    expect(Number(s.fields.spf_lookups)).toBeGreaterThan(10);
    // Applied weights: mx 8, starttls 4, spf 4 + 4 + 8 + 2, dmarc 4 + 2 + 1, mta-sts 2 + 2, tls-rpt 1, dkim 4 = 46; lost 4 + 8 + 2 + 2 + 1 + 2 + 1 + 4 = 24.
    expect(s.fields.score_percent).toBe(47.83);
    const byId = Object.fromEntries(samples.filter((x) => x.measurement === 'mail_domain_problem').map((x) => [x.tags.problem, x]));
    expect(byId.spf_plus_all.tags.severity).toBe('critical');
    expect(byId.spf_plus_all.fields.detail).toBe('"+all" in: v=spf1 a mx include:l1.xa.canhgac.invalid include:xa.canhgac.invalid +all');
    expect(String(byId.spf_plus_all.fields.remediation)).toMatch(/^SPF kết thúc bằng "\+all"/);
    expect(String(byId.mx_no_starttls.fields.detail)).toContain(`mx.xa.canhgac.invalid:${plainMx.port}`);
    expect(byId.mta_sts_policy.fields.detail).toBe(`mta-sts.${BAD} has no A or AAAA record`);
  });

  it('nothing published: no MX, two SPF records, no DMARC, no MTA-STS', async () => {
    const samples = await run([{ domain: EMPTY }]);
    expect(problems(samples, EMPTY)).toEqual(['mx_missing', 'spf_multiple', 'dmarc_missing', 'mta_sts_missing', 'tls_rpt_missing']);
    expect(summary(samples, EMPTY).fields).toMatchObject({ mx_count: 0, spf_ok: 0, dmarc_ok: 0, mta_sts_ok: 0 });
    expect(summary(samples, EMPTY).fields.dkim_ok).toBeUndefined();
  });

  it("an MX certificate for another name, and a testing MTA-STS policy that misses the MX", async () => {
    const samples = await run([{ domain: MIXED, smtpPort: wrongMx.port }]);
    expect(problems(samples, MIXED)).toEqual(['mx_certificate', 'mta_sts_testing', 'mta_sts_mx_mismatch']);
    const byId = Object.fromEntries(samples.filter((x) => x.measurement === 'mail_domain_problem').map((x) => [x.tags.problem, x.fields.detail]));
    expect(byId.mx_certificate).toBe(`mx1.${MIXED}: certificate not valid for mx1.${MIXED}`);
    expect(byId.mta_sts_mx_mismatch).toBe(`MX not in the policy: mx1.${MIXED} (policy mx: *.other.invalid)`);
    expect(summary(samples, MIXED).fields).toMatchObject({ mx_starttls_ok: 1, mx_cert_ok: 0, mta_sts_mode: 'testing', mta_sts_ok: 0 });
  });

  it('a DNS server that never answers is result=timeout for the domain, within the timeout', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      const started = Date.now();
      const samples = await run([{ domain: GOOD }], `127.0.0.1:${silent.address().port}`, 1000);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(summary(samples, GOOD).tags.result).toBe('timeout');
      expect(summary(samples, GOOD).fields.up).toBe(0);
    } finally {
      silent.close();
    }
  });

  it('through the agent: `canhgac-agent once --json`', async () => {
    const file = writeYaml(join(dir, 'agent.yaml'), {
      checks: [{ type: 'mail_domain', server: ns.server, ca: caFile, domains: [{ domain: GOOD, smtpPort: mx.port, httpsPort, dkimSelectors: ['default'] }, { domain: EMPTY }] }],
    });
    const r = await runCli(AGENT_BIN, ['once', '--config', file, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const samples = (JSON.parse(r.stdout) as WireSample[]).filter((s) => s.measurement.startsWith('mail_domain'));
    if (process.env.CANHGAC_PRINT_EXAMPLE) console.log(samples.map((s) => JSON.stringify(s)).join('\n'));
    // Domains are checked side by side: sorted by name here.
    expect(samples.filter((s) => s.measurement === 'mail_domain').map((s) => [s.tags.domain, s.fields.score_percent]).sort()).toEqual([
      [GOOD, 100],
      [EMPTY, 42.42],
    ]);
  }, 60_000);
});
