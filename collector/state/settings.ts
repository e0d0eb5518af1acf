// The collector config's `state:` section: where the state lives (the embedded SQLite file, or a
// PostgreSQL database shared by several collectors), checked so that no password is ever written in it.
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { durationIssue, parseDuration, type ConfigIssue } from '../../protocol/index.ts';
import { redactedUrl } from './sql/connect.ts';

export const DEFAULT_POOL_SIZE = 10;
export const MAX_POOL_SIZE = 100;
export const DEFAULT_STATEMENT_TIMEOUT = '10s';
/** How long the start (and a CLI command) waits for PostgreSQL before it says it cannot reach it. */
export const STATE_CONNECT_TIMEOUT_MS = 5000;
const MAX_URL_LENGTH = 500;
const SSL_MODES = ['disable', 'require', 'verify-full'];

// No pattern or length in the schema on `url`: the schema's messages quote the value, and a value may
// hold a password; its checks are below, with messages that never quote it.
export const StateSection = Type.Object(
  {
    driver: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { default: 'sqlite', expected: 'sqlite (the embedded file, the default) or postgres' }),
    url: Type.Optional(Type.String({ maxLength: 2048, expected: 'a URL such as postgres://canhgac@127.0.0.1:5432/canhgac' })),
    passwordFile: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, expected: 'a path to a file holding the PostgreSQL password' })),
    poolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_POOL_SIZE, expected: `connections to PostgreSQL, from 1 to ${MAX_POOL_SIZE}, such as ${DEFAULT_POOL_SIZE}` })),
    statementTimeout: Type.Optional(Type.String({ maxLength: 32, expected: 'a duration such as 10s' })),
  },
  { additionalProperties: false, default: {} },
);

export type StateSettings =
  | { driver: 'sqlite' }
  | { driver: 'postgres'; url: string; passwordFile?: string; poolSize: number; statementTimeoutMs: number; connectTimeoutMs: number };

/** What is wrong with a `state.url`, in words that never repeat the URL's password. */
function urlIssue(url: string): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `expected a URL of at most ${MAX_URL_LENGTH} characters, got ${url.length}`;
  const u = URL.canParse(url) ? new URL(url) : undefined;
  if (!u || !['postgres:', 'postgresql:'].includes(u.protocol) || !u.hostname) {
    return `expected postgres://USER@HOST:PORT/DATABASE, got ${u ? JSON.stringify(redactedUrl(url)) : 'something that is not a URL'}`;
  }
  if (u.password) return 'a password does not belong in the URL (it would be in the config, its backups and ps): put it in a file of its own (mode 0600) and name it in state.passwordFile';
  if (!u.username) return `expected the user in the URL, such as postgres://canhgac@${u.host}${u.pathname}, got ${JSON.stringify(redactedUrl(url))}`;
  if (u.pathname.length <= 1) return `expected the database in the URL, such as postgres://${u.username}@${u.host}/canhgac, got ${JSON.stringify(redactedUrl(url))}`;
  const mode = u.searchParams.get('sslmode');
  if (mode !== null && !SSL_MODES.includes(mode)) return `sslmode: expected one of ${SSL_MODES.join(', ')}, got ${JSON.stringify(mode.slice(0, 40))}`;
  return undefined;
}

/**
 * The section as the collector uses it: PostgreSQL's keys are required with it and refused without it
 * (a URL left under driver sqlite would look as if the state were shared when it is not).
 */
export function resolveState(raw: Static<typeof StateSection>, base: string, issues: ConfigIssue[]): StateSettings {
  if (raw.driver === 'sqlite') {
    for (const key of ['url', 'passwordFile', 'poolSize', 'statementTimeout'] as const) {
      if (raw[key] !== undefined) issues.push({ path: `state.${key}`, message: 'only for driver postgres (state.driver is sqlite, the default): remove it, or set state.driver: postgres' });
    }
    return { driver: 'sqlite' };
  }
  if (raw.url === undefined) {
    issues.push({ path: 'state.url', message: 'missing; expected with driver postgres: a URL such as postgres://canhgac@127.0.0.1:5432/canhgac (the password in state.passwordFile)' });
  } else {
    const issue = urlIssue(raw.url);
    if (issue) issues.push({ path: 'state.url', message: issue });
  }
  const timeout = raw.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT;
  const timeoutIssue = durationIssue(timeout, 'state.statementTimeout', { minMs: 1000, maxMs: 3_600_000 });
  if (timeoutIssue) issues.push(timeoutIssue);
  const passwordFile = raw.passwordFile === undefined ? undefined : isAbsolute(raw.passwordFile) ? raw.passwordFile : resolve(base, raw.passwordFile);
  return {
    driver: 'postgres',
    url: raw.url ?? '',
    ...(passwordFile ? { passwordFile } : {}),
    poolSize: raw.poolSize ?? DEFAULT_POOL_SIZE,
    statementTimeoutMs: parseDuration(timeout) ?? 0,
    connectTimeoutMs: STATE_CONNECT_TIMEOUT_MS,
  };
}
