// The mail_domain check's network reads: DNS questions to one server, the STARTTLS handshake of each MX
// (the tls check's handshake) with its certificate judged, and the MTA-STS policy file over HTTPS.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { certificatesFromPem, daysUntil, issuedBy } from '../common/certificate.ts';
import { dnsQuery, type DnsServer } from '../common/dns-client.ts';
import { normaliseName, type RecordType } from '../common/dns-wire.ts';
import { handshake } from '../common/tls-handshake.ts';

export class DnsUnavailable extends Error {
  constructor(
    message: string,
    readonly result: 'timeout' | 'error',
  ) {
    super(message);
  }
}

export interface Dns {
  /** Answers of `type` for `name`; [] for NXDOMAIN or no record; throws DnsUnavailable when the server does not answer usefully. */
  ask(name: string, type: RecordType): Promise<string[]>;
  /** Questions asked so far (a bound against a hostile zone). */
  readonly asked: number;
}

/** At most this many DNS questions per domain and run (SPF includes are the ones that multiply). */
export const MAX_QUESTIONS = 60;

export function dnsFor(server: DnsServer, timeoutMs: number, signal: AbortSignal): Dns {
  let asked = 0;
  return {
    get asked() {
      return asked;
    },
    async ask(name, type) {
      const n = normaliseName(name);
      if (n === undefined || n === '') return [];
      if (++asked > MAX_QUESTIONS) throw new DnsUnavailable(`more than ${MAX_QUESTIONS} DNS questions for one domain`, 'error');
      const outcome = await dnsQuery({ server, name: n, type, transport: 'udp', timeoutMs, signal });
      if (!outcome) throw new DnsUnavailable('stopped', 'timeout');
      if (!outcome.ok) throw new DnsUnavailable(`${type} ${n}: ${outcome.error}`, outcome.result);
      const rcode = outcome.message.rcode;
      if (rcode === 3) return [];
      if (rcode !== 0) throw new DnsUnavailable(`${type} ${n}: the server answered rcode ${rcode}`, 'error');
      return outcome.message.answers.filter((r) => r.type === type).map((r) => r.text);
    },
  };
}

/** System roots plus the configured CA file, read once per run. */
export function trustStore(caFile: string | undefined): X509Certificate[] {
  const pems = [...rootCertificates];
  if (caFile) pems.push(readFileSync(caFile, 'utf8'));
  return pems.flatMap((p) => certificatesFromPem(p).certs);
}

/** Whether `chain` (leaf first, as sent) leads to a certificate of `roots`, at most 10 steps. */
export function chainTrusted(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): boolean {
  let cert = chain[0];
  for (let step = 0; step < 10 && cert; step++) {
    if (roots.some((r) => r.fingerprint256 === cert.fingerprint256 || issuedBy(cert, r))) return true;
    const parent = chain.find((c) => c !== cert && issuedBy(cert, c));
    if (!parent) return false;
    cert = parent;
  }
  return false;
}

export interface MxReport {
  host: string;
  starttls: boolean;
  certOk?: boolean;
  daysLeft?: number;
  /** Why STARTTLS or the certificate failed, in English. */
  problem?: string;
}

/** One MX: its address from the same DNS server, then STARTTLS and the certificate for the MX name. */
export async function checkMx(host: string, port: number, dns: Dns, roots: readonly X509Certificate[], timeoutMs: number, signal: AbortSignal): Promise<MxReport> {
  const address = isIP(host) ? host : (await dns.ask(host, 'A'))[0] ?? (await dns.ask(host, 'AAAA'))[0];
  if (!address) return { host, starttls: false, problem: `${host}: the MX name has no A or AAAA record` };
  const outcome = await handshake({ address, port, servername: isIP(host) ? undefined : host, starttls: 'smtp', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', timeoutMs, signal });
  if (!outcome) return { host, starttls: false, problem: `${host}: stopped` };
  if (!outcome.ok) return { host, starttls: false, problem: `${host}:${port}: ${outcome.error} (${outcome.result})` };
  const leaf = outcome.chain[0];
  const daysLeft = daysUntil(Date.parse(leaf.validTo), Date.now());
  const issues: string[] = [];
  if (daysLeft < 0) issues.push('expired');
  if (!chainTrusted(outcome.chain, roots)) issues.push('untrusted');
  if (!isIP(host) && leaf.checkHost(host) === undefined) issues.push(`not valid for ${host}`);
  return { host, starttls: true, certOk: issues.length === 0, daysLeft, problem: issues.length ? `${host}: certificate ${issues.join(', ')}` : undefined };
}

/** Largest policy file read (RFC 8461 policies are a few lines). */
const MAX_POLICY_BYTES = 64 * 1024;

/** https://mta-sts.<domain>/.well-known/mta-sts.txt, trusted against `roots`, the host resolved by `dns`. */
export async function fetchStsPolicy(domain: string, port: number, dns: Dns, roots: readonly X509Certificate[], timeoutMs: number, signal: AbortSignal): Promise<{ text?: string; error?: string }> {
  const host = `mta-sts.${domain}`;
  const address = (await dns.ask(host, 'A'))[0] ?? (await dns.ask(host, 'AAAA'))[0];
  if (!address) return { error: `${host} has no A or AAAA record` };
  const ca = roots.map((c) => c.toString());
  return new Promise((resolve) => {
    const req = request(
      { host: address, port, path: '/.well-known/mta-sts.txt', method: 'GET', servername: host, headers: { host }, ca, timeout: timeoutMs, signal, agent: false },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return resolve({ error: `https://${host}/.well-known/mta-sts.txt answered HTTP ${res.statusCode} (redirects are not followed, RFC 8461 3.3)` });
        }
        let size = 0;
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_POLICY_BYTES) {
            req.destroy();
            return resolve({ error: `the policy file is larger than ${MAX_POLICY_BYTES} bytes` });
          }
          chunks.push(d);
        });
        res.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => resolve({ error: `https://${host}/.well-known/mta-sts.txt: ${err.message}`.slice(0, 300) }));
    req.end();
  });
}
