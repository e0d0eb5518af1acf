// The mail_domain check: for each mail domain, its MX hosts with STARTTLS and their certificates, SPF,
// DMARC, MTA-STS (record and policy), TLS-RPT and the listed DKIM selectors; a score and the problems.
import type { FieldsOf } from '../../../protocol/index.ts';
import { systemResolver, type DnsServer } from '../common/dns-client.ts';
import { elapsedMs, forEachLimited, resolveHost } from '../common/probe.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { checkMx, dnsFor, DnsUnavailable, fetchStsPolicy, trustStore, type Dns, type MxReport } from './lookups.ts';
import { PROBLEMS, WEIGHTS, type Found, type ProblemId } from './problems.ts';
import { mxMatches, parseStsPolicy, recordsWith, spfTerms, tagList } from './records.ts';
import { mailDomainSpec, type DomainConfig, type MailDomainConfig } from './spec.ts';
import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';

export const mailDomainCheck = defineCheck({ ...mailDomainSpec, run: runMailDomain });

type Fields = FieldsOf<'mail_domain'>;

/** One domain's verdict: which checks applied, which failed (with what was seen) and the fields. */
interface Verdict {
  applied: Set<ProblemId>;
  found: Found[];
  fields: Partial<Fields>;
}

async function runMailDomain(config: MailDomainConfig, ctx: CheckContext): Promise<void> {
  const server = await serverOf(config);
  let roots: X509Certificate[] = [];
  let rootsError: string | undefined;
  try {
    roots = trustStore(config.ca);
  } catch (err) {
    rootsError = `cannot read ca ${config.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const notStarted = await forEachLimited(config.domains, 4, ctx.signal, async (d) => {
    const domain = d.domain.toLowerCase().replace(/\.$/, '');
    if (!server.server || rootsError) {
      ctx.recorder.record('mail_domain', { domain, result: 'error' }, { up: 0, error: server.error ?? rootsError! });
      return;
    }
    const started = performance.now();
    const budget = AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeoutMs)]);
    const dns = dnsFor(server.server, Math.min(5000, config.timeoutMs), budget);
    try {
      const v = await judgeDomain(domain, d, dns, roots, config, budget);
      record(domain, v, elapsedMs(started), ctx);
    } catch (err) {
      if (ctx.signal.aborted) return;
      const e = err instanceof DnsUnavailable ? err : new DnsUnavailable((err as Error).message ?? String(err), 'error');
      ctx.recorder.record('mail_domain', { domain, result: budget.aborted ? 'timeout' : e.result }, { up: 0, error: clip(e.message, 300), check_ms: elapsedMs(started) });
    }
  });
  if (notStarted > 0) ctx.log.warn('mail_domain run stopped before every domain was checked', { unchecked: notStarted });
}

async function serverOf(config: MailDomainConfig): Promise<{ server?: DnsServer; error?: string }> {
  if (!config.server) {
    const sys = systemResolver();
    return sys ? { server: sys } : { error: 'no DNS server in the system resolver configuration' };
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(config.server) ?? /^([^:]+):(\d+)$/.exec(config.server);
  const host = m ? m[1] : config.server;
  const port = m ? Number(m[2]) : 53;
  if (isIP(host)) return { server: { address: host, port } };
  try {
    return { server: { address: (await resolveHost(host)).address, port } };
  } catch {
    return { error: `the DNS server name ${host} does not resolve` };
  }
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function record(domain: string, v: Verdict, checkMs: number, ctx: CheckContext): void {
  let total = 0;
  let lost = 0;
  for (const id of v.applied) total += WEIGHTS[PROBLEMS[id].severity];
  const failed = new Set(v.found.map((f) => f.id));
  for (const id of failed) lost += WEIGHTS[PROBLEMS[id].severity];
  const fields: Fields = { up: 1, ...v.fields, score_percent: total ? Math.round(((total - lost) / total) * 10_000) / 100 : 100, problems: v.found.length, check_ms: checkMs };
  ctx.recorder.record('mail_domain', { domain, result: 'ok' }, fields);
  for (const f of v.found) {
    const spec = PROBLEMS[f.id];
    ctx.recorder.record('mail_domain_problem', { domain, problem: f.id, severity: spec.severity }, { weight: WEIGHTS[spec.severity], detail: clip(f.detail, 300), remediation: spec.vi });
  }
}

async function judgeDomain(domain: string, d: DomainConfig, dns: Dns, roots: readonly X509Certificate[], config: MailDomainConfig, signal: AbortSignal): Promise<Verdict> {
  const v: Verdict = { applied: new Set(), found: [], fields: {} };
  const check = (id: ProblemId, ok: boolean, detail: string) => {
    v.applied.add(id);
    if (!ok) v.found.push({ id, detail });
  };
  const mxHosts = await judgeMx(domain, d, dns, roots, config, signal, v, check);
  await judgeSpf(domain, dns, v, check);
  await judgeDmarc(domain, dns, v, check);
  await judgeMtaSts(domain, d, mxHosts, dns, roots, config, signal, v, check);
  const rpt = recordsWith(await dns.ask(`_smtp._tls.${domain}`, 'TXT'), 'v=TLSRPTv1');
  check('tls_rpt_missing', rpt.length > 0, `no "v=TLSRPTv1" TXT record at _smtp._tls.${domain}`);
  v.fields.tls_rpt_ok = rpt.length > 0 ? 1 : 0;
  if (d.dkimSelectors?.length) {
    const missing: string[] = [];
    for (const sel of d.dkimSelectors) {
      const keys = (await dns.ask(`${sel}._domainkey.${domain}`, 'TXT')).filter((t) => tagList(t).get('p'));
      if (keys.length === 0) missing.push(sel);
    }
    check('dkim_missing', missing.length === 0, `no DKIM public key for selector(s) ${missing.join(', ')} at <selector>._domainkey.${domain}`);
    v.fields.dkim_ok = missing.length === 0 ? 1 : 0;
  }
  return v;
}

type Check = (id: ProblemId, ok: boolean, detail: string) => void;

async function judgeMx(domain: string, d: DomainConfig, dns: Dns, roots: readonly X509Certificate[], config: MailDomainConfig, signal: AbortSignal, v: Verdict, check: Check): Promise<string[]> {
  const mx = (await dns.ask(domain, 'MX'))
    .map((t) => t.split(' '))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map((p) => p[1] ?? '')
    .filter((h) => h !== '');
  v.fields.mx_count = mx.length;
  check('mx_missing', mx.length > 0, `no MX record for ${domain}`);
  if (mx.length === 0) return [];
  const reports: MxReport[] = [];
  for (const host of mx.slice(0, config.maxMx)) reports.push(await checkMx(host, d.smtpPort, dns, roots, Math.min(10_000, config.timeoutMs), signal));
  const noTls = reports.filter((r) => !r.starttls);
  check('mx_no_starttls', noTls.length === 0, noTls.map((r) => r.problem).join('; '));
  v.fields.mx_starttls_ok = noTls.length === 0 ? 1 : 0;
  const withCert = reports.filter((r) => r.certOk !== undefined);
  if (withCert.length > 0) {
    const bad = withCert.filter((r) => !r.certOk);
    check('mx_certificate', bad.length === 0, bad.map((r) => r.problem).join('; '));
    v.fields.mx_cert_ok = bad.length === 0 ? 1 : 0;
    v.fields.mx_cert_days_left = Math.min(...withCert.map((r) => r.daysLeft!));
  }
  return mx;
}

/** SPF with its includes and redirect followed (each domain once) to count the DNS lookups it needs. */
async function judgeSpf(domain: string, dns: Dns, v: Verdict, check: Check): Promise<void> {
  const spf = recordsWith(await dns.ask(domain, 'TXT'), 'v=spf1');
  check('spf_missing', spf.length > 0, `no "v=spf1" TXT record at ${domain}`);
  if (spf.length === 0) {
    v.fields.spf_ok = 0;
    return;
  }
  check('spf_multiple', spf.length === 1, `${spf.length} SPF records: ${spf.join(' | ')}`);
  const terms = spfTerms(spf[0]);
  check('spf_plus_all', terms.all !== '+all' && (terms.all !== undefined || terms.redirect !== undefined), terms.all ? `"${terms.all}" in: ${spf[0]}` : `no "all" mechanism and no redirect in: ${spf[0]}`);
  let lookups = terms.lookups;
  const seen = new Set([domain]);
  const queue = [...terms.includes, ...(terms.redirect ? [terms.redirect] : [])];
  // Past 11 lookups the answer is known (too many); a hostile zone cannot make this loop longer.
  while (queue.length > 0 && lookups <= 10 && seen.size < 20) {
    const next = queue.shift()!.toLowerCase();
    if (seen.has(next)) continue;
    seen.add(next);
    const inner = recordsWith(await dns.ask(next, 'TXT'), 'v=spf1')[0];
    if (!inner) continue;
    const t = spfTerms(inner);
    lookups += t.lookups;
    queue.push(...t.includes, ...(t.redirect ? [t.redirect] : []));
  }
  check('spf_too_many_lookups', lookups <= 10, `${lookups > 10 ? 'more than 10' : lookups} DNS lookups (includes followed): ${spf[0]}`);
  v.fields.spf_lookups = lookups;
  v.fields.spf_ok = spf.length === 1 && lookups <= 10 && terms.all !== '+all' && (terms.all !== undefined || terms.redirect !== undefined) ? 1 : 0;
}

async function judgeDmarc(domain: string, dns: Dns, v: Verdict, check: Check): Promise<void> {
  const dmarc = recordsWith(await dns.ask(`_dmarc.${domain}`, 'TXT'), 'v=DMARC1');
  check('dmarc_missing', dmarc.length === 1, dmarc.length === 0 ? `no "v=DMARC1" TXT record at _dmarc.${domain}` : `${dmarc.length} DMARC records (receivers ignore them all): ${dmarc.join(' | ')}`);
  if (dmarc.length !== 1) {
    v.fields.dmarc_ok = 0;
    return;
  }
  const tags = tagList(dmarc[0]);
  const policy = (tags.get('p') ?? '').toLowerCase();
  v.fields.dmarc_policy = ['none', 'quarantine', 'reject'].includes(policy) ? policy : clip(policy || 'missing', 20);
  check('dmarc_policy_none', policy === 'quarantine' || policy === 'reject', `p=${policy || '(missing)'} in: ${dmarc[0]}`);
  check('dmarc_no_rua', (tags.get('rua') ?? '') !== '', `no rua= in: ${dmarc[0]}`);
  v.fields.dmarc_ok = (policy === 'quarantine' || policy === 'reject') && tags.get('rua') ? 1 : 0;
}

async function judgeMtaSts(domain: string, d: DomainConfig, mx: string[], dns: Dns, roots: readonly X509Certificate[], config: MailDomainConfig, signal: AbortSignal, v: Verdict, check: Check): Promise<void> {
  const txt = recordsWith(await dns.ask(`_mta-sts.${domain}`, 'TXT'), 'v=STSv1');
  check('mta_sts_missing', txt.length > 0, `no "v=STSv1" TXT record at _mta-sts.${domain}`);
  v.fields.mta_sts_ok = 0;
  if (txt.length === 0) return;
  const fetched = await fetchStsPolicy(domain, d.httpsPort, dns, roots, Math.min(10_000, config.timeoutMs), signal);
  const policy = fetched.text !== undefined ? parseStsPolicy(fetched.text) : undefined;
  const valid = policy !== undefined && policy.version === 'STSv1' && ['enforce', 'testing', 'none'].includes(policy.mode ?? '') && policy.mx.length > 0;
  check('mta_sts_policy', valid, fetched.error ?? `the policy file does not parse (version: STSv1, mode, mx lines needed): ${clip((fetched.text ?? '').replace(/\s+/g, ' '), 200)}`);
  if (!policy || !valid) return;
  v.fields.mta_sts_mode = policy.mode;
  check('mta_sts_testing', policy.mode === 'enforce', `mode: ${policy.mode}`);
  const uncovered = mx.filter((h) => !policy.mx.some((p) => mxMatches(p, h)));
  if (mx.length > 0) check('mta_sts_mx_mismatch', uncovered.length === 0, `MX not in the policy: ${uncovered.join(', ')} (policy mx: ${policy.mx.join(', ')})`);
  v.fields.mta_sts_ok = policy.mode === 'enforce' && uncovered.length === 0 ? 1 : 0;
}
