// `certs`: the certificate inventory (the same list as GET /api/v1/certificates) for a terminal or a
// script, soonest expiry first.
import type { CollectorConfig } from '../config.ts';
import { expiringDays } from '../server/routes/certificates.ts';
import { getAgency } from '../state/agencies.ts';
import { listCertificates } from '../state/certificates.ts';
import { loadConfig, parseOptions, printTable, stdout, UsageError, withState, type CommandGroup, type Out } from './common.ts';

export const CERTS_USAGE = `  canhgac-collector certs        [--expiring 30d] [--agency ID] [--json] [--config FILE]
                                                            the certificate inventory, soonest expiry first
`;

export interface CertsArgs {
  expiring?: string;
  agency?: string;
  json?: boolean;
}

/** The listing itself, apart from option parsing, so that a test can call it with a config in hand. */
export function listCerts(config: CollectorConfig, args: CertsArgs, out: Out = stdout): Promise<number> {
  let withinDays: number | undefined;
  if (args.expiring !== undefined) {
    withinDays = expiringDays(args.expiring);
    if (withinDays === undefined) throw new UsageError(`--expiring: expected a duration from 1h to 3650d such as 30d, got "${args.expiring}"`);
  }
  return withState(config, async (state) => {
    if (args.agency && !(await getAgency(state, args.agency))) throw new UsageError(`--agency: unknown agency "${args.agency}"`);
    const rows = await listCertificates(state, { agency: args.agency, withinDays });
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
    printTable([['DAYS', 'EXPIRES', 'AGENCY', 'WHERE', 'SUBJECT', 'ISSUER', 'PROBLEMS'], ...table], out);
    if (rows.length === 0) out(withinDays !== undefined ? `no certificate expires within ${args.expiring}\n` : 'no certificate reported yet\n');
    return 0;
  });
}

export function certsCommand(_command: string, argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { expiring: { type: 'string' }, agency: { type: 'string' }, json: { type: 'boolean', default: false } });
  return listCerts(loadConfig(values), values);
}

export const certsGroup: CommandGroup = { commands: ['certs'], usage: CERTS_USAGE, run: certsCommand };
