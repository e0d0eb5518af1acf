// The collector's YAML config (collector.yaml): its schema, defaults and cross-checks, read once at
// start into a CollectorConfig; alert, SMTP and report sections come from their own modules.
import { isIP } from 'node:net';
import { isAbsolute, resolve, dirname } from 'node:path';
import { Type, type Static } from 'typebox';
import { catalogue, ConfigError, checkSchema, durationIssue, joinPath, parseDuration, readYamlFile, type ConfigIssue } from '../protocol/index.ts';
import { ReportSection } from './report/settings.ts';
import { StatusSection, type StatusConfig } from './status/settings.ts';
import { AlertsSection, resolveAlertSettings, SmtpSection, type AlertSettings, type SmtpSettings } from './alerts/settings.ts';
import { AgencyVars, FleetSection, resolveFleet, varsIssues, type FleetSettings } from './fleet/settings.ts';
import { resolveState, StateSection, type StateSettings } from './state/settings.ts';

export const DEFAULT_CONFIG_PATH = '/etc/canhgac/collector.yaml';

/** At most this many InfluxDB nodes in influx.urls (each has a replay loop and a position in the spool). */
export const MAX_INFLUX_NODES = 8;

/** Upper bound of a series budget: the collector keeps one 8-byte hash per series in memory. */
export const MAX_SERIES_BUDGET = 1_000_000;

export const AGENCY_LEVELS = ['province', 'department', 'district', 'commune'] as const;
export type AgencyLevel = (typeof AGENCY_LEVELS)[number];

const Agency = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', expected: 'a lowercase id of letters, digits and dashes, such as so-y-te' }),
    name: Type.String({ minLength: 1, maxLength: 200, expected: 'the Vietnamese display name, such as "Sở Y tế"' }),
    nameEn: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    level: Type.Union(AGENCY_LEVELS.map((l) => Type.Literal(l))),
    // Also the `district` tag on every sample of the agency: no control character or backslash (line protocol).
    district: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f\\\\]+$', expected: 'the district name, such as "Càng Long" (no backslash or control character)' }),
    ),
    contacts: Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', expected: 'an e-mail address' }), { default: [] }),
    locale: Type.Union([Type.Literal('vi'), Type.Literal('en')], { default: 'vi' }),
    /** This agency's agents may each create this many series per measurement (overrides ingest.seriesBudget.perMeasurement). */
    seriesBudget: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SERIES_BUDGET, expected: `a number of series per measurement per agent from 1 to ${MAX_SERIES_BUDGET}, such as 5000` })),
    /** What the profiles' ${agency.NAME} placeholders become for this agency (collector/fleet/template.ts). */
    vars: Type.Optional(AgencyVars),
  },
  { additionalProperties: false },
);
export type Agency = Static<typeof Agency>;

const Schema = Type.Object(
  {
    listen: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0', expected: 'an address to bind, such as 0.0.0.0 or 127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
        plainHttp: Type.Boolean({ default: false }),
        // A client that trickles its headers or body, or holds an idle connection, must not keep a
        // socket forever (the long poll for agent commands waits at most 25 s, under idleTimeout).
        headersTimeout: Type.String({ default: '10s', expected: 'a duration such as 10s' }),
        requestTimeout: Type.String({ default: '60s', expected: 'a duration such as 60s' }),
        idleTimeout: Type.String({ default: '60s', expected: 'a duration such as 60s' }),
        maxConnectionsPerAddress: Type.Integer({ minimum: 1, maximum: 100_000, default: 256, expected: 'a number of connections (behind a load balancer, raise it above the balancer\'s own pool)' }),
        // Load balancers (HAProxy) whose X-Forwarded-For is believed: the client's address then drives
        // per-address limits and the audit log. Anyone else's X-Forwarded-For is ignored.
        trustedProxies: Type.Array(Type.String({ maxLength: 64, expected: 'an address or network such as 127.0.0.1 or 10.0.0.0/24' }), {
          maxItems: 32,
          default: [],
          expected: 'a list of load balancer addresses or networks, such as [10.0.0.5, 10.0.1.0/24]',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    tls: Type.Optional(
      Type.Object(
        {
          cert: Type.String({ minLength: 1, expected: 'a path to the PEM certificate (chain)' }),
          key: Type.String({ minLength: 1, expected: 'a path to the PEM private key' }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Console logins: budgets of password checks (each a scrypt hash), refused with 429 past them. */
    login: Type.Object(
      {
        perAddressPerMinute: Type.Number({ exclusiveMinimum: 0, maximum: 6000, default: 10, expected: 'login attempts per minute from one address, such as 10' }),
        perAddressBurst: Type.Integer({ minimum: 1, maximum: 10_000, default: 10, expected: 'login attempts at once from one address, such as 10' }),
        allPerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 10, expected: 'password checks per second from all addresses, such as 10' }),
        allBurst: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, expected: 'password checks at once from all addresses, such as 20' }),
      },
      { additionalProperties: false, default: {} },
    ),
    dataDir: Type.String({ default: '/var/lib/canhgac-collector', expected: 'a directory for state, spool and the generated certificate' }),
    /** Where the state lives: SQLite in dataDir (default) or a PostgreSQL database (collector/state/settings.ts). */
    state: StateSection,
    influx: Type.Object(
      {
        url: Type.String({ default: 'http://127.0.0.1:8086', expected: 'the InfluxDB URL, such as http://127.0.0.1:8086' }),
        /** Several InfluxDB nodes, each written every sample from the spool (instead of `url`). */
        urls: Type.Optional(
          Type.Array(Type.String({ maxLength: 300, expected: 'an InfluxDB URL such as http://10.0.0.2:8086' }), {
            minItems: 1,
            expected: `a list of 1 to ${MAX_INFLUX_NODES} InfluxDB URLs, such as [http://influx-1:8086, http://influx-2:8086]`,
          }),
        ),
        database: Type.String({ default: 'canhgac', pattern: '^[A-Za-z0-9_]+$' }),
        username: Type.Optional(Type.String()),
        passwordFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a file holding the InfluxDB password' })),
        rawRetention: Type.String({ default: '30d', expected: 'a duration such as 30d' }),
        rollupRetention: Type.String({ default: '730d', expected: 'a duration such as 730d' }),
      },
      { additionalProperties: false, default: {} },
    ),
    ingest: Type.Object(
      {
        bodyLimit: Type.Integer({ minimum: 1024, default: 5 * 1024 * 1024, expected: 'a size in bytes' }),
        maxSampleAge: Type.String({ default: '7d', expected: 'a duration such as 7d' }),
        maxFuture: Type.String({ default: '5m', expected: 'a duration such as 5m' }),
        /** Per-agent token buckets; past them a request gets 429 with Retry-After. */
        rateLimit: Type.Object(
          {
            requestsPerSecond: Type.Number({ exclusiveMinimum: 0, default: 20, expected: 'a positive number' }),
            samplesPerSecond: Type.Number({ exclusiveMinimum: 0, default: 10_000, expected: 'a positive number' }),
            burstSeconds: Type.Number({ minimum: 1, default: 10, expected: 'a number of seconds of at least 1' }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Enrolment attempts per caller address (an agency NAT counts as one address): 429 past it. */
        enrollRateLimit: Type.Object(
          {
            perMinute: Type.Number({ exclusiveMinimum: 0, maximum: 6000, default: 1, expected: 'attempts per minute after the burst, such as 1' }),
            burst: Type.Integer({ minimum: 1, maximum: 10_000, default: 10, expected: 'attempts allowed at once, such as 10' }),
          },
          { additionalProperties: false, default: {} },
        ),
        /**
         * Distinct tag sets (InfluxDB series) one agent may create per measurement within a day; past
         * it new series are refused per sample, so one agent cannot fill InfluxDB's index for everyone.
         */
        seriesBudget: Type.Object(
          {
            perMeasurement: Type.Integer({ minimum: 1, maximum: MAX_SERIES_BUDGET, default: 2000, expected: `a number of series per measurement per agent from 1 to ${MAX_SERIES_BUDGET}, such as 2000` }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    spool: Type.Object(
      {
        /** Disk budget of the spool (under dataDir/spool); when full, ingest answers 503 and agents keep their outboxes. */
        maxBytes: Type.Integer({ minimum: 1_048_576, default: 1024 * 1024 * 1024, expected: 'a size in bytes of at least 1048576 (1 MiB)' }),
        /** An InfluxDB write slower than this is abandoned and the samples are spooled instead. */
        slowWrite: Type.String({ default: '5s', expected: 'a duration such as 5s' }),
        /** Disk budget of dataDir/deadletter: writes InfluxDB refused outright, kept for an operator (oldest file dropped past it). */
        deadLetterMaxBytes: Type.Integer({ minimum: 65_536, maximum: 1024 ** 4, default: 64 * 1024 * 1024, expected: 'a size in bytes of at least 65536 (64 KiB)' }),
        /**
         * With several influx.urls: a node further behind than this is out of sync, and gives up its oldest
         * spooled samples when the spool is full so that the others go on (default: half of maxBytes).
         */
        maxLagBytes: Type.Optional(Type.Integer({ minimum: 1_048_576, expected: 'a size in bytes of at least 1048576 (1 MiB), at most spool.maxBytes' })),
      },
      { additionalProperties: false, default: {} },
    ),
    agencies: Type.Array(Agency, { default: [] }),
    /** The LAN device inventory (discovery check): a device unseen this long is listed as stale. */
    devices: Type.Object(
      { staleAfter: Type.String({ default: '7d', expected: 'a duration such as 7d' }) },
      { additionalProperties: false, default: {} },
    ),
    alerts: AlertsSection,
    smtp: Type.Optional(SmtpSection),
    /** Monthly report mail (collector/report). */
    report: ReportSection,
    /** The public status page of the shared systems (collector/status). */
    status: StatusSection,
    /** Central check configuration: the profile files (collector/fleet). */
    fleet: FleetSection,
  },
  { additionalProperties: false },
);

export type CollectorConfigFile = Static<typeof Schema>;
export interface CollectorConfig extends Omit<CollectorConfigFile, 'fleet' | 'influx' | 'spool' | 'state'> {
  file: string;
  /** `url` is the first node (where the console, status page and report read); `urls` every node written, as origins. */
  influx: Omit<CollectorConfigFile['influx'], 'urls'> & { urls: string[] };
  spool: CollectorConfigFile['spool'] & { maxLagBytes: number };
  /** SQLite (`dataDir/state.db`) or PostgreSQL, with its pool and timeouts resolved. */
  state: StateSettings;
  fleet: FleetSettings;
  rawRetentionMs: number;
  rollupRetentionMs: number;
  maxSampleAgeMs: number;
  maxFutureMs: number;
  slowWriteMs: number;
  devicesStaleAfterMs: number;
  /** Per-connection bounds of the HTTP listener (listen.*Timeout, listen.maxConnectionsPerAddress). */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; idleTimeoutMs: number; maxConnectionsPerAddress: number; trustedProxies?: string[] };
  /** Alert rules and notification settings, resolved (collector/alerts/settings.ts). */
  alerting: { alerts: AlertSettings; smtp?: SmtpSettings };
}

/** An IPv4 or IPv6 address, or one with a prefix length that fits it (10.0.0.0/24, fd00::/64). */
function isAddressOrNetwork(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** What the status section's schema cannot say: unique ids, known agencies and tags, a safe listener. */
function statusIssues(status: StatusConfig, agencies: string[], issues: ConfigIssue[]): void {
  const issue = durationIssue(status.staleAfter, 'status.staleAfter', { minMs: 10_000 });
  if (issue) issues.push(issue);
  if (status.listen?.plainHttp && !/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(status.listen.host)) {
    issues.push({ path: 'status.listen.plainHttp', message: `plain HTTP is allowed only when status.listen.host is a loopback address (put a TLS proxy in front), got "${status.listen.host}"` });
  }
  const ids = new Set<string>();
  status.services.forEach((svc, i) => {
    const at = `${joinPath('status.services', i)}`;
    if (ids.has(svc.id)) issues.push({ path: `${at}.id`, message: `duplicate service id "${svc.id}"` });
    ids.add(svc.id);
    svc.probes.forEach((probe, j) => {
      const known = Object.keys(catalogue[probe.measurement].tags);
      for (const tag of Object.keys(probe.tags)) {
        if (!known.includes(tag)) issues.push({ path: `${joinPath(`${at}.probes`, j)}.tags.${tag}`, message: `"${probe.measurement}" has no tag "${tag}" (tags: ${known.join(', ')})` });
      }
      for (const a of probe.agencies ?? []) {
        if (!agencies.includes(a)) issues.push({ path: `${joinPath(`${at}.probes`, j)}.agencies`, message: `unknown agency "${a}" (known: ${agencies.join(', ') || 'none'})` });
      }
    });
  });
}

/** influx.url or influx.urls: the nodes as origins (what the writer uses), or the issues with them. */
function influxNodes(influx: CollectorConfigFile['influx'], urlGiven: boolean, issues: ConfigIssue[]): string[] {
  if (influx.urls && urlGiven) {
    issues.push({ path: 'influx.urls', message: 'give either influx.url (one node) or influx.urls (several nodes), not both' });
    return [];
  }
  if (influx.urls && influx.urls.length > MAX_INFLUX_NODES) {
    issues.push({ path: 'influx.urls', message: `expected at most ${MAX_INFLUX_NODES} InfluxDB nodes, got ${influx.urls.length}` });
    return [];
  }
  const list: [string, string][] = influx.urls ? influx.urls.map((u, i) => [joinPath('influx.urls', i), u]) : [['influx.url', influx.url]];
  const seen = new Map<string, string>();
  for (const [path, value] of list) {
    // `localhost:8086` parses as a URL with the scheme "localhost:": only http and https reach InfluxDB.
    const u = URL.canParse(value) ? new URL(value) : undefined;
    if (!u || !['http:', 'https:'].includes(u.protocol)) {
      issues.push({ path, message: `expected an http:// or https:// URL such as http://127.0.0.1:8086, got ${JSON.stringify(value)}` });
    } else if (u.username || u.password) {
      issues.push({ path, message: 'credentials do not belong in the URL: give influx.username and influx.passwordFile' });
    } else if (seen.has(u.origin)) {
      issues.push({ path, message: `the same node as ${seen.get(u.origin)} (${u.origin}); expected each node once` });
    } else seen.set(u.origin, path);
  }
  return [...seen.keys()];
}

export function loadCollectorConfig(file: string): CollectorConfig {
  return parseCollectorConfig(file, readYamlFile(file));
}

export function parseCollectorConfig(file: string, raw: unknown): CollectorConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: 'expected a mapping' }]);
  }
  const doc = raw as Record<string, unknown>;
  const fleetGiven = typeof doc.fleet === 'object' && doc.fleet !== null && Object.hasOwn(doc.fleet, 'profilesDir');
  const influxUrlGiven = typeof doc.influx === 'object' && doc.influx !== null && Object.hasOwn(doc.influx, 'url');
  const issues: ConfigIssue[] = checkSchema(Schema, doc);
  if (issues.length > 0) throw new ConfigError(file, issues);
  const cfg = doc as CollectorConfigFile;

  const durations: [string, string][] = [
    ['influx.rawRetention', cfg.influx.rawRetention],
    ['influx.rollupRetention', cfg.influx.rollupRetention],
    ['ingest.maxSampleAge', cfg.ingest.maxSampleAge],
    ['ingest.maxFuture', cfg.ingest.maxFuture],
    ['spool.slowWrite', cfg.spool.slowWrite],
    ['devices.staleAfter', cfg.devices.staleAfter],
  ];
  for (const [path, value] of durations) {
    const issue = durationIssue(value, path, path.startsWith('influx') ? { minMs: 3_600_000 } : {});
    if (issue) issues.push(issue);
  }
  for (const key of ['headersTimeout', 'requestTimeout', 'idleTimeout'] as const) {
    // idleTimeout must outlast the agents' command long poll (25 s).
    const issue = durationIssue(cfg.listen[key], `listen.${key}`, { minMs: key === 'idleTimeout' ? 30_000 : 1000, maxMs: 3_600_000 });
    if (issue) issues.push(issue);
  }
  if ((parseDuration(cfg.listen.headersTimeout) ?? 0) > (parseDuration(cfg.listen.requestTimeout) ?? Infinity)) {
    issues.push({ path: 'listen.headersTimeout', message: `must not be longer than listen.requestTimeout (${cfg.listen.requestTimeout}), got "${cfg.listen.headersTimeout}"` });
  }
  if (cfg.listen.plainHttp && !/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(cfg.listen.host)) {
    issues.push({ path: 'listen.plainHttp', message: `plain HTTP is allowed only when listen.host is a loopback address, got "${cfg.listen.host}"` });
  }
  cfg.listen.trustedProxies.forEach((p, i) => {
    if (!isAddressOrNetwork(p)) issues.push({ path: `listen.trustedProxies[${i}]`, message: `expected an address or network such as 127.0.0.1 or 10.0.0.0/24, got ${JSON.stringify(p)}` });
  });
  const urls = influxNodes(cfg.influx, influxUrlGiven, issues);
  const maxLagBytes = cfg.spool.maxLagBytes ?? Math.floor(cfg.spool.maxBytes / 2);
  if (maxLagBytes > cfg.spool.maxBytes) issues.push({ path: 'spool.maxLagBytes', message: `must be at most spool.maxBytes (${cfg.spool.maxBytes}), got ${maxLagBytes}` });
  const seen = new Set<string>();
  cfg.agencies.forEach((a, i) => {
    if (seen.has(a.id)) issues.push({ path: `${joinPath('agencies', i)}.id`, message: `duplicate agency id "${a.id}"` });
    seen.add(a.id);
  });
  statusIssues(cfg.status, cfg.agencies.map((a) => a.id), issues);
  varsIssues(cfg.agencies, issues);
  const fleet = resolveFleet(cfg.fleet, fleetGiven, dirname(resolve(file)), issues);
  const state = resolveState(cfg.state, dirname(resolve(file)), issues);
  const alerting = resolveAlertSettings(cfg.alerts, cfg.smtp, { base: dirname(resolve(file)), levels: AGENCY_LEVELS, agencies: cfg.agencies.map((a) => a.id) }, issues);
  if (issues.length > 0) throw new ConfigError(file, issues);

  // Relative paths in the file are relative to the file, so a config can be moved with its data.
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  cfg.dataDir = abs(cfg.dataDir);
  if (cfg.tls) cfg.tls = { cert: abs(cfg.tls.cert), key: abs(cfg.tls.key) };
  if (cfg.influx.passwordFile) cfg.influx.passwordFile = abs(cfg.influx.passwordFile);

  return {
    ...cfg,
    file,
    influx: { ...cfg.influx, url: cfg.influx.urls ? urls[0] : cfg.influx.url, urls },
    spool: { ...cfg.spool, maxLagBytes },
    state,
    rawRetentionMs: parseDuration(cfg.influx.rawRetention)!,
    rollupRetentionMs: parseDuration(cfg.influx.rollupRetention)!,
    maxSampleAgeMs: parseDuration(cfg.ingest.maxSampleAge)!,
    maxFutureMs: parseDuration(cfg.ingest.maxFuture)!,
    slowWriteMs: parseDuration(cfg.spool.slowWrite)!,
    devicesStaleAfterMs: parseDuration(cfg.devices.staleAfter)!,
    fleet,
    http: {
      headersTimeoutMs: parseDuration(cfg.listen.headersTimeout)!,
      requestTimeoutMs: parseDuration(cfg.listen.requestTimeout)!,
      idleTimeoutMs: parseDuration(cfg.listen.idleTimeout)!,
      maxConnectionsPerAddress: cfg.listen.maxConnectionsPerAddress,
      trustedProxies: cfg.listen.trustedProxies,
    },
    alerting,
  };
}
