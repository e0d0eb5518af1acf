// The `alerts.channels` list of the collector config (webhook and Telegram channels beside e-mail): its
// schema, and its resolution into settings with every mistake named by key (secrets read only to check them).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { durationIssue, joinPath, parseDuration, type ConfigIssue } from '../../../protocol/index.ts';
import { oneOf, SEVERITIES, type Severity } from '../rules.ts';
import type { Locale } from '../templates.ts';

export const CHANNEL_TYPES = ['webhook', 'telegram'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const DEFAULT_TELEGRAM_API = 'https://api.telegram.org';
/** Longest wait for one delivery: the pump of a channel waits for nothing longer than this. */
const MAX_TIMEOUT_MS = 120_000;

const Path = (expected: string) => Type.String({ minLength: 1, maxLength: 4096, expected });

export const ChannelSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', expected: 'a lowercase name of letters, digits and dashes, such as soc-telegram' }),
    type: oneOf(CHANNEL_TYPES),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, expected: 'the http:// or https:// URL the webhook is posted to' })),
    secretFile: Type.Optional(Path('a path to a file holding the shared secret of the webhook signature (never the secret itself)')),
    apiUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, expected: 'the Bot API base URL, such as https://api.telegram.org or a relay' })),
    botTokenFile: Type.Optional(Path('a path to a file holding the Telegram bot token (never the token itself)')),
    chatId: Type.Optional(Type.Union([Type.Integer(), Type.String({ pattern: '^(-?[0-9]{1,20}|@[A-Za-z0-9_]{4,32})$' })], { expected: 'a Telegram chat id such as -1001234567890, or @channelname' })),
    ca: Type.Optional(Path('a path to a PEM CA for the receiver certificate')),
    timeout: Type.String({ default: '10s', expected: 'a duration such as 10s' }),
    maxBackoff: Type.String({ default: '10m', expected: 'the longest wait between delivery attempts, such as 10m' }),
    locale: Type.Optional(oneOf(['vi', 'en'])),
    agencies: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of agency ids from agencies' })),
    levels: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of agency levels' })),
    severities: Type.Array(oneOf(SEVERITIES), { default: ['info', 'warning', 'critical'] }),
    rules: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, expected: 'a list of rule names' })),
    escalation: Type.Boolean({ default: false, expected: 'true to also receive escalations' }),
    sendResolved: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

type ChannelRaw = Static<typeof ChannelSchema>;

/** Which alerts a channel hears of: like an agency's contacts, by agency (and level), severity and rule. */
export interface ChannelRoute {
  /** undefined: every agency, and the collector's own alerts. */
  agencies?: string[];
  levels?: string[];
  severities: Severity[];
  rules?: string[];
  escalation: boolean;
  sendResolved: boolean;
}

interface ChannelBase {
  name: string;
  /** The language of its messages; undefined: its one agency's locale, else alerts.locale (see routing.ts). */
  locale?: Locale;
  timeoutMs: number;
  maxBackoffMs: number;
  ca?: string;
  route: ChannelRoute;
}

export interface WebhookSettings extends ChannelBase {
  type: 'webhook';
  url: string;
  secretFile: string;
}

export interface TelegramSettings extends ChannelBase {
  type: 'telegram';
  apiUrl: string;
  botTokenFile: string;
  chatId: string;
}

export type ChannelSettings = WebhookSettings | TelegramSettings;

/**
 * Where a channel delivers, for the history and the console: a webhook's origin (its path may carry a key
 * of the receiver's own), a Telegram chat id. Never a secret.
 */
export function channelAddress(c: ChannelSettings): string {
  return c.type === 'webhook' ? (URL.canParse(c.url) ? new URL(c.url).origin : '(invalid URL)') : `Telegram chat ${c.chatId}`;
}

/** What a channel receives, in one line: `agencies=so-y-te severities=warning,critical rules=target_down escalation`. */
export function routeSummary(c: ChannelSettings): string {
  const r = c.route;
  const parts = [r.agencies && `agencies=${r.agencies.join(',')}`, r.levels && `levels=${r.levels.join(',')}`, `severities=${r.severities.join(',')}`, r.rules && `rules=${r.rules.join(',')}`];
  if (r.escalation) parts.push('escalation');
  if (!r.sendResolved) parts.push('no-resolved');
  return parts.filter(Boolean).join(' ');
}

const OWN_KEYS: Record<ChannelType, string[]> = { webhook: ['url', 'secretFile'], telegram: ['apiUrl', 'botTokenFile', 'chatId'] };
/** A webhook secret shorter than this is guessable. */
export const MIN_SECRET_LENGTH = 16;

/**
 * Read a secret file to check it, never to keep it (each delivery reads it again, so it can be rotated
 * without a restart). The message names the file and the problem, never the content.
 */
export function secretIssue(file: string, path: string, what: string, check?: (secret: string) => string | undefined): ConfigIssue | undefined {
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { path, message: `cannot read ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'error')}); expected a file holding ${what}` };
  }
  if (secret === '') return { path, message: `${file} is empty; expected a file holding ${what}` };
  const problem = check?.(secret);
  return problem ? { path, message: `${file}: ${problem}` } : undefined;
}

const httpUrlIssue = (value: string, path: string, example: string): ConfigIssue | undefined => {
  if (URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol)) return undefined;
  return { path, message: `expected an http:// or https:// URL such as ${example}, got ${JSON.stringify(value.slice(0, 60))}` };
};

function typeIssues(c: ChannelRaw, at: string, abs: (p: string) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const type = c.type as ChannelType;
  const foreign = CHANNEL_TYPES.filter((t) => t !== type).flatMap((t) => OWN_KEYS[t]).filter((k) => k in c && !OWN_KEYS[type].includes(k));
  for (const k of foreign) issues.push({ path: `${at}.${k}`, message: `not a key of a ${type} channel (its own keys: ${OWN_KEYS[type].join(', ')})` });
  const need = (key: string, expected: string) => {
    if ((c as Record<string, unknown>)[key] === undefined) issues.push({ path: `${at}.${key}`, message: `missing; a ${type} channel needs ${expected}` });
  };
  if (type === 'webhook') {
    need('url', 'the http:// or https:// URL it posts to');
    need('secretFile', 'a path to a file holding the shared secret of its signature');
    const urlIssue = c.url === undefined ? undefined : httpUrlIssue(c.url, `${at}.url`, 'https://soar.example.vn/hooks/canhgac');
    if (urlIssue) issues.push(urlIssue);
    const secret = c.secretFile && secretIssue(abs(c.secretFile), `${at}.secretFile`, `the webhook secret (at least ${MIN_SECRET_LENGTH} characters)`, (s) =>
      s.length < MIN_SECRET_LENGTH ? `the secret is shorter than ${MIN_SECRET_LENGTH} characters; expected a long random secret (openssl rand -hex 32)` : undefined,
    );
    if (secret) issues.push(secret);
  } else {
    need('botTokenFile', 'a path to a file holding the bot token');
    need('chatId', 'the chat id the bot writes to, such as -1001234567890');
    const urlIssue = c.apiUrl === undefined ? undefined : httpUrlIssue(c.apiUrl, `${at}.apiUrl`, DEFAULT_TELEGRAM_API);
    if (urlIssue) issues.push(urlIssue);
    // The token goes into the request path: a character that would change the path is refused (never echoed).
    const token = c.botTokenFile && secretIssue(abs(c.botTokenFile), `${at}.botTokenFile`, 'the bot token from @BotFather', (s) =>
      /^[A-Za-z0-9:_-]{1,200}$/.test(s) ? undefined : 'expected a bot token such as 123456789:AA… (letters, digits, colon, dash and underscore only)',
    );
    if (token) issues.push(token);
  }
  return issues;
}

/** Checks the channels against each other and the rest of the config; issues go to `issues`. */
export function resolveChannels(
  raw: ChannelRaw[],
  ctx: { base: string; levels: readonly string[]; agencies: string[]; rules: string[] },
  issues: ConfigIssue[],
): ChannelSettings[] {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.base, p));
  const names = new Set<string>();
  const out: ChannelSettings[] = [];
  raw.forEach((c, i) => {
    const at = joinPath('alerts.channels', i);
    if (c.name === 'email') issues.push({ path: `${at}.name`, message: '"email" is the name of the e-mail channel; choose another name' });
    else if (names.has(c.name)) issues.push({ path: `${at}.name`, message: `duplicate channel name "${c.name}"` });
    names.add(c.name);
    issues.push(...typeIssues(c, at, abs));
    const unknown = (key: 'agencies' | 'levels' | 'rules', known: readonly string[], what: string) => {
      (c[key] ?? []).forEach((v, j) => {
        if (!known.includes(v)) issues.push({ path: `${joinPath(`${at}.${key}`, j)}`, message: `unknown ${what} "${v}" (known: ${known.join(', ') || 'none'})` });
      });
    };
    unknown('agencies', ctx.agencies, 'agency');
    unknown('levels', ctx.levels, 'agency level');
    unknown('rules', ctx.rules, 'rule');
    const ms = (key: 'timeout' | 'maxBackoff', minMs: number, maxMs?: number) => {
      const issue = durationIssue(c[key], `${at}.${key}`, { minMs, maxMs });
      if (issue) issues.push(issue);
      return parseDuration(c[key]) ?? 0;
    };
    const base = {
      name: c.name,
      locale: c.locale as Locale | undefined,
      timeoutMs: ms('timeout', 100, MAX_TIMEOUT_MS),
      maxBackoffMs: ms('maxBackoff', 100),
      ca: c.ca ? abs(c.ca) : undefined,
      route: { agencies: c.agencies, levels: c.levels, severities: c.severities as Severity[], rules: c.rules, escalation: c.escalation, sendResolved: c.sendResolved },
    };
    if (c.type === 'webhook') out.push({ ...base, type: 'webhook', url: c.url ?? '', secretFile: abs(c.secretFile ?? '') });
    else out.push({ ...base, type: 'telegram', apiUrl: (c.apiUrl ?? DEFAULT_TELEGRAM_API).replace(/\/+$/, ''), botTokenFile: abs(c.botTokenFile ?? ''), chatId: String(c.chatId ?? '') });
  });
  return out;
}
