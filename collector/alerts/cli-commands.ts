import { parseDuration } from '../../protocol/index.ts';
import type { CollectorConfig } from '../config.ts';
import type { DB } from '../state/db.ts';
import { sendTestMail } from './delivery.ts';
import { matcherIssue } from './matchers.ts';
import { AlertStore } from './store.ts';
import { formatTime, summaryOf } from './templates.ts';

export const ALERT_HELP = `  canhgac-collector alerts list   [--agency ID] [--all] [--json]   firing alerts (--all: with resolved history)
  canhgac-collector alerts ack ID --by NAME [--note TEXT]          acknowledge: stops reminders and escalation
  canhgac-collector silence add --match LABEL=VALUE [--match ...] --duration 2h --reason TEXT --by NAME
  canhgac-collector silence list  [--all] [--json]
  canhgac-collector silence remove ID --by NAME
  canhgac-collector notifications [--agency ID] [--json]           notification history (recipients, subject, attempts, result)
  canhgac-collector test-mail --to ADDRESS                         send a test mail with the smtp settings
`;

export interface AlertCliArgs {
  agency?: string;
  json?: boolean;
  all?: boolean;
  by?: string;
  note?: string;
  match?: string[];
  duration?: string;
  reason?: string;
  to?: string;
}

type Out = (s: string) => void;

function table(rows: string[][], out: Out): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) out(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
}

const when = (t: number | null) => (t ? formatTime(t, 'vi') : '');

/** `alerts`, `silence`, `notifications`: the same state the API shows, straight from SQLite. */
export function alertStateCommand(config: CollectorConfig, db: DB, command: string, positionals: string[], args: AlertCliArgs, usage: (m: string) => Error, out: Out): number {
  const store = new AlertStore(db);
  const rules = new Map(config.alerting.alerts.rules.map((r) => [r.name, r]));
  const [sub, id] = positionals;
  if (command === 'alerts') {
    if (sub === 'list') {
      const alerts = store.list({ state: args.all ? 'all' : 'active', agency: args.agency });
      if (args.json) return out(JSON.stringify(alerts) + '\n'), 0;
      const rows = alerts.map((a) => [String(a.id), a.state, a.severity, a.agency || '-', summaryOf({ id: a.id, rule: rules.get(a.rule), ruleName: a.rule, severity: a.severity, agency: a.agency, labels: a.labels, value: a.value, firedAt: a.firedAt ?? a.activeSince }, 'vi'), when(a.firedAt), when(a.resolvedAt), a.ackedBy ?? '']);
      table([['ID', 'STATE', 'SEVERITY', 'AGENCY', 'SUMMARY', 'FIRED', 'RESOLVED', 'ACK BY'], ...rows], out);
      return 0;
    }
    if (sub === 'ack') {
      if (!id || !/^\d+$/.test(id)) throw usage('alerts ack needs an alert id (see: canhgac-collector alerts list)');
      if (!args.by) throw usage('alerts ack: --by NAME is required (recorded with the acknowledgement)');
      const before = store.get(Number(id));
      if (!before || before.state !== 'firing') {
        out(`no firing alert ${id}\n`);
        return 1;
      }
      if (before.ackedAt !== null) {
        out(`alert ${id} was already acknowledged by ${before.ackedBy}\n`);
        return 1;
      }
      store.acknowledge(before.id, args.by, args.note, Date.now());
      out(`alert ${id} acknowledged by ${args.by}: no more reminders or escalation\n`);
      return 0;
    }
    throw usage('alerts: expected list or ack ID');
  }
  if (command === 'silence') {
    if (sub === 'add') {
      const matchers: Record<string, string> = {};
      for (const m of args.match ?? []) {
        const at = m.indexOf('=');
        if (at < 1) throw usage(`--match: expected LABEL=VALUE, got "${m}"`);
        const pattern = m.slice(at + 1);
        const problem = matcherIssue(pattern);
        if (problem) throw usage(`--match ${m}: ${problem}`);
        matchers[m.slice(0, at)] = pattern;
      }
      if (Object.keys(matchers).length === 0) throw usage('silence add: at least one --match LABEL=VALUE, such as --match agency=so-y-te');
      const ms = args.duration ? parseDuration(args.duration) : undefined;
      if (!ms) throw usage(`silence add: --duration expected a duration such as 2h, got "${args.duration ?? ''}"`);
      if (!args.reason) throw usage('silence add: --reason TEXT is required');
      if (!args.by) throw usage('silence add: --by NAME is required');
      const now = Date.now();
      const s = store.addSilence({ matchers, startsAt: now, endsAt: now + ms, reason: args.reason, author: args.by }, now);
      out(`silence ${s.id} until ${formatTime(s.endsAt, 'vi')}\n`);
      return 0;
    }
    if (sub === 'list') {
      const list = store.silences(Date.now(), { includeEnded: args.all });
      if (args.json) return out(JSON.stringify(list) + '\n'), 0;
      table([['ID', 'MATCHERS', 'FROM', 'UNTIL', 'AUTHOR', 'REASON', 'REMOVED'], ...list.map((s) => [String(s.id), Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(','), when(s.startsAt), when(s.endsAt), s.author, s.reason, s.removedBy ?? ''])], out);
      return 0;
    }
    if (sub === 'remove') {
      if (!id || !/^\d+$/.test(id)) throw usage('silence remove needs a silence id');
      if (!args.by) throw usage('silence remove: --by NAME is required');
      if (!store.removeSilence(Number(id), args.by, Date.now())) {
        out(`no active silence ${id}\n`);
        return 1;
      }
      out(`silence ${id} removed\n`);
      return 0;
    }
    throw usage('silence: expected add, list or remove ID');
  }
  // notifications
  const list = store.notifications({ agency: args.agency });
  if (args.json) return out(JSON.stringify(list) + '\n'), 0;
  table([['ID', 'CREATED', 'STATUS', 'ATTEMPTS', 'RECIPIENTS', 'SUBJECT', 'LAST ERROR'], ...list.map((n) => [String(n.id), when(n.createdAt), n.status, String(n.attempts), n.recipients.join(','), n.subject, n.lastError ?? ''])], out);
  return 0;
}

/** `test-mail --to ADDRESS`: proves host, TLS mode, credentials and sender in one go. */
export async function testMailCommand(config: CollectorConfig, to: string | undefined, usage: (m: string) => Error, out: Out): Promise<number> {
  if (!to || !/^[^@\s]+@[^@\s]+$/.test(to)) throw usage('test-mail: --to ADDRESS is required');
  const smtp = config.alerting.smtp;
  if (!smtp) throw usage(`test-mail: ${config.file} has no smtp section`);
  try {
    await sendTestMail(smtp, config.alerting.alerts, to);
    out(`test mail sent to ${to} through ${smtp.host}:${smtp.port}\n`);
    return 0;
  } catch (err) {
    out(`test mail to ${to} through ${smtp.host}:${smtp.port} failed: ${(err as Error).message}\n`);
    return 1;
  }
}
