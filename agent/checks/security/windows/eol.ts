/**
 * End of security updates per Windows build and edition family (Microsoft lifecycle pages).
 * `client` is Home/Pro; `enterprise` is Enterprise/Education (30 or 36 months for H2 releases);
 * LTSC editions (EditionID ending in S) and servers have their own dates.
 */
interface BuildEol {
  name: string;
  client?: string;
  enterprise?: string;
  ltsc?: string;
  server?: string;
}

export const WINDOWS_BUILDS: Readonly<Record<number, BuildEol>> = {
  7601: { name: 'Windows 7 SP1 / Server 2008 R2', client: '2020-01-14', enterprise: '2020-01-14', server: '2020-01-14' },
  9200: { name: 'Windows 8 / Server 2012', client: '2016-01-12', enterprise: '2016-01-12', server: '2023-10-10' },
  9600: { name: 'Windows 8.1 / Server 2012 R2', client: '2023-01-10', enterprise: '2023-01-10', server: '2023-10-10' },
  10240: { name: 'Windows 10 1507', client: '2017-05-09', enterprise: '2017-05-09', ltsc: '2025-10-14' },
  14393: { name: 'Windows 10 1607 / Server 2016', client: '2018-04-10', enterprise: '2019-04-09', ltsc: '2026-10-13', server: '2027-01-12' },
  17763: { name: 'Windows 10 1809 / Server 2019', client: '2020-11-10', enterprise: '2021-05-11', ltsc: '2029-01-09', server: '2029-01-09' },
  19041: { name: 'Windows 10 2004', client: '2021-12-14', enterprise: '2021-12-14' },
  19042: { name: 'Windows 10 20H2', client: '2022-05-10', enterprise: '2023-05-09' },
  19043: { name: 'Windows 10 21H1', client: '2022-12-13', enterprise: '2022-12-13' },
  19044: { name: 'Windows 10 21H2', client: '2023-06-13', enterprise: '2024-06-11', ltsc: '2027-01-12' },
  19045: { name: 'Windows 10 22H2', client: '2025-10-14', enterprise: '2025-10-14' },
  20348: { name: 'Windows Server 2022', server: '2031-10-14' },
  22000: { name: 'Windows 11 21H2', client: '2023-10-10', enterprise: '2024-10-08' },
  22621: { name: 'Windows 11 22H2', client: '2024-10-08', enterprise: '2025-10-14' },
  22631: { name: 'Windows 11 23H2', client: '2025-11-11', enterprise: '2026-11-10' },
  26100: { name: 'Windows 11 24H2 / Server 2025', client: '2026-10-13', enterprise: '2027-10-12', ltsc: '2029-10-09', server: '2034-10-10' },
  26200: { name: 'Windows 11 25H2', client: '2027-10-12', enterprise: '2028-10-10' },
};

export interface WindowsOs {
  build: number;
  editionId: string;
  /** Win32_OperatingSystem.ProductType: 1 workstation, 2 domain controller, 3 server. */
  productType: number;
}

export function windowsEol(os: WindowsOs): { name: string; eol?: string; family: string } | undefined {
  const b = WINDOWS_BUILDS[os.build];
  if (!b) return undefined;
  const ed = os.editionId.toLowerCase();
  const family = os.productType >= 2 || ed.startsWith('server')
    ? 'server'
    : /^(enterprise|iotenterprise)?s$|ltsc|enterprises|iotenterprises/.test(ed)
      ? 'ltsc'
      : /^(enterprise|education|iotenterprise|enterprisen|educationn)/.test(ed)
        ? 'enterprise'
        : 'client';
  return { name: b.name, eol: b[family as keyof BuildEol] as string | undefined, family };
}
