// The `alerts` and `smtp` sections of the collector config: their schemas and their resolution into
// settings (durations parsed, rules merged, maintenance windows checked).
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { ConfigError, durationIssue, joinPath, parseDuration, readYamlFile, type ConfigIssue } from '../../protocol/index.ts';
import { BUILTIN_RULES } from './builtin-rules.ts';
import { ChannelSchema, resolveChannels, type ChannelSettings } from './channels/settings.ts';
import { parseWindowTime, WEEKDAYS, type MaintenanceWindow } from './maintenance.ts';
import { buildRules, checkRulesDocument, oneOf, RuleSchema, SEVERITIES, type Rule, type RuleSpec, type Severity } from './rules.ts';

const Email = Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', expected: 'an e-mail address' });
const SeverityList = Type.Array(oneOf(SEVERITIES));
const Locale = Type.Union([Type.Literal('vi'), Type.Literal('en')]);

const MaintenanceSchema = Type.Object(
  {
    agency: Type.String({ minLength: 1, expected: 'an agency id from agencies' }),
    days: Type.Array(oneOf(WEEKDAYS), { minItems: 1 }),
    start: Type.String({ expected: 'a time of day such as 22:00' }),
    end: Type.String({ expected: 'a time of day such as 02:00 (earlier than start: the next day)' }),
    timezone: Type.String({ default: 'Asia/Ho_Chi_Minh', expected: 'an IANA time zone such as Asia/Ho_Chi_Minh' }),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const AlertsSection = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    builtinRules: Type.Boolean({ default: true }),
    rulesFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a YAML file with a rules list' })),
    rules: Type.Array(RuleSchema, { default: [] }),
    evaluationInterval: Type.String({ default: '1s', expected: 'a duration such as 1s' }),
    groupWait: Type.String({ default: '30s', expected: 'a duration such as 30s' }),
    repeatInterval: Type.Object(
      {
        critical: Type.String({ default: '4h' }),
        warning: Type.String({ default: '24h' }),
        info: Type.String({ default: '0s', expected: 'a duration; 0s never repeats' }),
      },
      { additionalProperties: false, default: {} },
    ),
    escalateAfter: Type.String({ default: '30m', expected: 'a duration such as 30m' }),
    historyRetention: Type.String({ default: '400d', expected: 'a duration of at least 62d, such as 400d' }),
    sendResolved: Type.Boolean({ default: true }),
    securityTeam: Type.Array(Email, { default: [] }),
    escalation: Type.Array(Email, { default: [] }),
    routing: Type.Object(
      {
        agencyContacts: Type.Array(oneOf(SEVERITIES), { default: ['info', 'warning', 'critical'] }),
        securityTeam: Type.Array(oneOf(SEVERITIES), { default: ['critical'] }),
        securityTeamByLevel: Type.Record(Type.String(), SeverityList, { default: {}, expected: 'a mapping of agency level to a list of severities' }),
      },
      { additionalProperties: false, default: {} },
    ),
    locale: Type.Union([Type.Literal('vi'), Type.Literal('en')], { default: 'vi' }),
    recipientLocales: Type.Record(Type.String(), Locale, { default: {}, expected: 'a mapping of e-mail address to vi or en' }),
    consoleUrl: Type.Optional(Type.String({ expected: 'the web console URL, such as https://canhgac.example.vn' })),
    grafanaUrl: Type.Optional(Type.String({ expected: 'the Grafana URL, such as https://grafana.example.vn' })),
    maintenance: Type.Array(MaintenanceSchema, { default: [] }),
    storm: Type.Object(
      {
        maxMails: Type.Integer({ minimum: 1, default: 20 }),
        window: Type.String({ default: '10m', expected: 'a duration such as 10m' }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Webhook and Telegram channels beside e-mail (collector/alerts/channels/). */
    channels: Type.Array(ChannelSchema, { default: [], maxItems: 50 }),
  },
  { additionalProperties: false, default: {} },
);

export const SmtpSection = Type.Object(
  {
    host: Type.String({ minLength: 1, expected: 'the SMTP relay host name' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
    secure: Type.Boolean({ default: false, expected: 'true for implicit TLS (port 465)' }),
    starttls: Type.Boolean({ default: true, expected: 'true to require STARTTLS' }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    passwordFile: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a file holding the SMTP password (never the password itself)' })),
    from: Type.String({ minLength: 3, expected: 'the sender, such as "Canh Gác <canhgac@example.vn>"' }),
    ca: Type.Optional(Type.String({ minLength: 1, expected: 'a path to a PEM CA for the relay certificate' })),
    timeout: Type.String({ default: '30s' }),
    maxBackoff: Type.String({ default: '10m', expected: 'the longest wait between delivery attempts, such as 10m' }),
  },
  { additionalProperties: false },
);

export interface AlertSettings {
  enabled: boolean;
  rules: Rule[];
  evaluationIntervalMs: number;
  groupWaitMs: number;
  repeatIntervalMs: Record<Severity, number>;
  escalateAfterMs: number;
  /** Alert, mail and event history older than this is deleted (hourly). */
  historyRetentionMs: number;
  sendResolved: boolean;
  securityTeam: string[];
  escalation: string[];
  routing: { agencyContacts: Severity[]; securityTeam: Severity[]; securityTeamByLevel: Record<string, Severity[]> };
  locale: 'vi' | 'en';
  recipientLocales: Record<string, 'vi' | 'en'>;
  consoleUrl?: string;
  grafanaUrl?: string;
  maintenance: MaintenanceWindow[];
  storm: { maxMails: number; windowMs: number };
  /** Channels beside e-mail, routed by agency, severity and rule; they share the mail queue and its history. */
  channels: ChannelSettings[];
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  starttls: boolean;
  username?: string;
  passwordFile?: string;
  from: string;
  ca?: string;
  timeoutMs: number;
  maxBackoffMs: number;
}

type AlertsRaw = Static<typeof AlertsSection>;
type SmtpRaw = Static<typeof SmtpSection>;

/**
 * Turn the checked YAML sections into settings: durations parsed, rules merged with the built-in set,
 * paths made absolute. Issues go to `issues` (config file); a bad rules file throws its own ConfigError.
 */
export function resolveAlertSettings(
  raw: AlertsRaw,
  smtpRaw: SmtpRaw | undefined,
  ctx: { base: string; levels: readonly string[]; agencies: string[] },
  issues: ConfigIssue[],
): { alerts: AlertSettings; smtp?: SmtpSettings } {
  const ms = (value: string, path: string, opts: { minMs?: number } = {}) => {
    const issue = durationIssue(value, path, opts);
    if (issue) issues.push(issue);
    return parseDuration(value) ?? 0;
  };
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.base, p));

  const builtin = { specs: raw.builtinRules ? BUILTIN_RULES : [], base: 'builtin' };
  let fileLayer = { specs: [] as RuleSpec[], base: 'rules' };
  if (raw.rulesFile) {
    raw.rulesFile = abs(raw.rulesFile);
    const doc = readYamlFile(raw.rulesFile) as { rules?: unknown } | null;
    // The file holds `rules: [...]`; a bare list is accepted too.
    const list = doc && typeof doc === 'object' && !Array.isArray(doc) ? doc.rules : doc;
    const fileIssues = checkRulesDocument(list, 'rules');
    if (fileIssues.length > 0) throw new ConfigError(raw.rulesFile, fileIssues);
    fileLayer = { specs: list as RuleSpec[], base: 'rules' };
    const check = buildRules([builtin, fileLayer]);
    if (check.issues.length > 0) throw new ConfigError(raw.rulesFile, check.issues);
  }
  const merged = buildRules([builtin, fileLayer, { specs: raw.rules as RuleSpec[], base: 'alerts.rules' }]);
  issues.push(...merged.issues);

  Object.keys(raw.routing.securityTeamByLevel).forEach((level) => {
    if (!ctx.levels.includes(level)) issues.push({ path: `alerts.routing.securityTeamByLevel.${level}`, message: `unknown agency level (known: ${ctx.levels.join(', ')})` });
  });
  const maintenance: MaintenanceWindow[] = [];
  raw.maintenance.forEach((w, i) => {
    const path = joinPath('alerts.maintenance', i);
    if (!ctx.agencies.includes(w.agency)) issues.push({ path: `${path}.agency`, message: `unknown agency "${w.agency}" (known: ${ctx.agencies.join(', ') || 'none'})` });
    const start = parseWindowTime(w.start);
    const end = parseWindowTime(w.end);
    if (start === undefined) issues.push({ path: `${path}.start`, message: `expected a time of day such as 22:00, got ${JSON.stringify(w.start)}` });
    if (end === undefined) issues.push({ path: `${path}.end`, message: `expected a time of day such as 02:00, got ${JSON.stringify(w.end)}` });
    try {
      new Intl.DateTimeFormat('en', { timeZone: w.timezone });
    } catch {
      issues.push({ path: `${path}.timezone`, message: `unknown time zone ${JSON.stringify(w.timezone)}` });
    }
    if (start !== undefined && end !== undefined) maintenance.push({ agency: w.agency, days: w.days as MaintenanceWindow['days'], startMin: start, endMin: end, timezone: w.timezone, reason: w.reason });
  });
  for (const key of ['consoleUrl', 'grafanaUrl'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    try {
      new URL(v);
    } catch {
      issues.push({ path: `alerts.${key}`, message: `expected a URL such as https://canhgac.example.vn, got ${JSON.stringify(v)}` });
    }
  }

  const alerts: AlertSettings = {
    enabled: raw.enabled,
    rules: merged.rules,
    evaluationIntervalMs: ms(raw.evaluationInterval, 'alerts.evaluationInterval', { minMs: 10 }),
    groupWaitMs: ms(raw.groupWait, 'alerts.groupWait'),
    repeatIntervalMs: {
      critical: ms(raw.repeatInterval.critical, 'alerts.repeatInterval.critical'),
      warning: ms(raw.repeatInterval.warning, 'alerts.repeatInterval.warning'),
      info: ms(raw.repeatInterval.info, 'alerts.repeatInterval.info'),
    },
    escalateAfterMs: ms(raw.escalateAfter, 'alerts.escalateAfter'),
    // Two months at least: the monthly report counts last month's incidents and compares with the one before.
    historyRetentionMs: ms(raw.historyRetention, 'alerts.historyRetention', { minMs: 62 * 86_400_000 }),
    sendResolved: raw.sendResolved,
    securityTeam: raw.securityTeam,
    escalation: raw.escalation,
    routing: raw.routing as AlertSettings['routing'],
    locale: raw.locale,
    recipientLocales: Object.fromEntries(Object.entries(raw.recipientLocales).map(([k, v]) => [k.toLowerCase(), v])),
    consoleUrl: raw.consoleUrl,
    grafanaUrl: raw.grafanaUrl,
    maintenance,
    storm: { maxMails: raw.storm.maxMails, windowMs: ms(raw.storm.window, 'alerts.storm.window', { minMs: 1000 }) },
    channels: resolveChannels(raw.channels, { ...ctx, rules: merged.rules.map((r) => r.name) }, issues),
  };
  let smtp: SmtpSettings | undefined;
  if (smtpRaw) {
    if (smtpRaw.passwordFile && !smtpRaw.username) issues.push({ path: 'smtp.username', message: 'missing; expected the SMTP user name that goes with smtp.passwordFile' });
    smtp = {
      host: smtpRaw.host,
      port: smtpRaw.port,
      secure: smtpRaw.secure,
      // Implicit TLS already encrypts: STARTTLS inside it is meaningless.
      starttls: smtpRaw.starttls && !smtpRaw.secure,
      username: smtpRaw.username,
      passwordFile: smtpRaw.passwordFile ? abs(smtpRaw.passwordFile) : undefined,
      from: smtpRaw.from,
      ca: smtpRaw.ca ? abs(smtpRaw.ca) : undefined,
      timeoutMs: ms(smtpRaw.timeout, 'smtp.timeout', { minMs: 100 }),
      maxBackoffMs: ms(smtpRaw.maxBackoff, 'smtp.maxBackoff', { minMs: 100 }),
    };
  }
  return { alerts, smtp };
}
