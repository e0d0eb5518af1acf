// `alerts`, `silence`, `notifications`, `test-mail`: the alert state the API and console show, read
// and changed straight in SQLite, so an operator can act while the web console is unreachable.
import { parseDuration } from '../../protocol/index.ts';
import { sendTestMail } from '../alerts/delivery.ts';
import { MAX_SILENCE_DAYS, silenceProblem } from '../alerts/silences.ts';
import { acknowledgeAlert, getAlert, listAlerts, listNotifications } from '../alerts/alert-queries.ts';
import { addSilence, listSilences, removeSilence } from '../alerts/silence-store.ts';
import { formatTime, summaryOf } from '../alerts/templates.ts';
import type { CollectorConfig } from '../config.ts';
import type { StateSql } from '../state/sql/connect.ts';
import { cliAudit, loadConfig, parseOptions, printTable, stdout, UsageError, withState, type CommandGroup, type Out } from './common.ts';
import { matcherText } from '../state/audit.ts';

export const ALERTS_USAGE = `  canhgac-collector alerts list   [--agency ID] [--all] [--json]   firing alerts (--all: with resolved history)
  canhgac-collector alerts ack ID --by NAME [--note TEXT]          acknowledge: stops reminders and escalation
  canhgac-collector silence add --match LABEL=VALUE [--match ...] --duration 2h --reason TEXT --by NAME
                                  VALUE: exact, !not, or ~regex (RE2 syntax); --duration at most ${MAX_SILENCE_DAYS}d
  canhgac-collector silence list  [--all] [--json]
  canhgac-collector silence remove ID --by NAME
  canhgac-collector notifications [--agency ID] [--channel NAME] [--json]
                                  notification history of every channel (recipients, subject, attempts, result)
  canhgac-collector test-mail --to ADDRESS                         send a test mail with the smtp settings
`;

const when = (t: number | null) => (t ? formatTime(t, 'vi') : '');

async function alerts(argv: string[]): Promise<number> {
  const { values: args, positionals } = parseOptions(
    argv,
    { agency: { type: 'string' }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, by: { type: 'string' }, note: { type: 'string' } },
    2,
  );
  const config = loadConfig(args);
  return withState(config, async (state) => {
    const [sub, id] = positionals;
    if (sub === 'list') return printAlerts(config, state, args);
    if (sub !== 'ack') throw new UsageError('alerts: expected list or ack ID');
    if (!id || !/^\d+$/.test(id)) throw new UsageError('alerts ack needs an alert id (see: canhgac-collector alerts list)');
    if (!args.by) throw new UsageError('alerts ack: --by NAME is required (recorded with the acknowledgement)');
    const before = await getAlert(state.db, Number(id));
    if (!before || before.state !== 'firing') return stdout(`no firing alert ${id}\n`), 1;
    if (before.ackedAt !== null) return stdout(`alert ${id} was already acknowledged by ${before.ackedBy}\n`), 1;
    await acknowledgeAlert(state.db, before.id, args.by, args.note, Date.now());
    await cliAudit(state, 'alert_ack', { target: String(before.id), agency: before.agency, detail: `${before.rule}, recorded as ${args.by}` });
    stdout(`alert ${id} acknowledged by ${args.by}: no more reminders or escalation\n`);
    return 0;
  });
}

async function printAlerts(config: CollectorConfig, state: StateSql, args: { all: boolean; agency?: string; json: boolean }): Promise<number> {
  const rules = new Map(config.alerting.alerts.rules.map((r) => [r.name, r]));
  const list = await listAlerts(state, { state: args.all ? 'all' : 'active', agency: args.agency });
  if (args.json) return stdout(JSON.stringify(list) + '\n'), 0;
  const summary = (a: (typeof list)[number]) =>
    summaryOf({ id: a.id, rule: rules.get(a.rule), ruleName: a.rule, severity: a.severity, agency: a.agency, labels: a.labels, value: a.value, firedAt: a.firedAt ?? a.activeSince }, 'vi');
  const rows = list.map((a) => [String(a.id), a.state, a.severity, a.agency || '-', summary(a), when(a.firedAt), when(a.resolvedAt), a.ackedBy ?? '']);
  printTable([['ID', 'STATE', 'SEVERITY', 'AGENCY', 'SUMMARY', 'FIRED', 'RESOLVED', 'ACK BY'], ...rows]);
  return 0;
}

/** `--match LABEL=VALUE` pairs; what they say is checked by silenceProblem, as the API and the console do. */
function parseMatchers(match: string[]): Record<string, string> {
  const matchers: Record<string, string> = {};
  for (const m of match) {
    const at = m.indexOf('=');
    if (at < 1) throw new UsageError(`--match: expected LABEL=VALUE, got "${m}"`);
    matchers[m.slice(0, at)] = m.slice(at + 1);
  }
  if (Object.keys(matchers).length === 0) throw new UsageError('silence add: at least one --match LABEL=VALUE, such as --match agency=so-y-te');
  return matchers;
}

async function silence(argv: string[]): Promise<number> {
  const { values: args, positionals } = parseOptions(
    argv,
    {
      match: { type: 'string', multiple: true },
      duration: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    2,
  );
  const config = loadConfig(args);
  return withState(config, async (state) => {
    const [sub, id] = positionals;
    if (sub === 'add') {
      const matchers = parseMatchers(args.match ?? []);
      const ms = args.duration ? parseDuration(args.duration) : undefined;
      if (!ms) throw new UsageError(`silence add: --duration expected a duration such as 2h, got "${args.duration ?? ''}"`);
      if (!args.reason) throw new UsageError('silence add: --reason TEXT is required');
      if (!args.by) throw new UsageError('silence add: --by NAME is required');
      const now = Date.now();
      const problem = silenceProblem({ matchers, startsAt: now, endsAt: now + ms }, now);
      if (problem?.field === 'matchers') throw new UsageError(`silence add: --match: ${problem.message}`);
      if (problem) throw new UsageError(`silence add: --duration ${args.duration}: ${problem.message}`);
      const s = await addSilence(state.db, { matchers, startsAt: now, endsAt: now + ms, reason: args.reason, author: args.by }, now);
      await cliAudit(state, 'silence_add', { target: String(s.id), agency: matchers.agency, detail: `${matcherText(matchers)}, recorded as ${args.by}` });
      stdout(`silence ${s.id} until ${formatTime(s.endsAt, 'vi')}\n`);
      return 0;
    }
    if (sub === 'list') {
      const list = await listSilences(state, Date.now(), { includeEnded: args.all });
      if (args.json) return stdout(JSON.stringify(list) + '\n'), 0;
      const matchers = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',');
      const rows = list.map((s) => [String(s.id), matchers(s.matchers), when(s.startsAt), when(s.endsAt), s.author, s.reason, s.removedBy ?? '']);
      printTable([['ID', 'MATCHERS', 'FROM', 'UNTIL', 'AUTHOR', 'REASON', 'REMOVED'], ...rows]);
      return 0;
    }
    if (sub !== 'remove') throw new UsageError('silence: expected add, list or remove ID');
    if (!id || !/^\d+$/.test(id)) throw new UsageError('silence remove needs a silence id');
    if (!args.by) throw new UsageError('silence remove: --by NAME is required');
    if (!(await removeSilence(state.db, Number(id), args.by, Date.now()))) return stdout(`no active silence ${id}\n`), 1;
    await cliAudit(state, 'silence_remove', { target: id, detail: `recorded as ${args.by}` });
    stdout(`silence ${id} removed\n`);
    return 0;
  });
}

async function notifications(argv: string[]): Promise<number> {
  const { values: args } = parseOptions(argv, { agency: { type: 'string' }, channel: { type: 'string' }, json: { type: 'boolean', default: false } });
  const list = await withState(loadConfig(args), (state) => listNotifications(state, { agency: args.agency, channel: args.channel }));
  if (args.json) return stdout(JSON.stringify(list) + '\n'), 0;
  const rows = list.map((n) => [String(n.id), when(n.createdAt), n.channel, n.status, String(n.attempts), n.recipients.join(','), n.subject, n.lastError ?? '']);
  printTable([['ID', 'CREATED', 'CHANNEL', 'STATUS', 'ATTEMPTS', 'RECIPIENTS', 'SUBJECT', 'LAST ERROR'], ...rows]);
  return 0;
}

/** `test-mail --to ADDRESS`: proves host, TLS mode, credentials and sender in one go. */
export async function testMail(config: CollectorConfig, to: string | undefined, out: Out = stdout): Promise<number> {
  if (!to || !/^[^@\s]+@[^@\s]+$/.test(to)) throw new UsageError('test-mail: --to ADDRESS is required');
  const smtp = config.alerting.smtp;
  if (!smtp) throw new UsageError(`test-mail: ${config.file} has no smtp section`);
  try {
    await sendTestMail(smtp, config.alerting.alerts, to);
    out(`test mail sent to ${to} through ${smtp.host}:${smtp.port}\n`);
    return 0;
  } catch (err) {
    out(`test mail to ${to} through ${smtp.host}:${smtp.port} failed: ${(err as Error).message}\n`);
    return 1;
  }
}

export async function alertsCommand(command: string, argv: string[]): Promise<number> {
  if (command === 'test-mail') {
    const { values } = parseOptions(argv, { to: { type: 'string' } });
    return await testMail(loadConfig(values), values.to);
  }
  return command === 'alerts' ? alerts(argv) : command === 'silence' ? silence(argv) : notifications(argv);
}

export const alertsGroup: CommandGroup = { commands: ['alerts', 'silence', 'notifications', 'test-mail'], usage: ALERTS_USAGE, run: alertsCommand };
