// `enroll-code`: the one-time code an agency's IT staff type into `canhgac-agent enroll`; it is stored
// hashed, expires and works once, so it can travel by phone or chat.
import { parseDuration } from '../../protocol/index.ts';
import { getAgency } from '../state/agencies.ts';
import { createEnrollCode } from '../state/enroll-codes.ts';
import { cliAudit, knownAgencies, loadConfig, parseOptions, UsageError, withState, type CommandGroup } from './common.ts';

export const ENROLL_CODE_USAGE = `  canhgac-collector enroll-code  [--config FILE] --agency ID [--ttl 24h] [--note TEXT]
                                                            print a one-time enrolment code for an agency
`;

export function enrollCodeCommand(_command: string, argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, { agency: { type: 'string' }, ttl: { type: 'string', default: '24h' }, note: { type: 'string' } });
  const config = loadConfig(values);
  const agency = values.agency;
  if (!agency) throw new UsageError('enroll-code needs --agency ID');
  const ttlMs = parseDuration(values.ttl);
  if (ttlMs === undefined || ttlMs < 60_000 || ttlMs > 30 * 86_400_000) throw new UsageError(`--ttl: expected a duration from 1m to 30d, got "${values.ttl}"`);
  return withState(config, async (state) => {
    const a = await getAgency(state, agency);
    if (!a || !a.active) throw new UsageError(`--agency: unknown agency "${agency}" (known: ${knownAgencies(config)})`);
    const c = await createEnrollCode(state, agency, ttlMs, values.note);
    await cliAudit(state, 'enroll_code', { agency, detail: `valid until ${new Date(c.expiresAt).toISOString()}` });
    process.stdout.write(`${c.code}\n`);
    process.stderr.write(`one-time code for ${a.name} (${a.id}), valid until ${new Date(c.expiresAt).toISOString()}\n`);
    return 0;
  });
}

export const enrollCodeGroup: CommandGroup = { commands: ['enroll-code'], usage: ENROLL_CODE_USAGE, run: enrollCodeCommand };
