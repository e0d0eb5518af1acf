import type { CollectorConfig } from './config.ts';
import { statePath } from './service.ts';
import { getAgency } from './state/agencies.ts';
import { listCertificates } from './state/certificates.ts';
import { openDb } from './state/db.ts';
import { expiringDays } from './server/routes/certificates.ts';

export const CERTS_HELP = `  canhgac-collector certs        [--expiring 30d] [--agency ID] [--json] [--config FILE]
                                                            the certificate inventory, soonest expiry first
`;

/** Its code makes the CLI treat it as a usage error (message, help, exit 2). */
export class CertsUsageError extends Error {
  readonly code = 'ERR_PARSE_ARGS_CERTS';
}

/** `canhgac-collector certs`: the same list as GET /api/v1/certificates, for a terminal or a script. */
export function certsCommand(config: CollectorConfig, args: { expiring?: string; agency?: string; json?: boolean }, out: (s: string) => void = (s) => process.stdout.write(s)): number {
  let withinDays: number | undefined;
  if (args.expiring !== undefined) {
    withinDays = expiringDays(args.expiring);
    if (withinDays === undefined) throw new CertsUsageError(`--expiring: expected a duration from 1h to 3650d such as 30d, got "${args.expiring}"`);
  }
  const db = openDb(statePath(config));
  try {
    if (args.agency && !getAgency(db, args.agency)) throw new CertsUsageError(`--agency: unknown agency "${args.agency}"`);
    const rows = listCertificates(db, { agency: args.agency, withinDays });
    if (args.json) {
      out(JSON.stringify(rows) + '\n');
      return 0;
    }
    const table = rows.map((r) => [
      r.daysLeft === undefined ? '?' : r.daysLeft.toFixed(1),
      r.earliestNotAfter ? r.earliestNotAfter.slice(0, 10) : '',
      r.agency,
      r.location,
      r.subject ?? '',
      r.issuer ?? '',
      r.problems.join(',') + (r.error ? ` (${r.error})` : ''),
    ]);
    const head = ['DAYS', 'EXPIRES', 'AGENCY', 'WHERE', 'SUBJECT', 'ISSUER', 'PROBLEMS'];
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
    for (const r of [head, ...table]) out(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n');
    if (rows.length === 0) out(withinDays !== undefined ? `no certificate expires within ${args.expiring}\n` : 'no certificate reported yet\n');
    return 0;
  } finally {
    db.close();
  }
}
