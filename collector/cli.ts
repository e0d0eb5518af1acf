import { parseArgs } from 'node:util';
import { ConfigError, EXIT_CONFIG, parseDuration, VERSION } from '../protocol/index.ts';
import { DEFAULT_CONFIG_PATH, loadCollectorConfig, type CollectorConfig } from './config.ts';
import { startCollector, statePath } from './service.ts';
import { getAgency, syncAgencies } from './state/agencies.ts';
import { listAgents, requestTokenRotation, revokeAgent } from './state/agents.ts';
import { openDb } from './state/db.ts';
import { meetingCheck } from './meeting-check.ts';
import { ALERT_HELP, alertStateCommand, testMailCommand } from './alerts/cli-commands.ts';
import { DEVICE_FILTERS, listDevices, type DeviceFilter } from './state/devices.ts';
import { certsCommand, CERTS_HELP } from './certs-command.ts';
import { createEnrollCode } from './state/enroll-codes.ts';
import { userCommand, USER_HELP } from './console/user-command.ts';
import { reportCommand, REPORT_HELP } from './report/report-command.ts';
import { createAdminToken, revokeAdminToken, ROLE_RANK, type Role } from './state/admin-tokens.ts';

const HELP = `canhgac-collector ${VERSION}: the Canh Gác collector

Usage:
  canhgac-collector serve        [--config FILE]            serve the agent API (HTTPS)
  canhgac-collector enroll-code  [--config FILE] --agency ID [--ttl 24h] [--note TEXT]
                                                            print a one-time enrolment code for an agency
  canhgac-collector agent list   [--config FILE] [--agency ID] [--json]
  canhgac-collector agent revoke ID [--config FILE]         refuse this agent's token from now on
  canhgac-collector agent rotate ID [--config FILE]         hand the agent a new token on its next contact
  canhgac-collector token create --name NAME [--role viewer|operator|admin] [--agency ID] [--config FILE]
                                                            print an API token for operators and scripts
  canhgac-collector token revoke --name NAME [--config FILE]
  canhgac-collector devices      --agency ID [--filter new|stale|exposed] [--stale-after DURATION] [--json] [--config FILE]
                                                            list the LAN devices the discovery check found for an agency
${CERTS_HELP}${ALERT_HELP}${USER_HELP}${REPORT_HELP}  canhgac-collector check-config [--config FILE]
  canhgac-collector meeting-check [--wait 10s] [--agency ID] [--json] [--config FILE]
                                                            pre-meeting check: every agent with the videoconf check runs it now;
                                                            prints all endpoints (exit 0 only when every one is ready)
  canhgac-collector version

The default config is ${DEFAULT_CONFIG_PATH}.
Exit codes: 0 ok, 1 failure, 2 configuration or usage error (nothing was started).
`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  if (command === 'version' || command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  try {
    const { values: args, positionals } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_PATH },
        agency: { type: 'string' },
        ttl: { type: 'string', default: '24h' },
        note: { type: 'string' },
        json: { type: 'boolean', default: false },
        name: { type: 'string' },
        role: { type: 'string', default: 'admin' },
        filter: { type: 'string' },
        'stale-after': { type: 'string' },
        wait: { type: 'string', default: '10s' },
        expiring: { type: 'string' },
        all: { type: 'boolean', default: false },
        by: { type: 'string' },
        match: { type: 'string', multiple: true },
        duration: { type: 'string' },
        reason: { type: 'string' },
        to: { type: 'string' },
        admin: { type: 'boolean', default: false },
        'password-file': { type: 'string' },
        month: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        lang: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
    switch (command) {
      case 'serve':
        return await serve(loadCollectorConfig(args.config!));
      case 'check-config': {
        const cfg = loadCollectorConfig(args.config!);
        process.stdout.write(`${cfg.file}: ok, ${cfg.agencies.length} agencies\n`);
        return 0;
      }
      case 'enroll-code':
        return enrollCode(loadCollectorConfig(args.config!), args.agency, args.ttl!, args.note);
      case 'token':
        return tokenCommand(loadCollectorConfig(args.config!), positionals, args);
      case 'agent':
        return agentCommand(loadCollectorConfig(args.config!), positionals, args);
      case 'alerts':
      case 'silence':
      case 'notifications': {
        const config = loadCollectorConfig(args.config!);
        return withDb(config, (db) => alertStateCommand(config, db, command, positionals, args, (m) => new UsageError(m), (t) => process.stdout.write(t)));
      }
      case 'test-mail':
        return await testMailCommand(loadCollectorConfig(args.config!), args.to, (m) => new UsageError(m), (t) => process.stdout.write(t));
      case 'meeting-check':
        return await meetingCheckCommand(loadCollectorConfig(args.config!), args);
      case 'devices':
        return devicesCommand(loadCollectorConfig(args.config!), args);
      case 'certs':
        return certsCommand(loadCollectorConfig(args.config!), args);
      case 'user': {
        const config = loadCollectorConfig(args.config!);
        const roleGiven = rest.some((a) => a === '--role' || a.startsWith('--role='));
        return await withDbAsync(config, (db) => userCommand(config, db, positionals, { ...args, roleGiven }, (m) => new UsageError(m), (t) => process.stdout.write(t)));
      }
      case 'report': {
        const config = loadCollectorConfig(args.config!);
        return await withDbAsync(config, (db) => reportCommand(config, db, args, (m) => new UsageError(m)));
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error:\n${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`canhgac-collector: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    // A person needs the reason; the stack only when asked for (CANHGAC_DEBUG=1).
    process.stderr.write(`canhgac-collector: ${process.env.CANHGAC_DEBUG ? (err as Error).stack : (err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

async function serve(config: CollectorConfig): Promise<number> {
  const collector = await startCollector(config, { logger: { level: 'info' } });
  const log = collector.app.log;
  if (collector.tls) {
    log.info({ certificate: collector.tls.certFile, sha256: collector.tls.fingerprint256, generated: collector.tls.generated }, 'TLS certificate');
    process.stderr.write(`collector certificate ${collector.tls.certFile}\n  SHA-256 fingerprint ${collector.tls.fingerprint256}\n`);
  }
  process.stderr.write(`collector listening on ${collector.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      collector.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

async function meetingCheckCommand(config: CollectorConfig, args: { wait?: string; agency?: string; json?: boolean }): Promise<number> {
  const waitMs = parseDuration(args.wait ?? '10s');
  if (waitMs === undefined || waitMs < 1000 || waitMs > 60_000) throw new UsageError(`--wait: expected a duration from 1s to 60s, got "${args.wait}"`);
  if (args.agency && !config.agencies.some((a) => a.id === args.agency)) throw new UsageError(`--agency: unknown agency "${args.agency}"`);
  const r = await meetingCheck(config, { waitSeconds: Math.round(waitMs / 1000), agency: args.agency, json: args.json ?? false, token: process.env.CANHGAC_TOKEN || undefined });
  process.stdout.write(r.output);
  return r.exitCode;
}

function withDb<T>(config: CollectorConfig, fn: (db: ReturnType<typeof openDb>) => T): T {
  const db = openDb(statePath(config));
  try {
    syncAgencies(db, config.agencies);
    return fn(db);
  } finally {
    db.close();
  }
}

async function withDbAsync<T>(config: CollectorConfig, fn: (db: ReturnType<typeof openDb>) => Promise<T>): Promise<T> {
  const db = openDb(statePath(config));
  try {
    syncAgencies(db, config.agencies);
    return await fn(db);
  } finally {
    db.close();
  }
}

function enrollCode(config: CollectorConfig, agency: string | undefined, ttl: string, note?: string): number {
  if (!agency) throw new UsageError('enroll-code needs --agency ID');
  const ttlMs = parseDuration(ttl);
  if (ttlMs === undefined || ttlMs < 60_000 || ttlMs > 30 * 86_400_000) throw new UsageError(`--ttl: expected a duration from 1m to 30d, got "${ttl}"`);
  return withDb(config, (db) => {
    const a = getAgency(db, agency);
    if (!a || !a.active) {
      const known = config.agencies.map((x) => x.id).join(', ') || 'none configured';
      throw new UsageError(`--agency: unknown agency "${agency}" (known: ${known})`);
    }
    const c = createEnrollCode(db, agency, ttlMs, note);
    process.stdout.write(`${c.code}\n`);
    process.stderr.write(`one-time code for ${a.name} (${a.id}), valid until ${new Date(c.expiresAt).toISOString()}\n`);
    return 0;
  });
}

function agentCommand(config: CollectorConfig, positionals: string[], args: { agency?: string; json?: boolean }): number {
  const [sub, id] = positionals;
  return withDb(config, (db) => {
    if (sub === 'list') {
      const agents = listAgents(db, { agency: args.agency });
      if (args.json) {
        process.stdout.write(JSON.stringify(agents) + '\n');
        return 0;
      }
      const rows = agents.map((a) => [a.id, a.agency, a.hostname, a.version ?? '', a.lastSeen ? new Date(a.lastSeen).toISOString() : 'never', a.revokedAt ? 'revoked' : 'active']);
      const head = ['ID', 'AGENCY', 'HOSTNAME', 'VERSION', 'LAST SEEN', 'STATE'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
      return 0;
    }
    if (sub === 'revoke' || sub === 'rotate') {
      if (!id) throw new UsageError(`agent ${sub} needs an agent id (see: canhgac-collector agent list)`);
      const ok = sub === 'revoke' ? revokeAgent(db, id) : requestTokenRotation(db, id);
      if (!ok) {
        process.stderr.write(`no active agent "${id}"\n`);
        return 1;
      }
      process.stdout.write(sub === 'revoke' ? `agent ${id} revoked: its token is refused from now on\n` : `agent ${id}: a new token will be handed over on its next contact\n`);
      return 0;
    }
    throw new UsageError(`agent: expected list, revoke ID or rotate ID`);
  });
}

function devicesCommand(config: CollectorConfig, args: { agency?: string; filter?: string; json?: boolean; 'stale-after'?: string }): number {
  if (!args.agency) throw new UsageError('devices needs --agency ID');
  if (args.filter !== undefined && !(DEVICE_FILTERS as readonly string[]).includes(args.filter)) {
    throw new UsageError(`--filter: expected ${DEVICE_FILTERS.join(', ')}, got "${args.filter}"`);
  }
  const staleAfterMs = args['stale-after'] === undefined ? config.devicesStaleAfterMs : parseDuration(args['stale-after']);
  if (staleAfterMs === undefined || staleAfterMs < 1000) throw new UsageError(`--stale-after: expected a duration such as 7d, got "${args['stale-after']}"`);
  return withDb(config, (db) => {
    const agency = getAgency(db, args.agency!);
    if (!agency) throw new UsageError(`--agency: unknown agency "${args.agency}" (known: ${config.agencies.map((a) => a.id).join(', ') || 'none configured'})`);
    const devices = listDevices(db, agency.id, { filter: args.filter as DeviceFilter | undefined, staleAfterMs });
    if (args.json) {
      process.stdout.write(JSON.stringify(devices) + '\n');
      return 0;
    }
    const rows = devices.map((d) => [
      d.mac,
      d.ip,
      d.subnet,
      d.vendor ?? '',
      d.hostname ?? '',
      d.firstSeen.slice(0, 16).replace('T', ' '),
      d.lastSeen.slice(0, 16).replace('T', ' '),
      [d.new ? 'new' : '', d.stale ? 'stale' : '', ...d.exposures.map((e) => `${e.service}:${e.port}`)].filter(Boolean).join(' '),
    ]);
    const head = ['MAC', 'IP', 'SUBNET', 'VENDOR', 'HOSTNAME', 'FIRST SEEN (UTC)', 'LAST SEEN (UTC)', 'FLAGS'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
    process.stderr.write(`${devices.length} device(s) of ${agency.name} (${agency.id})${args.filter ? `, filter ${args.filter}` : ''}\n`);
    return 0;
  });
}

function tokenCommand(config: CollectorConfig, positionals: string[], args: { name?: string; role?: string; agency?: string }): number {
  const [sub] = positionals;
  if (!args.name) throw new UsageError(`token ${sub ?? ''}: --name NAME is required`);
  return withDb(config, (db) => {
    if (sub === 'create') {
      if (!(args.role! in ROLE_RANK)) throw new UsageError(`--role: expected viewer, operator or admin, got "${args.role}"`);
      if (args.agency && !config.agencies.some((a) => a.id === args.agency)) throw new UsageError(`--agency: unknown agency "${args.agency}"`);
      const token = createAdminToken(db, args.name!, args.role as Role, args.agency);
      process.stdout.write(`${token}\n`);
      process.stderr.write(`API token "${args.name}" (${args.role}${args.agency ? `, agency ${args.agency}` : ''}): shown once, store it now\n`);
      return 0;
    }
    if (sub === 'revoke') {
      const n = revokeAdminToken(db, args.name!);
      process.stdout.write(`${n} token(s) named "${args.name}" revoked\n`);
      return n > 0 ? 0 : 1;
    }
    throw new UsageError('token: expected create or revoke');
  });
}
