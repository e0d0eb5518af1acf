// `devices`: the LAN devices an agency's discovery check found, with the flags (new, stale, exposed
// services) a security officer looks at first.
import { parseDuration } from '../../protocol/index.ts';
import type { CollectorConfig } from '../config.ts';
import { getAgency } from '../state/agencies.ts';
import { DEVICE_FILTERS, listDevices, type DeviceFilter } from '../state/devices.ts';
import { knownAgencies, loadConfig, parseOptions, printTable, UsageError, withState, type CommandGroup } from './common.ts';

export const DEVICES_USAGE = `  canhgac-collector devices      --agency ID [--filter new|stale|exposed] [--stale-after DURATION] [--json] [--config FILE]
                                                            list the LAN devices the discovery check found for an agency
`;

interface DevicesArgs {
  agency?: string;
  filter?: string;
  json: boolean;
  'stale-after'?: string;
}

function listFor(config: CollectorConfig, args: DevicesArgs, agencyId: string, staleAfterMs: number): Promise<number> {
  return withState(config, async (state) => {
    const agency = await getAgency(state, agencyId);
    if (!agency) throw new UsageError(`--agency: unknown agency "${agencyId}" (known: ${knownAgencies(config)})`);
    const devices = await listDevices(state, agency.id, { filter: args.filter as DeviceFilter | undefined, staleAfterMs });
    if (args.json) {
      process.stdout.write(JSON.stringify(devices) + '\n');
      return 0;
    }
    const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    const rows = devices.map((d) => [
      d.mac,
      d.ip,
      d.subnet,
      d.vendor ?? '',
      d.hostname ?? '',
      minute(d.firstSeen),
      minute(d.lastSeen),
      [d.new ? 'new' : '', d.stale ? 'stale' : '', ...d.exposures.map((e) => `${e.service}:${e.port}`)].filter(Boolean).join(' '),
    ]);
    printTable([['MAC', 'IP', 'SUBNET', 'VENDOR', 'HOSTNAME', 'FIRST SEEN (UTC)', 'LAST SEEN (UTC)', 'FLAGS'], ...rows]);
    process.stderr.write(`${devices.length} device(s) of ${agency.name} (${agency.id})${args.filter ? `, filter ${args.filter}` : ''}\n`);
    return 0;
  });
}

export function devicesCommand(_command: string, argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    agency: { type: 'string' },
    filter: { type: 'string' },
    'stale-after': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const config = loadConfig(values);
  if (!values.agency) throw new UsageError('devices needs --agency ID');
  if (values.filter !== undefined && !(DEVICE_FILTERS as readonly string[]).includes(values.filter)) {
    throw new UsageError(`--filter: expected ${DEVICE_FILTERS.join(', ')}, got "${values.filter}"`);
  }
  const staleAfter = values['stale-after'];
  const staleAfterMs = staleAfter === undefined ? config.devicesStaleAfterMs : parseDuration(staleAfter);
  if (staleAfterMs === undefined || staleAfterMs < 1000) throw new UsageError(`--stale-after: expected a duration such as 7d, got "${staleAfter}"`);
  return listFor(config, values, values.agency, staleAfterMs);
}

export const devicesGroup: CommandGroup = { commands: ['devices'], usage: DEVICES_USAGE, run: devicesCommand };
