// The Linux end-of-support check: the release from os-release against a table of support end dates.
import type { HostEnv } from '../env.ts';
import { fail, notApplicable, pass, type Finding } from '../finding.ts';
import { parseKeyValues } from './time-sync.ts';

/**
 * End of security support per release (`ID` and `VERSION_ID` of os-release). Debian: end of LTS
 * (Debian LTS still ships security fixes); Ubuntu: end of standard support (ESM needs a
 * subscription nobody here has); RHEL family: end of maintenance support.
 * Sources: wiki.debian.org/LTS, ubuntu.com/about/release-cycle, access.redhat.com/support/policy/updates/errata.
 */
export const LINUX_EOL: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: { '8': '2020-06-30', '9': '2022-06-30', '10': '2024-06-30', '11': '2026-08-31', '12': '2028-06-30', '13': '2030-06-30' },
  ubuntu: {
    '16.04': '2021-04-30', '18.04': '2023-05-31', '20.04': '2025-05-31', '22.04': '2027-06-01', '24.04': '2029-05-31',
    '23.10': '2024-07-11', '24.10': '2025-07-10', '25.04': '2026-01-15', '25.10': '2026-07-09',
  },
  centos: { '7': '2024-06-30', '8': '2021-12-31' },
  rhel: { '7': '2024-06-30', '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  rocky: { '8': '2029-05-31', '9': '2032-05-31', '10': '2035-05-31' },
  almalinux: { '8': '2029-03-01', '9': '2032-05-31', '10': '2035-05-31' },
};

export interface OsRelease {
  id: string;
  versionId: string;
  pretty: string;
}

export function parseOsRelease(text: string): OsRelease {
  const kv = parseKeyValues(text);
  return { id: (kv.get('ID') ?? '').toLowerCase(), versionId: kv.get('VERSION_ID') ?? '', pretty: kv.get('PRETTY_NAME') ?? '' };
}

/** The table key for a release: Debian and the RHEL family by major version, Ubuntu by YY.MM. */
export function eolDate(os: OsRelease): string | undefined {
  const table = LINUX_EOL[os.id];
  if (!table) return undefined;
  return table[os.versionId] ?? table[os.versionId.split('.')[0]];
}

export async function checkLinuxEol(env: HostEnv): Promise<Finding> {
  const text = (await env.readText('/etc/os-release')) ?? (await env.readText('/usr/lib/os-release'));
  if (text === undefined) return notApplicable('no os-release file');
  const os = parseOsRelease(text);
  const name = os.pretty || `${os.id} ${os.versionId}`;
  const eol = eolDate(os);
  if (!eol) return notApplicable(`no end-of-life date known for ${name} (id ${os.id || '?'}, version ${os.versionId || '?'})`);
  const today = env.now().toISOString().slice(0, 10);
  return today > eol ? fail(`${name}: security support ended on ${eol}`) : pass(`${name}: supported until ${eol}`);
}
