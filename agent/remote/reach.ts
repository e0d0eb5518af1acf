// What each check's config reaches, key by key: which values are targets (hosts, host:port, URLs,
// subnets), which are paths read, which a remote profile may never set, and which change neither.
import { parseHostPort } from '../checks/common/probe.ts';

/**
 * Every key of every check type a remote profile may use is listed here with its role, so that
 * `judge.ts` can hold a profile against remotePolicy. A check type missing from REACH, or a key of a
 * listed type missing from its table (a check grew a key), is refused: the agent cannot judge what it
 * would reach. `reach.test.ts` walks the schemas of the registry so a new key is noticed at once.
 */
export type Role =
  /** Changes neither where the check connects nor what it reads (counts, thresholds, names of tags). */
  | 'plain'
  /** A host name or IP address the check connects to. */
  | 'host'
  /** `host:port`. */
  | 'hostport'
  /** `host`, or `host:port` (a DNS server). */
  | 'hostOrHostport'
  /** An http(s) URL fetched. */
  | 'url'
  /** A subnet swept address by address. */
  | 'subnet'
  /** A file, directory or glob pattern read. */
  | 'readPath'
  | { refused: string }
  /** Allowed as `false`; `true` would let the check leave its targets. */
  | { refusedIfTrue: string }
  | { list: Role }
  | { object: Table }
  /** `true` (use the endpoint's own address) or a mapping. */
  | { trueOr: Table };

export type Table = Readonly<Record<string, Role>>;

const WRITES = { refused: 'a remote profile may not choose where the agent writes; the check keeps its state in its default place' };

/** Keys every check entry has. */
export const COMMON: Table = { type: 'plain', name: 'plain', group: 'plain', interval: 'plain', timeout: 'plain', enabled: 'plain', intervalMs: 'plain', timeoutMs: 'plain' };

export const REACH: Readonly<Record<string, Table>> = {
  host: {},
  ping: { targets: { list: 'host' }, count: 'plain', packetInterval: 'plain' },
  tcp: { targets: { list: 'hostport' } },
  http: {
    targets: { list: 'url' },
    method: 'plain',
    expectStatus: 'plain',
    ca: 'readPath',
    followRedirects: { refusedIfTrue: 'a redirect could lead outside remotePolicy' },
  },
  // sni is only the name sent to (and matched against) an allowed target.
  tls: { targets: { list: 'hostport' }, sni: 'plain', starttls: 'plain', ca: 'readPath', legacyCheck: 'plain', legacyInterval: 'plain', concurrency: 'plain' },
  // Query names are asked of the server; without `server`, of the system's own resolver.
  dns: { server: 'hostOrHostport', transport: 'plain', queries: 'plain' },
  videoconf: {
    endpoints: {
      list: {
        object: {
          name: 'plain',
          address: 'host',
          // SIP, H.323 and SNMP talk to `address` itself, on their ports.
          sip: 'plain',
          h323: 'plain',
          snmp: 'plain',
          https: { trueOr: { url: 'url', ca: 'readPath', expectStatus: 'plain' } },
        },
      },
    },
    count: 'plain',
    packetInterval: 'plain',
    thresholds: 'plain',
  },
  discovery: {
    subnets: { list: 'subnet' },
    maxHosts: 'plain',
    methods: 'plain',
    probePorts: 'plain',
    exposurePorts: 'plain',
    router: { object: { host: 'host', port: 'plain', version: 'plain', community: 'plain', user: 'plain' } },
    resolveNames: 'plain',
    concurrency: 'plain',
    stateFile: WRITES,
    ouiFile: 'readPath',
  },
  web_integrity: {
    // The crawler stays on each site's own host; off-site links and redirects are recorded, not fetched.
    sites: { list: { object: { url: 'url', name: 'plain', maxPages: 'plain', maxDepth: 'plain', sitemap: 'plain', allow: 'plain', trustedDomains: 'plain' } } },
    keywords: 'plain',
    trustedDomains: 'plain',
    stateFile: WRITES,
    maxPageBytes: 'plain',
    budget: 'plain',
    concurrency: 'plain',
    searchReferer: 'plain',
    defaceThreshold: 'plain',
    ca: 'readPath',
    views: 'plain',
  },
  security: {
    disable: 'plain',
    severity: 'plain',
    waivers: 'plain',
    clockReference: 'url',
    clockReferenceCa: 'readPath',
    maxClockOffset: 'plain',
    maxSignatureAgeDays: 'plain',
    maxUpdateAgeDays: 'plain',
    maxLocalAdmins: 'plain',
    minPasswordLength: 'plain',
    maxLockoutThreshold: 'plain',
  },
  cert_file: {
    paths: { list: 'readPath' },
    // Certificate stores hold certificates, which are public; only their names and dates are read.
    stores: 'plain',
    passwordFile: 'readPath',
    passwordEnv: { refused: 'a remote profile may not name the agent’s environment variables' },
    password: { refused: 'a password is never sent in a profile' },
  },
  auth_events: {
    logFiles: { list: 'readPath' },
    journal: 'plain',
    journalDirectory: 'readPath',
    stateFile: WRITES,
    allowSources: 'plain',
    bruteForce: 'plain',
    spraying: 'plain',
    successAfterFailures: 'plain',
    adminGroups: 'plain',
    backfill: 'plain',
    maxSources: 'plain',
    maxLinesPerRun: 'plain',
    maxLineLength: 'plain',
  },
};

/** One value a check would reach, with the key path it came from. */
export interface Reached {
  path: string;
  kind: 'host' | 'subnet' | 'readPath';
  value: string;
}

/** A value the agent refuses outright, with why. */
export interface Refused {
  path: string;
  message: string;
}

const at = (base: string, key: string | number) => (typeof key === 'number' ? `${base}[${key}]` : `${base}.${key}`);

/** The host of a URL (brackets of an IPv6 literal removed), or undefined when it is no http(s) URL. */
function urlHost(text: string): string | undefined {
  if (!URL.canParse(text)) return undefined;
  const u = new URL(text);
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.hostname.replace(/^\[|\]$/g, '') : undefined;
}

function walk(role: Role, value: unknown, path: string, out: { reached: Reached[]; refused: Refused[] }): void {
  if (value === undefined) return;
  if (role === 'plain') return;
  if (typeof role === 'object') {
    if ('refused' in role) return void out.refused.push({ path, message: role.refused });
    if ('refusedIfTrue' in role) return void (value === true && out.refused.push({ path, message: role.refusedIfTrue }));
    if ('list' in role) {
      if (!Array.isArray(value)) return void out.refused.push({ path, message: 'expected a list' });
      return value.forEach((v, i) => walk(role.list, v, at(path, i), out));
    }
    if ('trueOr' in role && (value === true || value === false)) return;
    const table = 'object' in role ? role.object : role.trueOr;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return void out.refused.push({ path, message: 'expected a mapping' });
    return walkTable(table, value as Record<string, unknown>, path, out);
  }
  if (typeof value !== 'string') return void out.refused.push({ path, message: 'expected text' });
  if (role === 'host' || role === 'subnet' || role === 'readPath') return void out.reached.push({ path, kind: role, value });
  const host = role === 'url' ? urlHost(value) : role === 'hostport' ? parseHostPort(value)?.host : (parseHostPort(value)?.host ?? value);
  if (host === undefined) return void out.refused.push({ path, message: `${JSON.stringify(value)} is not a target the agent can judge` });
  out.reached.push({ path, kind: 'host', value: host });
}

function walkTable(table: Table, config: Record<string, unknown>, path: string, out: { reached: Reached[]; refused: Refused[] }): void {
  for (const [key, value] of Object.entries(config)) {
    const role = Object.hasOwn(table, key) ? table[key] : undefined;
    if (!role) out.refused.push({ path: at(path, key), message: 'the agent cannot judge what this key reaches, so a remote profile may not use it' });
    else walk(role, value, at(path, key), out);
  }
}

/**
 * Everything one validated check entry would reach (`base` is its key path, such as `checks[2]`), and
 * what of it is refused outright; a check type without a table is refused as a whole.
 */
export function reachOf(type: string, config: Record<string, unknown>, base: string): { reached: Reached[]; refused: Refused[] } {
  const out = { reached: [] as Reached[], refused: [] as Refused[] };
  const table = Object.hasOwn(REACH, type) ? REACH[type] : undefined;
  if (!table) {
    out.refused.push({ path: `${base}.type`, message: `the agent cannot judge what a ${type} check reaches, so a remote profile may not use it` });
    return out;
  }
  walkTable({ ...COMMON, ...table }, config, base, out);
  return out;
}
