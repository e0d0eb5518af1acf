// The videoconf check: per video-conference endpoint, ICMP quality (loss, jitter, MOS), SIP, H.323,
// HTTPS and SNMP, judged against thresholds into one `ready` flag before a meeting.
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parseDuration, type FieldsOf } from '../../../protocol/index.ts';
import { defineCheck, type CheckContext } from '../types.ts';
import { forEachLimited, resolveHost } from '../common/probe.ts';
import { daysUntil } from '../common/certificate.ts';
import { handshake } from '../common/tls-handshake.ts';
import { icmpBursts, type BurstOutcome } from '../common/icmp-bursts.ts';
import { missingPingMessage } from '../common/ping.ts';
import { connectProbe } from '../common/connect.ts';
import { fetchProbe } from '../common/fetch.ts';
import { estimateMos, interarrivalJitter } from './quality.ts';
import { DEFAULT_SIP_PORT, sipOptionsProbe, type SipTransport } from './sip.ts';
import { snmpSystem, UptimeMemory } from './snmp.ts';
import { videoconfSpec, type EndpointConfig, type VideoconfConfig } from './spec.ts';

/** Endpoints probed at once: a few sockets each, and one ICMP burst (16 endpoints share one fping). */
const ENDPOINT_CONCURRENCY = 16;
const DEFAULT_H323_PORT = 1720;
const DEFAULT_THRESHOLDS = { maxLossPercent: 1, maxJitterMs: 30, maxRttMs: 150, minMos: 3.6 };

export const videoconfCheck = defineCheck({ ...videoconfSpec, run: runVideoconf });

const uptimes = new UptimeMemory();

async function runVideoconf(config: VideoconfConfig, ctx: CheckContext): Promise<void> {
  const packetIntervalMs = parseDuration(config.packetInterval)!;
  const thresholds = { ...DEFAULT_THRESHOLDS, ...config.thresholds };
  let missingPingLogged = false;
  let done = 0;
  // Every probe of every endpoint listens for the run's abort: that is expected, not a leak.
  setMaxListeners(ENDPOINT_CONCURRENCY * 16 + 16, ctx.signal);
  // The ICMP bursts of every endpoint at once: one fping process for up to 16 endpoints.
  const bursts = icmpBursts(
    config.endpoints.map((ep) => ep.address),
    { count: config.count, packetIntervalMs, timeoutMs: config.timeoutMs, signal: ctx.signal, concurrency: ENDPOINT_CONCURRENCY },
  );
  const notStarted = await forEachLimited(config.endpoints, ENDPOINT_CONCURRENCY, ctx.signal, async (ep) => {
    const r = await probeEndpoint(ep, config, bursts.get(ep.address)!, ctx);
    if (!r) return;
    if (r.pingMissing && !missingPingLogged) {
      missingPingLogged = true;
      ctx.log.error(missingPingMessage(process.platform));
    }
    const verdict = judge(r.fields, r.failures, thresholds);
    ctx.recorder.record(
      'videoconf',
      { endpoint: ep.name, address: ep.address, group: config.group },
      { ...r.fields, ready: verdict.ready, ...(verdict.reason ? { reason: verdict.reason } : {}) },
    );
    done++;
    ctx.progress?.(`${done}/${config.endpoints.length} endpoints`);
  });
  if (notStarted > 0 || done < config.endpoints.length) {
    ctx.log.warn('videoconf run stopped before every endpoint was probed', { unprobed: config.endpoints.length - done });
  }
}

type EndpointFields = Omit<FieldsOf<'videoconf'>, 'ready' | 'reason'>;

interface EndpointResult {
  fields: EndpointFields;
  /** Components that did not answer, in words, for `reason`. */
  failures: string[];
  pingMissing: boolean;
}

/** Every component of one endpoint at once; undefined when the run was aborted. */
async function probeEndpoint(ep: EndpointConfig, config: VideoconfConfig, burst: Promise<BurstOutcome>, ctx: CheckContext): Promise<EndpointResult | undefined> {
  const { signal } = ctx;
  const timeoutMs = config.timeoutMs;
  const failures: string[] = [];
  const fields: EndpointFields = { loss_percent: 100, sent: config.count, received: 0 };
  let pingMissing = false;

  const icmp = burst.then((o) => {
    if (o.kind === 'aborted') return false;
    if (o.kind === 'missing') pingMissing = true;
    const stats = o.stats;
    if (stats) Object.assign(fields, { sent: stats.sent, received: stats.received, loss_percent: stats.loss_percent });
    if (stats && stats.received > 0) {
      fields.rtt_ms = stats.rtt_avg_ms;
      fields.rtt_min_ms = stats.rtt_min_ms;
      fields.rtt_max_ms = stats.rtt_max_ms;
      fields.jitter_ms = interarrivalJitter(o.rtts ?? []) ?? 0;
      fields.mos = estimateMos({ rttMs: stats.rtt_avg_ms!, jitterMs: fields.jitter_ms, lossPercent: stats.loss_percent }).mos;
    } else {
      failures.push(o.kind === 'done' || o.result === 'timeout' ? 'no ICMP reply' : `ping ${o.result}${o.message ? `: ${o.message}` : ''}`);
    }
    return true;
  });
  // Spawning ping blocks the event loop for a moment (longer on a busy host, and 14 at once add up);
  // the socket probes start after the spawns so that their timers do not run out while blocked.
  await new Promise((resolve) => setImmediate(resolve));

  const sip = (ep.sip ?? []).map(async (target) => {
    const transport = target.transport as SipTransport;
    const port = target.port ?? DEFAULT_SIP_PORT[transport];
    const o = await sipOptionsProbe({ host: ep.address, port, transport, timeoutMs, signal });
    if (!o) return undefined;
    ctx.recorder.record(
      'sip',
      { target: `${ep.address.includes(':') ? `[${ep.address}]` : ep.address}:${port}`, name: config.name, endpoint: ep.name, transport, result: o.result },
      { up: o.up, ...(o.statusCode !== undefined ? { status_code: o.statusCode } : {}), ...(o.responseMs !== undefined ? { response_ms: o.responseMs } : {}) },
    );
    if (!o.up) failures.push(`SIP ${transport}/${port} ${o.detail ?? o.result}`);
    return o.up;
  });

  const h323 = ep.h323
    ? connectProbe(ep.address, ep.h323 === true ? DEFAULT_H323_PORT : ep.h323.port, timeoutMs, signal).then((o) => {
        if (!o) return false;
        fields.h323_up = o.result === 'ok' ? 1 : 0;
        if (o.connectMs !== undefined) fields.h323_connect_ms = o.connectMs;
        if (!fields.h323_up) failures.push(`H.323 ${o.result}`);
        return true;
      })
    : undefined;

  const https = ep.https ? probeHttps(ep, timeoutMs, signal, fields, failures) : undefined;

  const snmpCfg = ep.snmp;
  const snmpRun = snmpCfg
    ? snmpSystem(ep.address, snmpCfg.port, snmpCfg.community, timeoutMs, signal).then((o) => {
        if (!o) return false;
        fields.snmp_up = o.up;
        if (o.sysDescr) fields.sys_descr = o.sysDescr;
        if (o.uptimeSeconds !== undefined) {
          fields.uptime_seconds = o.uptimeSeconds;
          const restarted = uptimes.observe(`${ep.name}\n${ep.address}`, { uptimeSeconds: o.uptimeSeconds, atMs: Date.now() });
          if (restarted !== undefined) fields.rebooted = restarted ? 1 : 0;
        }
        if (!o.up) failures.push(`SNMP ${o.result}`);
        return true;
      })
    : undefined;

  const [icmpDone, sipUps, h323Done, httpsDone, snmpDone] = await Promise.all([icmp, Promise.all(sip), h323, https, snmpRun]);
  if (!icmpDone || sipUps.includes(undefined) || h323Done === false || httpsDone === false || snmpDone === false || signal.aborted) return undefined;
  if (sipUps.length > 0) fields.sip_up = sipUps.every((u) => u === 1) ? 1 : 0;
  return { fields, failures, pingMissing };
}

async function probeHttps(ep: EndpointConfig, timeoutMs: number, signal: AbortSignal, fields: EndpointFields, failures: string[]): Promise<boolean> {
  const opts = typeof ep.https === 'object' ? ep.https : {};
  const url = opts.url ?? `https://${ep.address.includes(':') ? `[${ep.address}]` : ep.address}/`;
  let ca: string[] | undefined;
  if (opts.ca) {
    try {
      // Only the unit's own certificate or its agency CA: a management page has no business with the
      // public roots, and a context of ~140 roots per request costs tens of ms of blocked event loop.
      ca = [await readFile(opts.ca, 'utf8')];
    } catch (err) {
      fields.https_up = 0;
      failures.push(`HTTPS ca file ${opts.ca} unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return true;
    }
  }
  const [o, days] = await Promise.all([fetchProbe(url, { method: 'GET', ca, followRedirects: false, timeoutMs, signal }), certificateDaysLeft(url, timeoutMs, signal)]);
  if (!o) return false;
  if (days !== undefined) fields.cert_days_left = days;
  const code = o.fields.status_code;
  const expected = opts.expectStatus === undefined ? undefined : ([] as number[]).concat(opts.expectStatus);
  const statusOk = code !== undefined && (expected ? expected.includes(code) : code >= 200 && code < 400);
  fields.https_up = o.result === 'ok' && statusOk ? 1 : 0;
  if (o.fields.response_ms !== undefined) fields.https_response_ms = o.fields.response_ms;
  if (!fields.https_up) failures.push(o.result === 'ok' ? `HTTPS answered ${code}` : `HTTPS ${o.result}`);
  return true;
}

/**
 * Days until the first certificate of the management page's chain expires, read with the tls check's
 * handshake (which accepts whatever the unit presents, so an expired or untrusted one is still read).
 */
async function certificateDaysLeft(url: string, timeoutMs: number, signal: AbortSignal): Promise<number | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'https:') return undefined;
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  let address: string;
  try {
    address = (await resolveHost(host)).address;
  } catch {
    return undefined; // the page probe reports the name error
  }
  const h = await handshake({
    address,
    port: Number(u.port || 443),
    servername: isIP(host) ? undefined : host,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.3',
    timeoutMs,
    signal,
  });
  if (!h?.ok) return undefined;
  return daysUntil(Math.min(...h.chain.map((c) => Date.parse(c.validTo))), Date.now());
}

export interface Thresholds {
  maxLossPercent: number;
  maxJitterMs: number;
  maxRttMs: number;
  minMos: number;
}

/** ready = every configured component answered and the burst is within every threshold. */
export function judge(fields: EndpointFields, failures: readonly string[], t: Thresholds): { ready: 0 | 1; reason?: string } {
  const reasons = [...failures];
  if (fields.received > 0) {
    if (!(fields.loss_percent < t.maxLossPercent)) reasons.push(`loss ${fields.loss_percent}% ≥ ${t.maxLossPercent}%`);
    if (fields.jitter_ms !== undefined && !(fields.jitter_ms < t.maxJitterMs)) reasons.push(`jitter ${fields.jitter_ms} ms ≥ ${t.maxJitterMs} ms`);
    if (fields.rtt_ms !== undefined && !(fields.rtt_ms < t.maxRttMs)) reasons.push(`RTT ${fields.rtt_ms} ms ≥ ${t.maxRttMs} ms`);
    if (fields.mos !== undefined && !(fields.mos >= t.minMos)) reasons.push(`MOS ${fields.mos} < ${t.minMos}`);
  }
  return reasons.length === 0 ? { ready: 1 } : { ready: 0, reason: reasons.join('; ').slice(0, 1000) };
}
