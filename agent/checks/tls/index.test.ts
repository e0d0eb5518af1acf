import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSample, type WireSample } from '../../../protocol/index.ts';
import { createLogger } from '../../log.ts';
import { SampleRecorder } from '../../recorder.ts';
import { makePki, MAIL_NAME, SNI_NAME, type LeafName, type Pki } from '../../../test/support/pki.ts';
import {
  closedPort,
  startPlainTextServer,
  startSilentServer,
  startSmtpServer,
  startStartTlsServer,
  startTlsServer,
  type Running,
} from '../../../test/support/tls-servers.ts';
import { AGENT_BIN, runCli, waitFor, writeYaml } from '../../../test/support/agent.ts';
import { missing } from '../../../test/support/require.ts';
import { freePort } from '../../../scripts/lib/influxd.ts';
import { parseAgentConfig } from '../../config.ts';
import { tlsCheck } from './index.ts';

// Network safety: every server below listens on 127.0.0.1 and every name is under .invalid.

const DAY = 86_400_000;
let pki: Pki;
let caFile: string;
const servers: Partial<Record<string, Running>> = {};
const port = (name: string) => servers[name]!.port;
const target = (name: string) => `127.0.0.1:${port(name)}`;

type Extra = { sni?: string; starttls?: 'smtp' | 'imap' | 'pop3' | 'ftp'; ca?: string; legacyCheck?: boolean; timeoutMs?: number };

async function run(targets: string[], extra: Extra = {}): Promise<WireSample[]> {
  const recorder = new SampleRecorder();
  const timeoutMs = extra.timeoutMs ?? 5000;
  const { timeoutMs: _t, ...keys } = extra;
  const config = { type: 'tls', name: 'test', group: 'lab', interval: '60s', timeout: `${timeoutMs}ms`, intervalMs: 60_000, timeoutMs, targets, legacyCheck: true, concurrency: 32, ...keys };
  expect(tlsCheck.validate!(config, 'checks[0]')).toEqual([]);
  await tlsCheck.run(config, { recorder, signal: new AbortController().signal, log: createLogger({ write: () => {} }) });
  for (const s of recorder.samples) expect(validateSample(s)).toMatchObject({ ok: true });
  return recorder.samples;
}

async function one(name: string, extra: Extra = {}): Promise<WireSample> {
  const samples = await run([target(name)], { ca: caFile, ...extra });
  expect(samples).toHaveLength(1);
  return samples[0];
}

/** Days left as a user would compute it from the certificate, at the sample's time. */
function daysAt(notAfter: Date, s: WireSample): number {
  return (notAfter.getTime() - Date.parse(s.time)) / DAY;
}

const LEAF_SERVERS: LeafName[] = ['good', 'd29', 'd6', 'expired', 'selfSigned', 'wrongHost', 'rsa1024', 'sha1', 'shortChain'];

beforeAll(async () => {
  pki = await makePki();
  caFile = join(pki.dir, 'trusted-ca.pem');
  writeFileSync(caFile, pki.rootPem);
  const started = await Promise.all([
    ...LEAF_SERVERS.map(async (n) => [n, await startTlsServer({ key: pki.leaves[n].key, cert: pki.leaves[n].chainPem })] as const),
    (async () => ['legacy', await startTlsServer({ key: pki.leaves.good.key, cert: pki.leaves.good.chainPem, minVersion: 'TLSv1' })] as const)(),
    (async () => ['tls10only', await startTlsServer({ key: pki.leaves.good.key, cert: pki.leaves.good.chainPem, minVersion: 'TLSv1', maxVersion: 'TLSv1' })] as const)(),
    (async () => ['sni', await startTlsServer({ key: pki.leaves.wrongHost.key, cert: pki.leaves.wrongHost.chainPem, byName: { [SNI_NAME]: { key: pki.leaves.sni.key, cert: pki.leaves.sni.chainPem } } })] as const)(),
    (async () => ['smtp', await startSmtpServer({ key: pki.leaves.mail.key, cert: pki.leaves.mail.chainPem })] as const)(),
    (async () => ['smtpNoTls', await startSmtpServer({ key: pki.leaves.mail.key, cert: pki.leaves.mail.chainPem, offerStartTls: false })] as const)(),
    (async () => ['imap', await startStartTlsServer('imap', { key: pki.leaves.mail.key, cert: pki.leaves.mail.chainPem })] as const)(),
    (async () => ['pop3', await startStartTlsServer('pop3', { key: pki.leaves.mail.key, cert: pki.leaves.mail.chainPem })] as const)(),
    (async () => ['ftp', await startStartTlsServer('ftp', { key: pki.leaves.mail.key, cert: pki.leaves.mail.chainPem })] as const)(),
    (async () => ['silent', await startSilentServer()] as const)(),
    (async () => ['plain', await startPlainTextServer()] as const)(),
  ]);
  for (const [name, s] of started) servers[name] = s;
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s?.close()));
  pki?.cleanup();
});

describe('tls check: what a certificate says', () => {
  it('reads every field of a good chain: dates, names, key, signature, trust, host name, protocol', async () => {
    const s = await one('good');
    const leaf = pki.leaves.good;
    expect(s.tags).toEqual({
      target: target('good'),
      name: 'test',
      group: 'lab',
      subject_cn: 'localhost',
      issuer_cn: 'Canh Gac Test Intermediate CA',
      result: 'ok',
    });
    expect(s.fields).toMatchObject({
      up: 1,
      expired: 0,
      chain_valid: 1,
      hostname_match: 1,
      self_signed: 0,
      legacy_tls: 0,
      weak_key: 0,
      weak_signature: 0,
      key_bits: 2048,
      key_type: 'rsa',
      signature_algorithm: 'sha256WithRSAEncryption',
      serial: leaf.serial,
      chain_certs: 2,
      tls_version: 'TLSv1.3',
      // The intermediate outlives the leaf, so the earliest expiry is the leaf's.
      not_after_seconds: leaf.notAfter.getTime() / 1000,
      leaf_not_after_seconds: leaf.notAfter.getTime() / 1000,
    });
    expect(s.fields.days_left).toBeCloseTo(daysAt(leaf.notAfter, s), 4);
    expect(s.fields.days_left).toBeGreaterThan(399.9);
    expect(s.fields.earliest_days_left).toBe(s.fields.days_left);
    expect(s.fields.sans).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(s.fields.handshake_ms).toBeGreaterThan(0);
    expect(s.fields.error).toBeUndefined();
  });

  it('reports a chain of a CA that is not trusted as chain_valid=0, and still reads it', async () => {
    const s = await one('good', { ca: undefined });
    expect(s.tags.result).toBe('ok');
    expect(s.fields).toMatchObject({ up: 1, chain_valid: 0, hostname_match: 1, expired: 0 });
    expect(s.fields.days_left).toBeGreaterThan(399.9);
  });

  it.each([
    ['d29', 29],
    ['d6', 6],
  ] as const)('counts fractional days left for a leaf valid %s more days', async (name, days) => {
    const s = await one(name);
    expect(s.fields.days_left).toBeCloseTo(daysAt(pki.leaves[name].notAfter, s), 4);
    expect(s.fields.days_left).toBeGreaterThan(days - 0.01);
    expect(s.fields.days_left).toBeLessThanOrEqual(days);
    expect(s.fields).toMatchObject({ expired: 0, chain_valid: 1, key_type: 'ec', key_bits: 256, signature_algorithm: 'sha256WithRSAEncryption' });
  });

  it('still reads a certificate that expired 3 days ago: negative days, expired=1, chain trusted', async () => {
    const s = await one('expired');
    expect(s.tags.result).toBe('ok');
    expect(s.fields).toMatchObject({ up: 1, expired: 1, chain_valid: 1, hostname_match: 1 });
    expect(s.fields.days_left).toBeCloseTo(daysAt(pki.leaves.expired.notAfter, s), 4);
    expect(s.fields.days_left).toBeLessThan(-2.99);
    expect(s.fields.days_left).toBeGreaterThan(-3.01);
    expect(s.fields.not_after_seconds).toBe(pki.leaves.expired.notAfter.getTime() / 1000);
  });

  it('flags a self-signed leaf, untrusted unless it is pinned with `ca`', async () => {
    const s = await one('selfSigned');
    expect(s.tags).toMatchObject({ subject_cn: 'localhost', issuer_cn: 'localhost' });
    expect(s.fields).toMatchObject({ up: 1, self_signed: 1, chain_valid: 0, chain_certs: 1, hostname_match: 1, signature_algorithm: 'ecdsa-with-SHA256' });
    const pinned = await one('selfSigned', { ca: pki.leaves.selfSigned.certFile });
    expect(pinned.fields).toMatchObject({ self_signed: 1, chain_valid: 1 });
  });

  it('flags a certificate for another host name', async () => {
    const s = await one('wrongHost');
    expect(s.tags.subject_cn).toBe('wrong-host.invalid');
    expect(s.fields).toMatchObject({ up: 1, hostname_match: 0, chain_valid: 1 });
  });

  it('flags a 1024-bit RSA key as weak', async () => {
    const s = await one('rsa1024');
    expect(s.fields).toMatchObject({ up: 1, weak_key: 1, key_bits: 1024, key_type: 'rsa', weak_signature: 0 });
  });

  it('flags a SHA-1 signature as weak (OpenSSL 3 signs with -md sha1; only verification refuses it)', async () => {
    const s = await one('sha1');
    expect(s.fields).toMatchObject({ up: 1, weak_signature: 1, signature_algorithm: 'sha1WithRSAEncryption', weak_key: 0, chain_valid: 1 });
  });

  it('reports the earliest expiry of the chain when the intermediate expires before the leaf', async () => {
    const s = await one('shortChain');
    const leafSeconds = pki.leaves.shortChain.notAfter.getTime() / 1000;
    const intSeconds = pki.shortIntermediateNotAfter.getTime() / 1000;
    expect(intSeconds).toBeLessThan(leafSeconds);
    expect(s.fields).toMatchObject({ not_after_seconds: intSeconds, leaf_not_after_seconds: leafSeconds, chain_valid: 1, chain_certs: 2 });
    expect(s.tags.issuer_cn).toBe('Canh Gac Test Short Intermediate');
    expect(s.fields.days_left).toBeGreaterThan(399.9);
    expect(s.fields.earliest_days_left).toBeCloseTo(daysAt(pki.shortIntermediateNotAfter, s), 4);
    expect(s.fields.earliest_days_left).toBeLessThan(20.001);
  });

  it('sets legacy_tls=1 for a server that also accepts TLS 1.0, 0 for one that does not', async () => {
    const [legacy, modern] = await Promise.all([one('legacy'), one('good')]);
    expect(legacy.fields).toMatchObject({ up: 1, legacy_tls: 1, tls_version: 'TLSv1.3' });
    expect(modern.fields.legacy_tls).toBe(0);
    const off = await one('legacy', { legacyCheck: false });
    expect(off.fields.legacy_tls).toBeUndefined();
  });

  it('makes the legacy handshake once per legacyInterval per endpoint (default 24h) and repeats its answer in between', async () => {
    // A server of its own, counting handshakes by the version agreed: the check's own record of what it sent.
    const versions: string[] = [];
    const server = createTlsServer({ key: pki.leaves.good.key, cert: pki.leaves.good.chainPem, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (sock) => {
      versions.push(sock.getProtocol() ?? '?');
      sock.on('error', () => undefined);
      sock.end();
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const t = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ctx = () => ({ recorder: new SampleRecorder(), signal: new AbortController().signal, log: createLogger({ write: () => {} }) });
    /** Handshakes the server saw per run (waiting for the expected number, then a little longer for extra ones), and legacy_tls. */
    const runs = async (config: object, expected: number[]) => {
      const perRun: [number, unknown][] = [];
      for (const n of expected) {
        const before = versions.length;
        const c = ctx();
        await tlsCheck.run(config as never, c);
        // The server counts a handshake when it completes, a moment after the client.
        await waitFor(async () => versions.length - before >= n || undefined, { timeoutMs: 5000, what: `${n} handshake(s) at the server` });
        await new Promise((r) => setTimeout(r, 100));
        perRun.push([versions.length - before, c.recorder.samples[0].fields.legacy_tls]);
      }
      return perRun;
    };
    try {
      const base = { type: 'tls', interval: '60s', timeout: '5s', intervalMs: 60_000, timeoutMs: 5000, targets: [t], legacyCheck: true, concurrency: 32 };
      expect(await runs({ ...base }, [2, 1, 1])).toEqual([[2, 1], [1, 1], [1, 1]]);
      expect(versions.slice(0, 2).sort()).toEqual(['TLSv1.1', 'TLSv1.3']);
      expect(await runs({ ...base, legacyInterval: '0s' }, [2, 2])).toEqual([[2, 1], [2, 1]]);
      const short = { ...base, legacyInterval: '300ms' };
      expect(await runs(short, [2, 1])).toEqual([[2, 1], [1, 1]]);
      await new Promise((r) => setTimeout(r, 350));
      expect(await runs(short, [2])).toEqual([[2, 1]]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('reads a server that speaks only TLS 1.0', async () => {
    const s = await one('tls10only');
    expect(s.fields).toMatchObject({ up: 1, legacy_tls: 1, tls_version: 'TLSv1', serial: pki.leaves.good.serial });
  });

  it('sends `sni` and matches the certificate against it', async () => {
    const withSni = await one('sni', { sni: SNI_NAME });
    expect(withSni.tags).toMatchObject({ sni: SNI_NAME, subject_cn: SNI_NAME });
    expect(withSni.fields).toMatchObject({ up: 1, hostname_match: 1 });
    const without = await one('sni');
    expect(without.tags.subject_cn).toBe('wrong-host.invalid');
    expect(without.fields.hostname_match).toBe(0);
  });
});

describe('tls check: every flag for every server of the test PKI', () => {
  // expired, chain_valid, hostname_match, self_signed, weak_key, weak_signature, legacy_tls
  const EXPECTED: Record<string, [number, number, number, number, number, number, number]> = {
    good: [0, 1, 1, 0, 0, 0, 0],
    d29: [0, 1, 1, 0, 0, 0, 0],
    d6: [0, 1, 1, 0, 0, 0, 0],
    expired: [1, 1, 1, 0, 0, 0, 0],
    selfSigned: [0, 0, 1, 1, 0, 0, 0],
    wrongHost: [0, 1, 0, 0, 0, 0, 0],
    rsa1024: [0, 1, 1, 0, 1, 0, 0],
    sha1: [0, 1, 1, 0, 0, 1, 0],
    shortChain: [0, 1, 1, 0, 0, 0, 0],
    legacy: [0, 1, 1, 0, 0, 0, 1],
  };
  it('matches the table, all servers probed in one run', async () => {
    const names = Object.keys(EXPECTED);
    const samples = await run(names.map(target), { ca: caFile });
    const got = Object.fromEntries(
      samples.map((s) => {
        const f = s.fields;
        return [names.find((n) => target(n) === s.tags.target)!, [f.expired, f.chain_valid, f.hostname_match, f.self_signed, f.weak_key, f.weak_signature, f.legacy_tls]];
      }),
    );
    expect(got).toEqual(EXPECTED);
  });
});

describe('tls check: STARTTLS', () => {
  it('reads the certificate of an SMTP server (smtp-server) after EHLO and STARTTLS', async () => {
    const s = await one('smtp', { starttls: 'smtp' });
    expect(s.tags).toMatchObject({ starttls: 'smtp', subject_cn: MAIL_NAME, result: 'ok' });
    expect(s.fields).toMatchObject({ up: 1, chain_valid: 1, hostname_match: 1, legacy_tls: 0, serial: pki.leaves.mail.serial });
    expect(s.fields.days_left).toBeCloseTo(daysAt(pki.leaves.mail.notAfter, s), 4);
  });

  it.each(['imap', 'pop3', 'ftp'] as const)('reads the certificate after the %s STARTTLS dialog', async (protocol) => {
    const s = await one(protocol, { starttls: protocol });
    expect(s.tags).toMatchObject({ starttls: protocol, subject_cn: MAIL_NAME, result: 'ok' });
    expect(s.fields).toMatchObject({ up: 1, serial: pki.leaves.mail.serial });
  });

  it('says so when the mail server does not offer STARTTLS', async () => {
    const s = await one('smtpNoTls', { starttls: 'smtp' });
    expect(s.tags.result).toBe('error');
    expect(s.fields).toEqual({ up: 0, error: 'the server does not offer STARTTLS' });
  });
});

describe('tls check: failures are data', () => {
  it('a closed port is refused, an unknown name dns_error, plain text tls_error, silence timeout', async () => {
    const closed = await closedPort();
    const samples = await run([`127.0.0.1:${closed}`, 'no-such-host.invalid:443', target('plain'), target('silent')], { timeoutMs: 700 });
    const by = Object.fromEntries(samples.map((s) => [s.tags.target, s]));
    expect(by[`127.0.0.1:${closed}`].tags.result).toBe('refused');
    expect(by['no-such-host.invalid:443'].tags.result).toBe('dns_error');
    expect(by[target('plain')].tags.result).toBe('tls_error');
    expect(by[target('silent')].tags.result).toBe('timeout');
    for (const s of samples) {
      expect(s.fields.up).toBe(0);
      expect(typeof s.fields.error).toBe('string');
      expect(s.fields.days_left).toBeUndefined();
    }
  });

  it('an unreadable `ca` file leaves chain_valid out but still reads the certificate', async () => {
    const s = await one('good', { ca: join(pki.dir, 'no-such-file.pem') });
    expect(s.fields.up).toBe(1);
    expect(s.fields.chain_valid).toBeUndefined();
    expect(s.fields.days_left).toBeGreaterThan(399.9);
  });
});

describe('tls check: the agent process', () => {
  it('`once --json` of a real agent process prints tls_cert samples', async () => {
    const config = writeYaml(join(pki.dir, 'agent.yaml'), {
      checks: [{ type: 'tls', name: 'portal', targets: [target('good'), target('expired')], ca: caFile, interval: '1h', timeout: '5s' }],
    });
    const r = await runCli(AGENT_BIN, ['once', '--config', config, '--json']);
    expect(r.code).toBe(0);
    const samples = (JSON.parse(r.stdout) as WireSample[]).filter((s) => s.measurement === 'tls_cert');
    expect(samples.map((s) => [s.tags.target, s.fields.expired]).sort()).toEqual([[target('expired'), 1], [target('good'), 0]].sort());

  });

  it('a bad key in the YAML is a config error naming the key and what was expected', () => {
    const bad = { checks: [{ type: 'tls', targets: ['portal.invalid'], starttls: 'smtps', sni: '192.0.2.1' }] };
    expect(() => parseAgentConfig('agent.yaml', bad)).toThrow('agent.yaml: checks[0].starttls: expected one of "smtp", "imap", "pop3", "ftp", got "smtps"');
  });

  it('validation names each bad target and an IP given as sni', () => {
    const base = { type: 'tls', interval: '1h', timeout: '10s', intervalMs: 3_600_000, timeoutMs: 10_000, legacyCheck: true, concurrency: 32 };
    const issues = tlsCheck.validate!({ ...base, targets: ['portal.example.vn:443', 'portal.example.vn', 'x:0'], sni: '192.0.2.1' }, 'checks[3]');
    expect(issues.map((i) => i.path)).toEqual(['checks[3].targets[1]', 'checks[3].targets[2]', 'checks[3].sni']);
    expect(issues[2].message).toBe('expected a host name (not an IP address), got "192.0.2.1"');
  });
});

describe.skipIf(missing({ commands: ['prometheus-blackbox-exporter'] }))('tls check: cross-check with Prometheus blackbox_exporter', () => {
  let exporter: ChildProcess | undefined;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    const config = join(pki.dir, 'blackbox.yml');
    writeFileSync(config, BLACKBOX_MODULES);
    exporter = spawn('prometheus-blackbox-exporter', [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    url = `http://127.0.0.1:${port}`;
    // Ready when it answers; bounded at 15 s.
    for (let i = 0; i < 150; i++) {
      if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('blackbox_exporter did not start');
  }, 30_000);

  afterAll(() => {
    exporter?.kill('SIGTERM');
  });

  async function probe(module: string, tgt: string): Promise<Record<string, number>> {
    const text = await (await fetch(`${url}/probe?module=${module}&target=${encodeURIComponent(tgt)}`)).text();
    return Object.fromEntries(
      text
        .split('\n')
        .filter((l) => /^probe_(success|ssl_earliest_cert_expiry) /.test(l))
        .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]),
    );
  }

  it.each(['good', 'd29', 'd6', 'expired', 'shortChain', 'selfSigned', 'rsa1024', 'sha1', 'legacy'])(
    'earliest expiry of %s equals probe_ssl_earliest_cert_expiry to the second',
    async (name) => {
      const [ours, theirs] = await Promise.all([one(name), probe('tls_connect', target(name))]);
      expect(theirs.probe_success).toBe(1);
      expect(ours.fields.not_after_seconds).toBe(theirs.probe_ssl_earliest_cert_expiry);
    },
  );

  it('the same through SMTP STARTTLS (smtp-server)', async () => {
    const [ours, theirs] = await Promise.all([one('smtp', { starttls: 'smtp' }), probe('smtp_starttls', target('smtp'))]);
    expect(theirs.probe_success).toBe(1);
    expect(ours.fields.not_after_seconds).toBe(theirs.probe_ssl_earliest_cert_expiry);
  });
});

const BLACKBOX_MODULES = `modules:
  tls_connect:
    prober: tcp
    timeout: 5s
    tcp:
      preferred_ip_protocol: ip4
      tls: true
      tls_config:
        insecure_skip_verify: true
  smtp_starttls:
    prober: tcp
    timeout: 5s
    tcp:
      preferred_ip_protocol: ip4
      query_response:
        - expect: "^220"
        - send: "EHLO prober\\r"
        - expect: "^250 "
        - send: "STARTTLS\\r"
        - expect: "^220"
        - starttls: true
      tls_config:
        insecure_skip_verify: true
`;
