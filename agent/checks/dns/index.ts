// The dns check: each configured query asked of one server (default the system resolver); rcode,
// answers, time, the AD flag, the SOA serial and whether the answers are the expected ones.
import { isIP } from 'node:net';
import type { FieldsOf } from '../../../protocol/index.ts';
import { RCODE_NAMES, canonicalAnswer, normaliseName, reverseName, type DnsMessage, type RecordType } from '../common/dns-wire.ts';
import { dnsQuery, systemResolver, type DnsServer } from '../common/dns-client.ts';
import { forEachLimited, resolveHost } from '../common/probe.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { dnsSpec, parseServer, type DnsConfig, type DnsQueryConfig } from './spec.ts';

export const dnsCheck = defineCheck({ ...dnsSpec, run: runDns });

/** Queries in flight at once against one server: enough for a long list, gentle on a small resolver. */
const CONCURRENCY = 16;
/** answer_text is evidence in a table and a mail, not a zone dump. */
const MAX_ANSWER_TEXT = 1000;

type DnsFields = FieldsOf<'dns'>;

async function runDns(config: DnsConfig, ctx: CheckContext): Promise<void> {
  const target = await serverOf(config);
  const base = { server: target.tag, name: config.name, group: config.group };
  let unasked = 0;
  const notStarted = await forEachLimited(config.queries, CONCURRENCY, ctx.signal, async (q) => {
    const type = (q.type ?? 'A') as RecordType;
    const tags = { ...base, query: q.name, type };
    if (!target.server) {
      ctx.recorder.record('dns', { ...tags, result: 'error' }, { up: 0, error: target.error ?? 'no DNS server' });
      return;
    }
    const outcome = await askOne(target.server, q, type, config, ctx.signal);
    if (!outcome) {
      unasked++;
      return;
    }
    ctx.recorder.record('dns', { ...tags, result: outcome.result }, outcome.fields);
  });
  if (notStarted + unasked > 0) ctx.log.warn('dns run stopped before every query was asked', { unasked: notStarted + unasked });
}

/** The server to ask and its `server` tag: as configured, or the system resolver's address. */
async function serverOf(config: DnsConfig): Promise<{ tag: string; server?: DnsServer; error?: string }> {
  if (config.server === undefined) {
    const sys = systemResolver();
    if (!sys) return { tag: 'system', error: 'no DNS server in the system resolver configuration' };
    return { tag: sys.port === 53 ? sys.address : `${sys.address}:${sys.port}`, server: sys };
  }
  const { host, port } = parseServer(config.server)!;
  if (isIP(host) !== 0) return { tag: config.server, server: { address: host, port } };
  try {
    const r = await resolveHost(host);
    return { tag: config.server, server: { address: r.address, port } };
  } catch {
    return { tag: config.server, error: `the server name ${host} does not resolve` };
  }
}

interface Answered {
  result: string;
  fields: DnsFields;
}

async function askOne(server: DnsServer, q: DnsQueryConfig, type: RecordType, config: DnsConfig, signal: AbortSignal): Promise<Answered | undefined> {
  const name = type === 'PTR' && isIP(q.name) !== 0 ? reverseName(q.name)! : normaliseName(q.name)!;
  const outcome = await dnsQuery({ server, name, type, transport: config.transport, timeoutMs: config.timeoutMs, signal });
  if (!outcome) return undefined;
  if (!outcome.ok) return { result: outcome.result, fields: { up: 0, error: outcome.error } };
  return judge(outcome.message, type, q.expect, { rtt_ms: outcome.rttMs, truncated: outcome.fellBackToTcp ? 1 : 0 });
}

/** The result and fields of one answer, against `expect` when given. */
export function judge(message: DnsMessage, type: RecordType, expect: readonly string[] | undefined, measured: { rtt_ms: number; truncated: 0 | 1 }): Answered {
  const records = message.answers.filter((r) => r.type === type);
  const seen = [...new Set(records.map((r) => canonicalAnswer(type, r.text)))].sort();
  const fields: DnsFields = { up: 0, ...measured, rcode: message.rcode, answers: records.length, ad: message.ad ? 1 : 0 };
  if (seen.length > 0) fields.answer_text = clip(seen.join(' | '), MAX_ANSWER_TEXT);
  const serial = records.find((r) => r.serial !== undefined)?.serial;
  if (serial !== undefined) fields.soa_serial = serial;
  if (message.rcode !== 0) {
    const rcode = RCODE_NAMES[message.rcode] ?? `rcode ${message.rcode}`;
    fields.error = `the server answered ${rcode}`;
    const result = message.rcode === 3 ? 'nxdomain' : message.rcode === 2 ? 'servfail' : message.rcode === 5 ? 'refused' : 'error';
    if (expect) fields.mismatch = 1;
    return { result, fields };
  }
  if (expect) {
    const wanted = [...new Set(expect.map((e) => canonicalAnswer(type, e)))].sort();
    fields.mismatch = wanted.length === seen.length && wanted.every((w, i) => w === seen[i]) ? 0 : 1;
  }
  if (records.length === 0) {
    fields.error = `no ${type} record for this name`;
    return { result: 'no_answer', fields };
  }
  fields.up = 1;
  return { result: fields.mismatch === 1 ? 'mismatch' : 'ok', fields };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
