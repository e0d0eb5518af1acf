// `meeting-check`: pre-meeting readiness of every video-conference endpoint, asked of the running
// collector over its own API (so the agents run the check now), printed as a board or JSON.
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates, type PeerCertificate } from 'node:tls';
import { parseDuration, PATHS, type MeetingEndpoint, type VideoconfCheckResponse } from '../../protocol/index.ts';
import type { CollectorConfig } from '../config.ts';
import { createAdminToken, revokeAdminToken } from '../state/admin-tokens.ts';
import { loadConfig, parseOptions, UsageError, withState, type CommandGroup } from './common.ts';
import { terminalSafe } from './terminal.ts';

export const MEETING_CHECK_USAGE = `  canhgac-collector meeting-check [--wait 10s] [--agency ID] [--json] [--config FILE]
                                                            pre-meeting check: every agent with the videoconf check runs it now;
                                                            prints all endpoints (exit 0 only when every one is ready)
`;

interface MeetingCheckOptions {
  waitSeconds: number;
  agency?: string;
  json: boolean;
  token?: string;
}

/**
 * Without CANHGAC_TOKEN it mints a short-lived operator token in the state database and revokes it
 * afterwards, so the command works for whoever can read the collector's config and state, and for
 * nobody else.
 */
async function meetingCheck(config: CollectorConfig, opts: MeetingCheckOptions): Promise<{ exitCode: number; output: string }> {
  let token = opts.token;
  let minted: string | undefined;
  if (!token) {
    minted = `meeting-check-${randomBytes(4).toString('hex')}`;
    token = await withState(config, (state) => createAdminToken(state, minted!, 'operator', opts.agency));
  }
  try {
    const body = await post(config, token, { wait: opts.waitSeconds, ...(opts.agency ? { agency: opts.agency } : {}) }, (opts.waitSeconds + 15) * 1000);
    const allReady = body.endpoints.length > 0 && body.endpoints.every((e) => e.fresh && e.ready === 1);
    return { exitCode: allReady ? 0 : 1, output: opts.json ? JSON.stringify(body) + '\n' : formatBoard(body) };
  } finally {
    if (minted) {
      await withState(config, (state) => revokeAdminToken(state, minted!));
    }
  }
}

function localUrl(config: CollectorConfig): URL {
  const { host, port, plainHttp } = config.listen;
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return new URL(`${plainHttp ? 'http' : 'https'}://${h}:${port}${PATHS.videoconfCheck}`);
}

function post(config: CollectorConfig, token: string, payload: unknown, timeoutMs: number): Promise<VideoconfCheckResponse> {
  const url = localUrl(config);
  const data = Buffer.from(JSON.stringify(payload));
  const headers = { 'content-type': 'application/json', 'content-length': String(data.length), authorization: `Bearer ${token}` };
  // Our own collector: pinned to the certificate in its config (or the one it generated), whatever names it carries.
  const certPem = url.protocol === 'https:' ? readFileSync(config.tls?.cert ?? join(config.dataDir, 'tls', 'collector.crt'), 'utf8') : undefined;
  const expected = certPem ? new X509Certificate(certPem).fingerprint256 : undefined;
  // The name does not matter (we dial loopback); the certificate must be exactly the collector's own,
  // checked during the handshake, before the token is sent.
  const tlsOptions = certPem
    ? {
        ca: [...rootCertificates, certPem],
        checkServerIdentity: (_host: string, cert: PeerCertificate) =>
          cert.fingerprint256 === expected ? undefined : new Error(`${url.origin} presented a certificate that is not the collector's own`),
      }
    : {};
  return new Promise((resolve, reject) => {
    const req = (expected ? https : http).request(
      url,
      { method: 'POST', headers, timeout: timeoutMs, ...tlsOptions },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`collector answered ${res.statusCode}: ${text.slice(0, 300)}`));
          try {
            resolve(JSON.parse(text) as VideoconfCheckResponse);
          } catch {
            reject(new Error(`collector answered something that is not JSON: ${text.slice(0, 100)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => reject(new Error(`cannot reach the collector at ${url.origin} (is \`canhgac-collector serve\` running?): ${err.message}`)));
    req.end(data);
  });
}

const num = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : '-');
const flag = (v: unknown) => (v === 1 ? 'ok' : v === 0 ? 'DOWN' : '-');

/** The board: one line per endpoint, not-ready first, then the agents that did not answer. */
function formatBoard(r: VideoconfCheckResponse): string {
  const order = (e: MeetingEndpoint) => (e.fresh && e.ready === 1 ? 1 : 0);
  const sorted = [...r.endpoints].sort((a, b) => order(a) - order(b) || a.agency.localeCompare(b.agency) || a.endpoint.localeCompare(b.endpoint));
  const head = ['ENDPOINT', 'AGENCY', 'READY', 'LOSS%', 'RTT ms', 'JITTER ms', 'MOS', 'SIP', 'H.323', 'HTTPS', 'SNMP', 'MEASURED', 'REASON'];
  const rows = sorted.map((e) => {
    const f = e.fields;
    return [
      e.endpoint,
      e.agency,
      e.fresh ? (e.ready === 1 ? 'yes' : 'NO') : 'NO ANSWER',
      num(f.loss_percent, 1),
      num(f.rtt_ms, 1),
      num(f.jitter_ms, 1),
      num(f.mos, 2),
      flag(f.sip_up),
      flag(f.h323_up),
      flag(f.https_up),
      f.rebooted === 1 ? 'REBOOTED' : flag(f.snmp_up),
      e.measuredAt ? `${e.fresh ? '' : 'last '}${e.measuredAt.slice(11, 19)}Z` : '-',
      e.fresh ? String(f.reason ?? '') : 'agent did not answer; values are the last on record',
    ];
  });
  const safeRows = rows.map((row) => row.map(terminalSafe));
  const widths = head.map((h, i) => Math.max(h.length, ...safeRows.map((row) => row[i].length)));
  const lines = [head, ...safeRows].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
  const took = ((Date.parse(r.answeredAt) - Date.parse(r.requestedAt)) / 1000).toFixed(1);
  const s = r.summary;
  lines.push('');
  if (r.agents.length === 0) lines.push('no agent runs the videoconf check (agents report their checks when they poll the collector)');
  else lines.push(`${s.endpoints} endpoints: ${s.ready} ready, ${s.notReady} not ready; ${s.agentsAnswered} of ${r.agents.length} agents answered in ${took} s (requested ${r.requestedAt})`);
  for (const a of r.agents.filter((x) => x.status !== 'answered')) {
    lines.push(terminalSafe(`agent ${a.agent} (${a.agency}, ${a.hostname}): ${a.status.replace('_', ' ')}${a.message ? `: ${a.message}` : ''}${a.lastPollAt ? `; last poll ${a.lastPollAt}` : ''}`));
  }
  return lines.join('\n') + '\n';
}

export async function meetingCheckCommand(_command: string, argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { wait: { type: 'string', default: '10s' }, agency: { type: 'string' }, json: { type: 'boolean', default: false } });
  const config = loadConfig(values);
  const waitMs = parseDuration(values.wait);
  if (waitMs === undefined || waitMs < 1000 || waitMs > 60_000) throw new UsageError(`--wait: expected a duration from 1s to 60s, got "${values.wait}"`);
  if (values.agency && !config.agencies.some((a) => a.id === values.agency)) throw new UsageError(`--agency: unknown agency "${values.agency}"`);
  const r = await meetingCheck(config, { waitSeconds: Math.round(waitMs / 1000), agency: values.agency, json: values.json, token: process.env.CANHGAC_TOKEN || undefined });
  process.stdout.write(r.output);
  return r.exitCode;
}

export const meetingCheckGroup: CommandGroup = { commands: ['meeting-check'], usage: MEETING_CHECK_USAGE, run: meetingCheckCommand };
